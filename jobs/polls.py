"""Poll a store's REST API: the guarantee under the webhooks, which are only hints.

A run walks what changed since its schedule's cursor, stores each page in its own
transaction through the same mapping and upserts as webhook events, and advances the
cursor with the page, never past the moment the run started: a run killed half way is
resumed by the next one without a gap. The connection's connector says which walks an
entity has (each from a cursor of its own) and pages through them. Full runs also
reconcile: records the store no longer has (force-deleted ones may send no webhook) are
marked deleted.
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
from jobs.store_trouble import ExpectedFailure, explain
from stores.connector import ENTITY_OF, IdPage, Page, StoreClient, Walk
from stores.errors import INVALID_CREDENTIALS, UNREACHABLE, StoreError
from stores.prefetch import prefetched
from stores.registry import connector_for

log = logging.getLogger(__name__)

# Re-read this much before the cursor: a store's filter may be exclusive or coarse, and a
# record saved in the same second as the cursor may not have been visible yet.
CURSOR_OVERLAP = timedelta(minutes=1)
MODELS = {"orders": Order, "products": Product}
RESOURCE_OF = {entity: resource for resource, entity in ENTITY_OF.items()}


class PollFailed(ExpectedFailure):
    """The store failed the run; its row says why and what to do (RQ keeps the job in the failed registry too)."""


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
        name, entity, connector = connection.name, run.entity, connector_for(connection.external_system)
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
        reason = explain(error, connector)
        attention = f"the store refused the API keys: {error.message}" if error.code == INVALID_CREDENTIALS else None
        poll.fail(reason, attention=attention)
        raise PollFailed(f"Polling {entity} of “{name}” failed: {reason}") from None
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
            self.connector = connector_for(connection.external_system)
            walks = self.connector.walks[self.entity]
            cursors = {walk.cursor_column: getattr(schedule, walk.cursor_column) for walk in walks}
            client = service.client_for(connection)  # no retries: a poll waits without its worker (jobs.poll_waits)
            # Webhooks are hints that break silently: heal them on every poll.
            self._heal_webhooks(service, connection)
            # Amounts are stored at the store's number of decimals, a setting its owner may change.
            self._refresh_store_facts(service, connection)
        with client:
            for walk in walks:
                cursor = cursors[walk.cursor_column]
                self._walk(client, walk, cursor - CURSOR_OVERLAP if cursor else None)
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
            # Refused keys, or a store not answering at all: every later call would fail alike
            # (each after a timeout), so the run waits for the store now.
            if error.status == 401 or error.code == UNREACHABLE:
                raise
            log.warning("sync %s: webhook health check failed: %s", self.run_id, error.message)

    def _refresh_store_facts(self, service: ConnectionService, connection: Connection) -> None:
        try:
            service.refresh_store_facts(connection)
        except StoreError as error:
            if error.status == 401 or error.code == UNREACHABLE:
                raise
            log.warning("sync %s: reading the store's settings failed: %s", self.run_id, error.message)

    def _walk(self, client: StoreClient, walk: Walk, since: datetime | None) -> None:
        """Store the pages of one walk as they come, the next one fetched meanwhile."""
        pages = self.connector.changed_pages(
            client, self.entity, walk, since=since, until=self.started, order_start=self.order_start
        )
        for page in prefetched(pages):
            self._store_page(page, walk.cursor_column)

    def _store_page(self, page: Page, cursor: str) -> None:
        """Store one page and advance its walk's cursor (the schedule's column `cursor`) in one transaction."""
        with self._session() as session:
            run, connection, schedule = self._load(session)
            resource = RESOURCE_OF[self.entity]
            outcomes, refused = store_records(session, connection, resource, page.records)
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

    def _progress(self, run: SyncRun, page: Page | IdPage, stored: int) -> None:
        # Walks follow one another within a run: later walks add to what earlier ones did.
        if page.pages_done == 1:
            self._pages_before = run.pages_done
        run.pages_done = self._pages_before + page.pages_done
        run.pages_total = self._pages_before + page.pages_total
        run.records += stored

    def _reconcile(self, client: StoreClient) -> None:
        """Mark stored records the store no longer has as deleted."""
        model = MODELS[self.entity]
        for page in self.connector.id_pages(client, self.entity, order_start=self.order_start):
            with self._session() as session:
                run, _, _ = self._load(session)
                session.execute(
                    update(model)
                    .where(model.connection_id == self.connection_id, model.external_id.in_(page.ids))
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
        # Asked about each candidate again: a shifted page can hide a live record.
        gone = self.connector.missing_ids(client, self.entity, [tuple(row) for row in candidates])
        with self._session() as session:
            run, _, _ = self._load(session)
            if gone:
                mark_many_deleted(session, model, self.connection_id, gone)
            run.deleted = len(gone)
        if gone:
            log.info("sync %s: %d %s no longer on the store, marked deleted", self.run_id, len(gone), self.entity)

    def fail(self, message: str, *, attention: str | None = None, resume_now: bool = False) -> None:
        """Record the failure; `attention` (the store refused the keys) pauses the connection's polling."""
        with self._session() as session:
            run, connection, schedule = self._load(session)
            if attention:
                connection.needs_attention = attention
            if resume_now:
                schedule.next_poll_at = utcnow()
            _finish(session, run, RUN_FAILED, message)
        # Info only: the worker logs the failure itself (a store's as one warning line, jobs.worker).
        log.info("sync %s failed: %s", self.run_id, message)

    def figures(self) -> dict:
        """The run's outcome, as the job's result."""
        with self._session() as session:
            run, _, _ = self._load(session)
            return {"status": run.status, "pages_done": run.pages_done, "records": run.records, "deleted": run.deleted}


def _finish(session, run: SyncRun, status: str, error: str | None) -> None:
    run.status, run.error, run.finished_at = status, error, utcnow()
    seconds = (run.finished_at - run.started_at).total_seconds() if run.started_at else None
    count_poll_run_on_commit(session, redis_for(get_settings()), run.entity, status, seconds)
