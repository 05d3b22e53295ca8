"""The receiver's rare outcomes (401, 404, 410, ping...), counted in the process and sent to Redis in bulk.

Counting each such answer with its own HINCRBY would make a flood of deliveries to unknown or
deleted connections cost a Redis round trip per request, for a number. Here requests add to
a counter in memory; the counts go to `jobs.counters`' hash with the hand-off's next push
(in the same script call), or from a timer thread at most FLUSH_SECONDS later, and
`GET /metrics` sends its own process's first. The timer runs only while something waits to
be sent, and starts in the process that counts (after any fork). Counts Redis cannot take
wait for the next flush; what a process holds when it is killed is lost.
"""

import atexit
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from redis import Redis
from redis.exceptions import RedisError

from jobs.counters import COUNTERS_KEY, DELIVERIES_FIELD
from jobs.push import PushedEvent

log = logging.getLogger(__name__)

# How long a count may wait in the process before the timer sends it.
FLUSH_SECONDS = 1.0

PushMany = Callable[[Sequence[PushedEvent], Mapping[str, int] | None], list[int]]


class DeliveryTally:
    """Delivery outcomes counted in this process, by counters hash field; safe for concurrent requests.

    `redis` answers the client to flush through; `flush_seconds` None sends counts only with
    pushes and on `flush()` (tests use it to see that no request calls Redis).
    """

    def __init__(self, redis: Callable[[], Redis], flush_seconds: float | None = FLUSH_SECONDS):
        self._redis = redis
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._pid = os.getpid()  # the process the counts are of: a forked child starts from none
        self._timer_running = False
        self._at_exit = False

    def add(self, outcome: str) -> None:
        """Count one delivery answered with `outcome`."""
        with self._lock:
            self._own_process()
            self._counts[DELIVERIES_FIELD.format(outcome=outcome)] += 1
            start = self.flush_seconds is not None and not self._timer_running
            self._timer_running = self._timer_running or start
        if start:
            self._start_timer()

    def take(self) -> dict[str, int]:
        """Every count waiting, now no longer held here."""
        with self._lock:
            self._own_process()
            counts, self._counts = self._counts, Counter()
        return dict(counts)

    def give_back(self, counts: Mapping[str, int]) -> None:
        """Hold `counts` again (they could not be sent)."""
        with self._lock:
            self._own_process()
            self._counts.update(counts)

    def _own_process(self) -> None:
        """After a fork, forget the parent's counts (it sends them) and its timer (not running here)."""
        if self._pid != os.getpid():
            self._pid, self._counts, self._timer_running = os.getpid(), Counter(), False

    def riding(self, push_many: PushMany) -> Callable[[Sequence[PushedEvent]], list[int]]:
        """`push_many` (`PushConnection.push_many`) that also sends the counts waiting, in the same call."""

        def push(events: Sequence[PushedEvent]) -> list[int]:
            counts = self.take()
            try:
                return push_many(events, counts)
            except BaseException:
                self.give_back(counts)
                raise

        return push

    def flush(self) -> None:
        """Send the counts waiting, in one round trip; on a Redis failure keep them (logged)."""
        counts = self.take()
        if not counts:
            return
        try:
            with self._redis().pipeline(transaction=False) as pipe:
                for field, increment in counts.items():
                    pipe.hincrby(COUNTERS_KEY, field, increment)
                pipe.execute()
        except RedisError as error:
            self.give_back(counts)
            log.warning("delivery outcomes not counted yet (Redis unavailable: %s)", type(error).__name__)
        except BaseException:
            self.give_back(counts)
            raise

    def _start_timer(self) -> None:
        if not self._at_exit:
            self._at_exit = True
            atexit.register(self.flush)  # a worker's graceful exit sends what it holds
        threading.Thread(target=self._run_timer, name="delivery-tally", daemon=True).start()

    def _run_timer(self) -> None:
        """Flush every `flush_seconds` while counts keep coming; end once a wait brought none."""
        while True:
            time.sleep(self.flush_seconds or FLUSH_SECONDS)
            with self._lock:
                if not self._counts:
                    self._timer_running = False  # the next count starts a timer again
                    return
            try:
                self.flush()
            except Exception:  # a bug must not stop the counting: the counts are kept for the next try
                log.exception("delivery outcomes not counted yet")
