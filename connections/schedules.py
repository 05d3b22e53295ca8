"""The polling schedules a connection starts with, and the limits every schedule change keeps.

The connection use cases create schedules with a connection; the jobs that start polls, the
admin API's and the console's inputs read the same limits from here.
"""

from datetime import datetime

from db.models import ENTITIES, Schedule

DEFAULT_INTERVAL_MINUTES = {"orders": 60, "products": 1440}
# The clock looks for due polls every minute: a shorter interval could not be kept.
MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 7 * 1440
# Scheduled polls are full passes (finding force-deleted records) at least this often.
DEFAULT_FULL_EVERY_MINUTES = 1440
MIN_FULL_EVERY_MINUTES = 60
MAX_FULL_EVERY_MINUTES = MAX_INTERVAL_MINUTES


def default_schedules(now: datetime) -> list[Schedule]:
    """The schedules a new connection starts with: both entities, active, due at once."""
    return [
        Schedule(
            entity=entity,
            interval_minutes=DEFAULT_INTERVAL_MINUTES[entity],
            full_every_minutes=DEFAULT_FULL_EVERY_MINUTES,
            active=True,
            next_poll_at=now,
        )
        for entity in ENTITIES
    ]
