"""Paging helpers: prefetching keeps order, passes errors on, and stops with its consumer."""

import sys
import threading

import pytest

from stores.prefetch import prefetched


def test_prefetched_pages_come_in_order():
    assert list(prefetched(iter(range(50)))) == list(range(50))


def test_a_fetch_error_reaches_the_consumer_after_the_pages_before_it():
    def pages():
        yield 1
        yield 2
        raise RuntimeError("store answered 503")

    seen = []
    with pytest.raises(RuntimeError, match="503"):
        for page in prefetched(pages()):
            seen.append(page)
    assert seen == [1, 2]


def test_a_consumer_that_stops_stops_the_fetching():
    fetched = []
    finished = threading.Event()

    def pages():
        try:
            for number in range(1000):
                fetched.append(number)
                yield number
        finally:
            finished.set()

    for page in prefetched(pages()):
        if page == 3:
            break
    assert len(fetched) <= 6  # at most the page handed over and the one being fetched
    assert not any(thread.name == "page-prefetch" and thread.is_alive() for thread in threading.enumerate())


def test_prefetching_leaves_the_gil_switch_interval_alone():
    # No process-wide interpreter setting changes at run time (issue 15.4).
    before = sys.getswitchinterval()
    seen = [sys.getswitchinterval() for _ in prefetched(iter(range(3)))]
    assert seen == [before] * 3
    assert sys.getswitchinterval() == before

    def failing():
        yield 1
        raise RuntimeError("store went away")

    with pytest.raises(RuntimeError):
        list(prefetched(failing()))
    assert sys.getswitchinterval() == before
