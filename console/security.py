"""Sign-in state, CSRF and response headers for the console.

Sessions are kept in Redis (console/sessions.py). A signed-in session holds a fingerprint of
the admin token keyed by SECRET_KEY, so changing ADMIN_TOKEN signs every operator out, and
rotating SECRET_KEY as `new,old` does not.
"""

import hashlib
import hmac
import re
import secrets

from flask import abort, current_app, jsonify, redirect, request, session, url_for

from api.auth import authenticate
from api.resources import EXTENSION, get_settings
from console import sessions
from console.blueprint import bp

SESSION_KEY_LABEL = b"storelink-console-session"
SESSION_COOKIE_NAME = "storelink_console"
CSRF_FIELD = "csrf_token"
# Where sign-in may return to: a path on this site in printable ASCII, without spaces or
# backslashes (browsers read `\` as `/`), never starting `//`. Control characters are refused
# rather than dropped: werkzeug strips a tab from a Location, making `/\t/evil` into `//evil`.
SAME_SITE_PATH = re.compile(r"/(?![/\\])[!-\[\]-~]*")
CSRF_TOKEN_BYTES = 32
OPERATOR = "operator"
# Pages anyone may see; everything else needs a signed-in operator.
PUBLIC_ENDPOINTS = frozenset({"console.sign_in", "console.submit_sign_in", "console.static"})
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def session_key(secret_key: str) -> str:
    """The key of the console's fingerprints (admin token, verified fields) for one SECRET_KEY.

    Never the encryption key itself.
    """
    return hmac.new(secret_key.encode("utf-8"), SESSION_KEY_LABEL, hashlib.sha256).hexdigest()


@bp.record_once
def _configure_app(state) -> None:
    app = state.app
    settings = app.extensions[EXTENSION].settings
    keys = [key.strip() for key in settings.secret_key.split(",") if key.strip()]
    app.secret_key = session_key(keys[0])
    app.config["SECRET_KEY_FALLBACKS"] = [session_key(key) for key in keys[1:]]
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Behind Heroku's router requests arrive as http; PUBLIC_URL says what users see.
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
    )
    app.session_interface = sessions.RedisSessionInterface()


def csrf_token() -> str:
    """The session's CSRF token, made on first use; every form sends it back."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(CSRF_TOKEN_BYTES)
    return session[CSRF_FIELD]


def _csrf_valid() -> bool:
    expected = session.get(CSRF_FIELD)
    given = request.form.get(CSRF_FIELD, "")
    return bool(expected) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _operator_fingerprint(key: str | None = None) -> str:
    # Tied to the admin token: changing ADMIN_TOKEN signs every operator out.
    key = key or current_app.secret_key
    return hmac.new(key.encode("utf-8"), get_settings().admin_token.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_in(token: str) -> bool:
    """Start an operator session if `token` is the admin token (raises api.auth.TooManyAttempts)."""
    if not authenticate(token):
        return False
    # A new session (id, cookie and CSRF token) on sign-in: nothing planted before it survives.
    sessions.restart(session, lifetime=sessions.SESSION_LIFETIME)
    session[OPERATOR] = _operator_fingerprint()
    csrf_token()
    return True


def signed_in() -> bool:
    """Whether the request comes from a signed-in operator."""
    fingerprint = session.get(OPERATOR)
    if not isinstance(fingerprint, str):
        return False
    # Sessions begun before a SECRET_KEY rotation carry a fingerprint made with the old key.
    keys = [current_app.secret_key, *(current_app.config["SECRET_KEY_FALLBACKS"] or [])]
    return any(hmac.compare_digest(fingerprint, _operator_fingerprint(key)) for key in keys)


def sign_out() -> None:
    """End the operator session where it is kept: a copy of its cookie no longer signs anyone in."""
    sessions.restart(session)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: no redirects elsewhere after sign-in."""
    if not target or not SAME_SITE_PATH.fullmatch(target):
        return None
    return target


@bp.before_request
def _guard():
    if request.endpoint == "console.static":
        return None
    if request.method == "POST" and not _csrf_valid():
        abort(400, "This form has expired or did not come from this console. Reload the page and try again.")
    if request.endpoint in PUBLIC_ENDPOINTS or signed_in():
        return None
    if request.path.endswith(".json"):
        return jsonify(error={"code": "unauthorized", "message": "sign in to the console"}), 401
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("console.sign_in", next=target if target != "/" else None))


@bp.after_request
def _headers(response):
    if request.endpoint == "console.static":
        return response
    # Pages carry store details (the new-connection form even the secret): never cache them.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
