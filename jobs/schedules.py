"""Change a connection's polling schedule: the one rule for when the next poll is then due."""

from datetime import datetime, timedelta

from db.models import Schedule
from db.types import utcnow


def change_schedule(
    schedule: Schedule, *, interval_minutes: int, active: bool, now: datetime | None = None
) -> Schedule:
    """Set the interval and whether it polls; the caller commits."""
    now = now or utcnow()
    schedule.interval_minutes = interval_minutes
    schedule.active = active
    # The next poll follows from the last one and the new interval; overdue means now.
    if schedule.last_poll_at is None:
        schedule.next_poll_at = now
    else:
        schedule.next_poll_at = max(now, schedule.last_poll_at + timedelta(minutes=interval_minutes))
    return schedule
