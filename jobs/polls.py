"""Poll a store's REST API: the guarantee under the webhooks, which are only hints.

A run walks what changed since its schedule's cursor, stores each page in its own
transaction through the same mapping and upserts as webhook events, and advances the
cursor with the page, never past the moment the run started: a run killed half way is
resumed by the next one without a gap. Orders are walked twice (trashed orders show only
with status=trash), each walk from a cursor of its own. Full runs also reconcile: records
the store no longer has (force-deleted ones send no webhook) are marked deleted.
"""

import logging
from datetime import datetime, timedelta

from rq.exceptions import ShutDownImminentException
from sqlalchemy import select, update

from config import get_settings
from connections.credentials import Vault
from connections.service import ConnectionService
from db.models import RUN_FAILED, RUN_RUNNING, RUN_SUCCEEDED, Connection, Order, Product, Schedule, SyncRun
from db.records import Outcome, mark_many_deleted
from db.session import transaction
from db.types import utcnow
from jobs.counters import count_poll_run_on_commit
from jobs.events import Refused, store_records
from jobs.poll_waits import resume_later
from jobs.queues import enqueue_event, redis_for
from stores.woocommerce.client import WooCommerceClient
from stores.woocommerce.errors import StoreError
from stores.woocommerce.paging import Page, existing_ids, gmt, iter_changed, iter_ids, prefetched, with_variations

log = logging.getLogger(__name__)

# Re-read this much before the cursor: the filter is exclusive, has one-second resolution,
# and a record saved in the same second as the cursor may not have been visible yet.
CURSOR_OVERLAP = timedelta(minutes=1)
MODELS = {"orders": Order, "products": Product}
# The walks of each entity: the `status` asked for and the schedule's column holding its cursor.
WALKS = {"orders": (("any", "cursor"), ("trash", "trash_cursor")), "products": (("any", "cursor"),)}


class PollFailed(Exception):
    """The run failed; its row says why (RQ keeps the job in the failed registry too)."""


def run_sync(run_id: str, attempt: int = 1) -> dict:
    """Run one queued sync run to the end, or (`attempt` > 1) resume one that waited for its store; answer its figures."""
    settings = get_settings()
    with transaction(settings.database_url) as session:
        run = session.scalar(select(SyncRun).where(SyncRun.public_id == run_id))
        if run is None:
            raise PollFailed(f"no sync run {run_id}")
        if attempt > 1 and run.status != RUN_RUNNING:
            attempt = 1  # retried from the failed registry: it starts again, as any failed run's retry does
        connection = session.get(Connection, run.connection_id)
        if connection.deleted_at is not None:
            _finish(session, run, RUN_FAILED, "the connection was deleted")
            return {"status": RUN_FAILED}
        if attempt == 1:
            run.status, run.started_at = RUN_RUNNING, utcnow()
        run.error, pages_before = None, run.pages_done  # no longer waiting
    poll = _Poll(settings, run_id)
    try:
        poll.run()
    except ShutDownImminentException:
        # A deploy stops the worker (SIGTERM): the cursor holds the committed pages, so
        # the clock starts the poll again at its next tick and it resumes from there.
        poll.fail("interrupted by a worker shutdown; resumed at the next clock tick", resume_now=True)
        raise
    except StoreError as error:
        if (waiting := resume_later(settings, run_id, attempt, pages_before, error)) is not None:
            return waiting
        poll.fail(error.message, credentials_refused=error.status == 401)
        raise PollFailed(f"{run_id}: {error.message}") from None
    except Exception as error:
        poll.fail(f"internal error: {type(error).__name__}")
        raise
    return poll.figures()


