"""The console's sessions, kept in Redis: the cookie carries only a random id.

Signing out deletes the stored session, so a copy of the cookie taken before is worth
nothing; signing in starts a new session (new id, new cookie) that ends SESSION_LIFETIME
later and is never extended. The admin API and the webhook receiver have no sessions.
"""

import re
import secrets
from datetime import timedelta

from flask import Flask, Request, request
from flask.sessions import SessionInterface, SessionMixin, session_json_serializer
from werkzeug.datastructures import CallbackDict

from api.resources import get_redis

# A signed-in operator's session ends this long after signing in.
SESSION_LIFETIME = timedelta(hours=12)
# A session before sign-in (the form's CSRF token) ends sooner: anyone can make one.
ANONYMOUS_SESSION_LIFETIME = timedelta(hours=1)
SESSION_ID_BYTES = 32
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(SESSION_ID_BYTES)
KEY_PREFIX = "storelink:console-session:"
# Paths outside the console: the admin API (token) and the webhook receiver (signatures).
SESSIONLESS_PATHS = ("/api/", "/webhooks/")


class ServerSession(CallbackDict, SessionMixin):
    """A session's values; `session_id` stays None until they are first stored."""

    def __init__(self, values: dict | None = None, session_id: str | None = None):
        def on_update(this: "ServerSession") -> None:
            this.modified = True

        super().__init__(values, on_update)
        self.session_id = session_id
        self.lifetime = ANONYMOUS_SESSION_LIFETIME
        self.modified = False


def restart(session: ServerSession, lifetime: timedelta = ANONYMOUS_SESSION_LIFETIME) -> None:
    """Delete the stored session and go on with an empty one, stored under a new id for `lifetime`."""
    if session.session_id is not None:
        get_redis().delete(KEY_PREFIX + session.session_id)
    session.session_id = None
    session.lifetime = lifetime
    session.clear()


class RedisSessionInterface(SessionInterface):
    """Sessions stored in the app's Redis under a random id, the only thing the cookie holds."""

    def open_session(self, app: Flask, incoming: Request) -> ServerSession | None:
        # Flask opens the session before it matches the URL: the path is all there is to go by.
        if incoming.path.startswith(SESSIONLESS_PATHS):
            return None  # Flask's null session
        session_id = incoming.cookies.get(self.get_cookie_name(app), "")
        if _SESSION_ID.fullmatch(session_id):
            stored = get_redis().get(KEY_PREFIX + session_id)
            if stored is not None:
                return ServerSession(session_json_serializer.loads(stored), session_id)
        return ServerSession()

    def get_cookie_secure(self, app: Flask) -> bool:
        # Marked Secure whenever the request came over https, whatever PUBLIC_URL says.
        return super().get_cookie_secure(app) or request.is_secure

    def save_session(self, app: Flask, session: ServerSession, response) -> None:
        response.vary.add("Cookie")
        if not session.modified:
            return
        name, redis = self.get_cookie_name(app), get_redis()
        cookie = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "httponly": self.get_cookie_httponly(app),
            "samesite": self.get_cookie_samesite(app),
        }
        if not session:
            if session.session_id is not None:
                redis.delete(KEY_PREFIX + session.session_id)
            response.delete_cookie(name, **cookie)
            return
        values = session_json_serializer.dumps(dict(session))
        if session.session_id is None:
            session.session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
            redis.set(KEY_PREFIX + session.session_id, values, ex=session.lifetime)
            response.set_cookie(name, session.session_id, max_age=session.lifetime, **cookie)
        else:
            # Only while it exists, and never for longer: a session ended meanwhile (a sign-out
            # elsewhere, its expiry) stays ended.
            redis.set(KEY_PREFIX + session.session_id, values, xx=True, keepttl=True)
