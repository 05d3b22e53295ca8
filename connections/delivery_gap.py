"""Webhooks that never arrive: polls that keep storing changes no delivery brought.

A webhook the store reports `active` can still fail on every delivery (a PUBLIC_URL the store
cannot reach): the connection looks healthy while only polling brings changes. A poll stores
only what is not stored yet (same or older versions are skipped), so a poll that stored records
found changes no delivery had brought. One such poll proves little (a store may send a minute
or more after a change, a poll may come first); several since the last delivery, with none
arriving meanwhile, say the webhooks are not arriving. Each entity's first successful poll is
left out: it brings what was on the store before the webhooks existed.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import RUN_SUCCEEDED, Connection, SyncRun

# Polls that stored changes, with no delivery since, before a connection is flagged.
UNDELIVERED_POLLS = 2
ADVICE = "webhooks are not arriving: check PUBLIC_URL"


@dataclass(frozen=True)
class UndeliveredChanges:
    """Polls that stored changes since the last delivery (or, with none yet, since the connection was created)."""

    polls: int
    records: int
    since: datetime
    delivered_before: bool  # whether any delivery ever arrived

    @property
    def message(self) -> str:
        """Sentences for the status endpoint and the console."""
        when = f"{self.since:%Y-%m-%d %H:%M} UTC"
        found = f"{self.polls} polls found {self.records} changes that no webhook brought"
        if self.delivered_before:
            told = f"{ADVICE}. Since the last delivery ({when}), {found}."
        else:
            told = f"{ADVICE}. No delivery has arrived since the connection was created ({when}), and {found}."
        return told + " The store must reach PUBLIC_URL, on port 80, 443 or 8080."


def undelivered_changes(session: Session, connection: Connection) -> UndeliveredChanges | None:
    """What says the connection's webhooks are not arriving, or None when nothing does."""
    last_delivery = max((w.last_delivery_at for w in connection.webhooks if w.last_delivery_at), default=None)
    since = last_delivery or connection.created_at
    succeeded = (SyncRun.connection_id == connection.id, SyncRun.status == RUN_SUCCEEDED)
    first_polls = select(func.min(SyncRun.id)).where(*succeeded).group_by(SyncRun.entity)
    polls, records = session.execute(
        select(func.count(), func.coalesce(func.sum(SyncRun.records), 0)).where(
            *succeeded, SyncRun.records > 0, SyncRun.started_at > since, SyncRun.id.not_in(first_polls)
        )
    ).one()
    if polls < UNDELIVERED_POLLS:
        return None
    return UndeliveredChanges(polls=polls, records=records, since=since, delivered_before=last_delivery is not None)
