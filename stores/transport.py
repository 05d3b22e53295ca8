"""How the store client reaches a store: it connects only to addresses it resolved and checked.

Checking a name and then letting the HTTP library resolve it again to connect leaves a gap: a
name that answers a public address first and 127.0.0.1 next (DNS rebinding) would pass the
check and reach loopback. Here each new connection resolves the name once, checks every
address (unless private ones are allowed) and connects to one of those very addresses.
Everything else stays on the name, as urllib3 does it: the Host header, TLS SNI and the
certificate's hostname check.
"""

import socket
from functools import partial

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

from stores.urls import check_addresses, resolve


class _CheckedAddresses:
    """Connection behaviour: connect to the checked addresses of the name, in the resolver's order."""

    def __init__(self, *args, allow_private: bool, **kwargs):
        self.allow_private = allow_private
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        try:
            addresses = resolve(self._dns_host, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        if not self.allow_private:
            check_addresses(addresses)  # StoreUrlError: never retried, never connected
        last_error: OSError | None = None
        for address in addresses:  # as urllib3 does with the addresses it resolves
            try:
                return create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address, socket_options=self.socket_options
                )
            except OSError as error:
                last_error = error
        if isinstance(last_error, TimeoutError):
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})")
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}") from last_error


class CheckedHTTPConnection(_CheckedAddresses, HTTPConnection):
    """An HTTP connection to a checked address of the name."""


class CheckedHTTPSConnection(_CheckedAddresses, HTTPSConnection):
    """An HTTPS connection to a checked address of the name; SNI and certificate checks on the name."""


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = CheckedHTTPSConnection


class CheckedAddressAdapter(HTTPAdapter):
    """A requests transport adapter whose connections go only to addresses it checked."""

    def __init__(self, *, allow_private: bool):
        self.allow_private = allow_private
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        # The pools hand `allow_private` on to each connection they make.
        self.poolmanager.pool_classes_by_scheme = {
            "http": partial(_CheckedHTTPPool, allow_private=self.allow_private),
            "https": partial(_CheckedHTTPSPool, allow_private=self.allow_private),
        }


USER_AGENT = "Storelink/0.1 (+https://github.com/storelink)"


def checked_session(*, allow_private: bool, session: requests.Session | None = None) -> requests.Session:
    """A requests session whose every connection goes to an address resolved and checked for it (private
    ones only when `allow_private`), never through a proxy or with .netrc credentials from the environment."""
    session = session or requests.Session()
    for scheme in ("http://", "https://"):
        session.mount(scheme, CheckedAddressAdapter(allow_private=allow_private))
    session.headers["User-Agent"] = USER_AGENT
    # Proxy settings and .netrc from the environment must not add credentials, nor route around the check.
    session.trust_env = False
    return session
