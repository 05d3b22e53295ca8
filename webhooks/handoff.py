"""The receiver's hand-off to the event buffer: concurrent requests of a process share one Redis call.

A web process serves several requests at once (gunicorn threads). Each delivery needs one
round trip to Redis before it may be acknowledged, and on a busy server those round trips
(the client's encoding and system calls, Redis's own per-command work) cost more CPU than
the rest of the request. So the requests combine them, as databases group their commits:
the first request to arrive sends its event at once; requests arriving while that call is
on the wire queue up, and the next of them sends all queued events in one script call and
hands each request its own outcome. An idle server adds no wait; a busy one sends fewer,
larger calls. Every event is still in Redis before its request is answered.
"""

import threading
from collections.abc import Callable, Sequence

from jobs.push import PushedEvent

# Events per script call; more wait for the next call.
MAX_BATCH = 64

class _Waiter:
    """One request's event and, once its batch is sent, the outcome; or the request to lead the next batch."""

    __slots__ = ("event", "outcome", "error", "lead", "_signal")

    def __init__(self, event: PushedEvent):
        self.event = event
        self.outcome: int | None = None
        self.error: BaseException | None = None
        self.lead = False
        self._signal = threading.Lock()
        self._signal.acquire()

    def wake(self) -> None:
        self._signal.release()

    def sleep(self) -> None:
        self._signal.acquire()

    def result(self) -> int:
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


class GroupPush:
    """`push(connection_id, digest, envelope)` for many threads, sent through `push_many` in shared calls.

    `push_many` takes a sequence of events and answers one outcome per event, in order (as
    `PushConnection.push_many` does); if it raises, every request of that batch gets the error.
    It is never called by two threads at once.
    """

    def __init__(self, push_many: Callable[[Sequence[PushedEvent]], list[int]], max_batch: int = MAX_BATCH):
        self._push_many = push_many
        self._max_batch = max_batch
        self._mutex = threading.Lock()
        self._queued: list[_Waiter] = []
        # True while some request is sending a batch; then `_queued` holds the requests waiting for the next.
        self._sending = False

    def push(self, connection_id: str, digest: str, message: str) -> int:
        """Buffer one event (see `PushConnection.push_many`), in a call shared with whatever else is waiting."""
        waiter = _Waiter((connection_id, digest, message))
        with self._mutex:
            self._queued.append(waiter)
            lead, self._sending = not self._sending, True
        if not lead:
            waiter.sleep()
            if not waiter.lead:
                return waiter.result()
        # This request sends the batch: itself (always first in the queue) and those queued behind it.
        with self._mutex:
            batch, self._queued = self._queued[: self._max_batch], self._queued[self._max_batch :]
        assert batch[0] is waiter
        try:
            outcomes = self._push_many([member.event for member in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(batch)} events")
            for member, outcome in zip(batch, outcomes, strict=True):
                member.outcome = outcome
        except BaseException as error:  # noqa: BLE001 - each request of the batch decides what its failure means
            for member in batch:
                member.error = error
        finally:
            with self._mutex:
                successor = self._queued[0] if self._queued else None
                if successor is None:
                    self._sending = False
                else:
                    successor.lead = True
            for member in batch[1:]:
                member.wake()
            if successor is not None:
                successor.wake()
        return waiter.result()
