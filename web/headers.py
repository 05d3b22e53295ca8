"""Headers every response carries, the receiver's and the Flask app's alike."""

from collections.abc import Callable, Iterable

# Browsers must take a response for the type it declares: a JSON error that echoes input is
# never sniffed into HTML or script.
NOSNIFF = ("X-Content-Type-Options", "nosniff")


class StandardHeaders:
    """WSGI middleware that adds the standard headers to every response of `app`."""

    def __init__(self, app: Callable[[dict, Callable], Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start(status: str, headers: list, exc_info=None):
            headers.append(NOSNIFF)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)