class _Poll:
    """The state of one run while it pages through the store."""

    def __init__(self, settings, run_id: str):
        self.settings = settings
        self.run_id = run_id
        self.started = utcnow()
        self.vault = Vault(settings.secret_key)
        self._pages_before = 0

    def _session(self):
        return transaction(self.settings.database_url)

    def _load(self, session) -> tuple[SyncRun, Connection, Schedule]:
        run = session.scalar(select(SyncRun).where(SyncRun.public_id == self.run_id))
        connection = session.get(Connection, run.connection_id)
        schedule = session.scalar(
            select(Schedule).where(Schedule.connection_id == connection.id, Schedule.entity == run.entity)
        )
        return run, connection, schedule

    def run(self) -> None:
        with self._session() as session:
            run, connection, schedule = self._load(session)
            service = ConnectionService(self.settings, session, self.vault, redis_for(self.settings))
            self.entity, self.full, self.run_pk = run.entity, run.full, run.id
            self.connection_id, self.order_start = connection.id, connection.order_start
            cursors = {column: getattr(schedule, column) for _, column in WALKS[self.entity]}
            client = service.client_for(connection)  # no retries: a poll waits without its worker (jobs.poll_waits)
            # Webhooks are hints that break silently: heal them on every poll.
            self._heal_webhooks(service, connection)
            # Amounts are stored at the store's number of decimals, a setting its owner may change.
            self._refresh_store_facts(service, connection)
        with client:
            for status, column in WALKS[self.entity]:
                since = cursors[column] - CURSOR_OVERLAP if cursors[column] else None
                walk = self._walk_orders if self.entity == "orders" else self._walk_products
                walk(client, since, status, column)
            if self.full:
                self._reconcile(client)
        with self._session() as session:
            run, _, schedule = self._load(session)
            schedule.last_poll_at = self.started
            if self.full:
                schedule.last_full_at = self.started
            _finish(session, run, RUN_SUCCEEDED, None)
            log.info("sync %s: %s done, %d pages, %d records, %d deleted", self.run_id, self.entity, run.pages_done, run.records, run.deleted)

    def _heal_webhooks(self, service: ConnectionService, connection: Connection) -> None:
        try:
            service.heal_webhooks(connection)
        except StoreError as error:
            if error.status == 401:
                raise
            log.warning("sync %s: webhook health check failed: %s", self.run_id, error.message)

    def _refresh_store_facts(self, service: ConnectionService, connection: Connection) -> None:
        try:
            service.refresh_store_facts(connection)
        except StoreError as error:
            if error.status == 401:
                raise
            log.warning("sync %s: reading the store's settings failed: %s", self.run_id, error.message)

    def _walk_orders(self, client: WooCommerceClient, since: datetime | None, status: str, cursor: str) -> None:
        params = {"after": gmt(self.order_start), "status": status}
        pages = iter_changed(client, "orders", since=since or self.order_start, until=self.started, params=params)
        for page in prefetched(pages):
            self._store_page(page, [(record, None) for record in page.records], cursor)

    def _walk_products(self, client: WooCommerceClient, since: datetime | None, status: str, cursor: str) -> None:
        pages = iter_changed(client, "products", since=since, until=self.started, params={"status": status})
        for page, records in prefetched((page, with_variations(client, page)) for page in pages):
            self._store_page(page, records, cursor)

    def _store_page(self, page: Page, records: list[tuple[dict, str | None]], cursor: str) -> None:
        """Store one page and advance its walk's cursor (the schedule's column `cursor`) in one transaction."""
        with self._session() as session:
            run, connection, schedule = self._load(session)
            resource = "order" if self.entity == "orders" else "product"
            outcomes, refused = store_records(session, connection, resource, records)
            stored = sum(outcome in (Outcome.CREATED, Outcome.UPDATED) for outcome in outcomes.values())
            if page.newest_change is not None:
                reached = min(page.newest_change, self.started)
                if getattr(schedule, cursor) is None or reached > getattr(schedule, cursor):
                    setattr(schedule, cursor, reached)
            self._progress(run, page, stored)
        self._report(connection.public_id, resource, refused)
        log.info("sync %s: %s page %d of %d, %d records stored", self.run_id, self.entity, run.pages_done, run.pages_total, run.records)

    def _report(self, connection_id: str, resource: str, refused: list[Refused]) -> None:
        """Each record the page could not store becomes a job of its own, failing into RQ's failed registry with why."""
        redis = redis_for(self.settings)
        for (payload, parent), reason in refused:
            log.warning("sync %s: %s %r not stored: %s", self.run_id, resource, payload.get("id"), reason)
            # Named as a webhook names a variation, with its parent.
            record = {**payload, "parent_id": parent} if parent is not None else payload
            enqueue_event(redis, connection_id, resource, "updated", record, None, retry_seconds=self.settings.event_retry_seconds)

    def _progress(self, run: SyncRun, page: Page, stored: int) -> None:
        # Walks follow one another within a run: later walks add to what earlier ones did.
        if page.pages_done == 1:
            self._pages_before = run.pages_done
        run.pages_done = self._pages_before + page.pages_done
        run.pages_total = self._pages_before + page.pages_total
        run.records += stored

    def _reconcile(self, client: WooCommerceClient) -> None:
        """Mark stored records the store no longer has as deleted."""
        model = MODELS[self.entity]
        if self.entity == "orders":
            pages = iter_ids(client, "orders", params={"after": gmt(self.order_start)})
        else:
            pages = iter_ids(client, "products", fields="id,variations", params={"status": "any"})
        for page in pages:
            ids = {str(record.get("id")) for record in page.records}
            for record in page.records:
                ids.update(str(variation) for variation in record.get("variations") or [])
            with self._session() as session:
                run, _, _ = self._load(session)
                session.execute(
                    update(model)
                    .where(model.connection_id == self.connection_id, model.external_id.in_(ids))
                    .values(seen_in_run=self.run_pk)
                )
                self._progress(run, page, 0)
        with self._session() as session:
            parent = Product.parent_external_id if model is Product else Order.external_id
            candidates = session.execute(
                select(model.external_id, parent).where(
                    model.connection_id == self.connection_id,
                    model.deleted.is_(False),
                    (model.seen_in_run.is_(None)) | (model.seen_in_run != self.run_pk),
                    model.modified_at < self.started,
                )
            ).all()
        gone = self._confirm_gone(client, candidates)
        with self._session() as session:
            run, _, _ = self._load(session)
            if gone:
                mark_many_deleted(session, model, self.connection_id, gone)
            run.deleted = len(gone)
        if gone:
            log.info("sync %s: %d %s no longer on the store, marked deleted", self.run_id, len(gone), self.entity)

    def _confirm_gone(self, client: WooCommerceClient, candidates: list[tuple[str, str]]) -> list[str]:
        """Ask the store about each candidate: a shifted page can hide a live record."""
        if self.entity == "orders":
            ids = [external_id for external_id, _ in candidates]
            return sorted(set(ids) - existing_ids(client, "orders", ids))
        by_parent: dict[str | None, list[str]] = {}
        for external_id, parent in candidates:
            by_parent.setdefault(parent if parent != external_id else None, []).append(external_id)
        gone: list[str] = []
        for parent, ids in by_parent.items():
            path = f"products/{parent}/variations" if parent else "products"
            try:
                found = existing_ids(client, path, ids)
            except StoreError as error:
                if error.status != 404:
                    raise
                found = set()  # the parent itself is gone, and its variations with it
            gone.extend(sorted(set(ids) - found))
        return gone

    def fail(self, message: str, *, credentials_refused: bool = False, resume_now: bool = False) -> None:
        """Record the failure; a refused key pauses the connection's polling."""
        with self._session() as session:
            run, connection, schedule = self._load(session)
            if credentials_refused:
                connection.needs_attention = f"the store refused the API keys: {message}"
            if resume_now:
                schedule.next_poll_at = utcnow()
            _finish(session, run, RUN_FAILED, message)
        log.error("sync %s failed: %s", self.run_id, message)

    def figures(self) -> dict:
        """The run's outcome, as the job's result."""
        with self._session() as session:
            run, _, _ = self._load(session)
            return {"status": run.status, "pages_done": run.pages_done, "records": run.records, "deleted": run.deleted}


def _finish(session, run: SyncRun, status: str, error: str | None) -> None:
    run.status, run.error, run.finished_at = status, error, utcnow()
    seconds = (run.finished_at - run.started_at).total_seconds() if run.started_at else None
    count_poll_run_on_commit(session, redis_for(get_settings()), run.entity, status, seconds)
