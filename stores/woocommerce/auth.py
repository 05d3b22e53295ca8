"""The three ways WooCommerce accepts REST API keys, as requests auth objects.

- `oauth1`: one-legged OAuth 1.0a in the query string; the only mode plain-http stores accept.
- `basic`: HTTP Basic over https.
- `query_string`: `?consumer_key=&consumer_secret=` over https, for hosts that strip Authorization.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_QUERY
from oauthlib.oauth1 import Client as OAuthClient
from requests.auth import AuthBase, HTTPBasicAuth

OAUTH1 = "oauth1"
BASIC = "basic"
QUERY_STRING = "query_string"
AUTH_MODES = (OAUTH1, BASIC, QUERY_STRING)


class OAuth1QueryAuth(AuthBase):
    """Signs requests the way WooCommerce checks them.

    WooCommerce rebuilds the signed URL from its configured home URL (host and port) and the
    request path, with the scheme it believes the request came in on, not from the Host
    header. A store reached by another name (an IP, a proxy) is therefore signed for its home
    host and sent to the URL the operator gave.
    """

    def __init__(
        self, consumer_key: str, consumer_secret: str, home_url: str | None = None, signing_scheme: str | None = None
    ):
        self._client = OAuthClient(
            consumer_key,
            client_secret=consumer_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            signature_type=SIGNATURE_TYPE_QUERY,
        )
        self._home_netloc = urlsplit(home_url).netloc if home_url else None
        self._signing_scheme = signing_scheme

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        sent = urlsplit(request.url)
        signed_for = sent._replace(
            scheme=self._signing_scheme or sent.scheme, netloc=self._home_netloc or sent.netloc
        )
        signed_url, _, _ = self._client.sign(urlunsplit(signed_for), request.method)
        request.url = urlunsplit(sent._replace(query=urlsplit(signed_url).query))
        return request


class QueryStringAuth(AuthBase):
    """Puts the keys in the query string (https only: the URL then carries the secret)."""

    def __init__(self, consumer_key: str, consumer_secret: str):
        self._params = {"consumer_key": consumer_key, "consumer_secret": consumer_secret}

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url)
        query = parse_qsl(parts.query, keep_blank_values=True) + list(self._params.items())
        request.url = urlunsplit(parts._replace(query=urlencode(query)))
        return request


def make_auth(mode: str, consumer_key: str, consumer_secret: str, home_url: str | None = None) -> AuthBase:
    """The requests auth object for `mode`."""
    if mode == OAUTH1:
        # OAuth over https is only needed when WordPress sees plain http behind a TLS proxy.
        return OAuth1QueryAuth(consumer_key, consumer_secret, home_url, signing_scheme="http")
    if mode == BASIC:
        return HTTPBasicAuth(consumer_key, consumer_secret)
    if mode == QUERY_STRING:
        return QueryStringAuth(consumer_key, consumer_secret)
    raise ValueError(f"auth mode must be one of {', '.join(AUTH_MODES)}, not {mode!r}")


def candidate_modes(api_url: str) -> tuple[str, ...]:
    """The modes worth trying for a store URL, most natural first."""
    if urlsplit(api_url).scheme == "https":
        # Basic first; query-string keys when a host strips Authorization; OAuth when a
        # TLS-terminating proxy makes WordPress believe the request was plain http.
        return (BASIC, QUERY_STRING, OAUTH1)
    return (OAUTH1,)
