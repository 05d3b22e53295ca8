"""The storage baseline's job: RQ's own overhead per job, with no work in it."""

NOOP = "bench.noop.noop"


def noop() -> None:
    """Do nothing."""
