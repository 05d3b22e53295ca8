"""Fetch a walk's next pages while the caller stores the current one, whatever the system.

A poll then waits for the slower of fetching and storing, not for both one after the other.
No interpreter setting is changed for it: the process's other threads keep their share.
"""

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_PAGE, _DONE, _ERROR = object(), object(), object()
# How long a consumer that stops waits for the fetching thread to notice.
PRODUCER_JOIN_SECONDS = 5


def prefetched(pages: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yield `pages` while the next ones are already being fetched, in a thread.

    A poll then waits for the slower of fetching and storing, not for both one after the
    other. The walk's state (the keyset) depends only on pages fetched, never on storing.
    """
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        handoff.put((_PAGE, page), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put((_DONE, None))
        except BaseException as error:  # handed to the consumer, which raises it
            handoff.put((_ERROR, error))

    producer = threading.Thread(target=produce, name="page-prefetch", daemon=True)
    producer.start()
    try:
        while True:
            kind, item = handoff.get()
            if kind is _DONE:
                return
            if kind is _ERROR:
                raise item
            yield item
    finally:
        stop.set()
        producer.join(timeout=PRODUCER_JOIN_SECONDS)
