"""Renew a lock from a thread while a job runs, so a killed job's lock lapses within seconds."""

import logging
import threading
from collections.abc import Callable

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class Renewal:
    """Call `renew` every `interval` seconds from a daemon thread while the `with` block runs.

    `renew` answers False once the lock is no longer ours (it lapsed, and another job may
    hold it now): renewing stops, and the job finds out at its next fenced step. A Redis
    error is logged and the renewal tried again: the lock holds until its expiry. The thread
    dies with the process, which is the point: a SIGKILLed job stops renewing.
    """

    def __init__(self, renew: Callable[[], bool], interval: float, what: str):
        self._renew = renew
        self._interval = interval
        self._what = what
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"renew {what}", daemon=True)

    def __enter__(self) -> "Renewal":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._renew():
                    log.warning("%s lapsed before it could be renewed", self._what)
                    return
            except RedisError as error:
                log.warning("renewing %s failed (%s); trying again in %g s", self._what, error, self._interval)
