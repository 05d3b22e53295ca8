"""Apps installed on the shop, their scopes and access tokens, and the client credentials grant.

Two kinds of app, as merchants have them in 2026: a legacy admin-created custom app with a
permanent `shpat_` Admin API access token and an API secret key, and a Dev Dashboard app with a
Client ID and Client secret that trade for a token lasting `token_lifetime` seconds (86399).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TOKEN_LIFETIME_SECONDS = 86399
INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
# No documented error text for a refused grant: two readings, chosen by `grant_refusal`.
GRANT_REFUSALS = {
    "oauth": (400, {"error": "invalid_client",
                    "error_description": "Client authentication failed due to unknown client, "
                                         "no client authentication included, or unsupported authentication method."}),
    "api": (401, INVALID_TOKEN),
}
SCOPE_DESCRIPTIONS = {
    "read_orders": "Read orders, transactions, and fulfillments",
    "read_all_orders": "Read all orders",
    "read_products": "Read products, variants, and collections",
    "write_orders": "Modify orders, transactions, and fulfillments",
    "write_products": "Modify products, variants, and collections",
}


@dataclass
class App:
    """An app installed on the shop; `secret` signs its webhooks (API secret key / Client secret)."""

    id: int
    kind: str  # "legacy" or "dev_dashboard"
    title: str
    client_id: str
    secret: str
    scopes: list[str]
    installed: bool = True
    access_token: str | None = None  # legacy apps only: the permanent shpat_ token

    def has_scope(self, handle: str) -> bool:
        """Granted directly, or implied (write_x grants read_x)."""
        if handle in self.scopes:
            return True
        return handle.startswith("read_") and "write_" + handle[len("read_"):] in self.scopes


@dataclass
class Token:
    app: App
    value: str
    expires_at: float | None  # None: never


@dataclass
class AppRegistry:
    """Apps and live tokens; `clock` decides expiry."""

    clock: Callable[[], float]
    token_lifetime: float = TOKEN_LIFETIME_SECONDS
    grant_refusal: str = "oauth"
    apps: dict[int, App] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    grants: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, scopes: list[str], title: str, installed: bool = True) -> App:
        """Register an app; a legacy one gets its permanent token now."""
        with self.lock:
            app = App(
                id=len(self.apps) + 1_000_001,
                kind=kind,
                title=title,
                client_id=secrets.token_hex(16),
                secret=("shpss_" if kind == "legacy" else "") + secrets.token_hex(16),
                scopes=list(scopes),
                installed=installed,
            )
            if kind == "legacy":
                app.access_token = "shpat_" + secrets.token_hex(16)
                self.tokens[app.access_token] = Token(app, app.access_token, None)
            self.apps[app.id] = app
            return app

    def authenticate(self, value: str | None) -> App | None:
        """The installed app a token belongs to, unless unknown, revoked or expired."""
        with self.lock:
            token = self.tokens.get(value or "")
            if token is None or not token.app.installed:
                return None
            if token.expires_at is not None and self.clock() >= token.expires_at:
                return None
            return token.app

    def grant(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /admin/oauth/access_token with grant_type=client_credentials: (status, JSON body)."""
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "The authorization grant type is not supported by the authorization server."}
        with self.lock:
            app = next((a for a in self.apps.values() if a.client_id == form.get("client_id")), None)
            if (app is None or app.kind != "dev_dashboard" or not app.installed
                    or not secrets.compare_digest(app.secret, str(form.get("client_secret", "")))):
                return GRANT_REFUSALS[self.grant_refusal]
            value = "shpat_" + secrets.token_hex(16)
            self.tokens[value] = Token(app, value, self.clock() + self.token_lifetime)
            self.grants += 1
            return 200, {"access_token": value, "scope": ",".join(app.scopes), "expires_in": int(self.token_lifetime)}

    def uninstall(self, app: App) -> None:
        """The merchant uninstalls the app: its tokens stop working."""
        with self.lock:
            app.installed = False
            self.tokens = {value: token for value, token in self.tokens.items() if token.app is not app}

    def reinstall(self, app: App) -> None:
        """Install again (a legacy app gets a new permanent token, as Shopify reveals a new one)."""
        with self.lock:
            app.installed = True
            if app.kind == "legacy":
                app.access_token = "shpat_" + secrets.token_hex(16)
                self.tokens[app.access_token] = Token(app, app.access_token, None)
