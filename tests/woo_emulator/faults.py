"""Host-level trouble for tests: forced error answers and slow answers for matching paths."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


@dataclass
class Failure:
    """Answer the next `remaining` matching requests with `status`."""

    path_substring: str
    status: int
    remaining: int
    retry_after: int | str | None = None
    body: Any = None
    method: str | None = None  # None: any method


@dataclass
class Delay:
    """Sleep before answering the next `remaining` matching requests."""

    path_substring: str
    seconds: float
    remaining: int


def nginx_error_page(status: int) -> str:
    """The HTML an nginx front end answers errors with."""
    try:
        title = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        title = str(status)
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
    )


class Faults:
    """Pending failures and delays, consumed first come first served."""

    def __init__(self) -> None:
        self._failures: list[Failure] = []
        self._delays: list[Delay] = []
        self._lock = threading.Lock()

    def fail_next(self, failure: Failure) -> None:
        """Queue a failure."""
        with self._lock:
            self._failures.append(failure)

    def delay_next(self, delay: Delay) -> None:
        """Queue a delay."""
        with self._lock:
            self._delays.append(delay)

    def clear(self) -> None:
        """Forget everything queued."""
        with self._lock:
            self._failures.clear()
            self._delays.clear()

    def take(self, uri: str, method: str = "GET") -> tuple[float, Failure | None]:
        """The delay (seconds) and failure that apply to this request, using them up."""
        with self._lock:
            seconds = 0.0
            for delay in self._delays:
                if delay.path_substring in uri:
                    seconds = delay.seconds
                    delay.remaining -= 1
                    break
            self._delays = [delay for delay in self._delays if delay.remaining > 0]
            chosen = None
            for failure in self._failures:
                if failure.path_substring in uri and failure.method in (None, method):
                    chosen = failure
                    failure.remaining -= 1
                    break
            self._failures = [failure for failure in self._failures if failure.remaining > 0]
            return seconds, chosen
