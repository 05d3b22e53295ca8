"""Configuration read from the environment once, shared by web, worker and clock.

Three modes: development (`STORELINK_ENV=development`, what `bin/dev` sets), production (a
`DYNO` variable, as on Heroku, or `STORELINK_ENV=production`) and neither (the tests). In
production nothing falls back to a development default: every problem is collected and
reported at once, one line each (`ConfigError.problems`).
"""

import base64
import binascii
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from config.variables import ConfigError, Reader, flag, seconds, seconds_list, whole

DEFAULT_PORT = 5000
# Local runs keep their state (SQLite database, generated keys) here; never committed.
VAR_DIR = Path(__file__).resolve().parent.parent / "var"
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'storelink.db'}"
DEFAULT_REDIS_URL = "redis://localhost:6379/0"
# Largest webhook body accepted; orders with hundreds of lines stay far below.
DEFAULT_MAX_WEBHOOK_BYTES = 2 * 1024 * 1024
# Delays before an event job that failed for a passing reason (database away) runs again.
DEFAULT_EVENT_RETRY_SECONDS = (5, 30, 120, 600, 1800)
# How often the clock looks for due polls.
DEFAULT_CLOCK_TICK_SECONDS = 60.0
# How long a store may take to answer one request before we call it unreachable.
DEFAULT_STORE_TIMEOUT_SECONDS = 20.0
# How long RQ keeps a failed job (RQ's own default is a year).
DEFAULT_FAILED_JOB_TTL_DAYS = 30
# Outside development the admin token must be at least this long: it is the console's password.
# In production the newest key of SECRET_KEY must be as long.
MIN_ADMIN_TOKEN_LENGTH = 32
# In production a secret must also hold this many different characters: 32 random hex digits
# hold 14 on average (fewer than 8 about once in 10^7), a placeholder repeated to length few
# ("changeme..." 7, "passwordpassword..." 7, "xxxx..." 1).
MIN_DISTINCT_SECRET_CHARACTERS = 8
# Standard Webhooks secrets (NOTIFY_SECRET): `whsec_` and the base64 of this many random bytes.
NOTIFY_SECRET_PREFIX = "whsec_"
NOTIFY_SECRET_BYTES = (24, 64)
STAGES = ("development", "production")
GENERATE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


@dataclass(frozen=True)
class Settings:
    """Everything the processes need to know about their surroundings."""

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    # Whether a `rediss://` server's certificate is verified (Heroku Redis's is self-signed).
    redis_tls_verify: bool = True
    public_url: str = f"http://localhost:{DEFAULT_PORT}"
    admin_token: str = ""
    # A second bearer token that opens `GET /metrics` only (for the scraper); empty: none.
    metrics_token: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    allow_private_store_urls: bool = False
    development: bool = False
    # A DYNO variable, or STORELINK_ENV=production: no development defaults, secrets checked.
    production: bool = False
    max_webhook_bytes: int = DEFAULT_MAX_WEBHOOK_BYTES
    store_timeout_seconds: float = DEFAULT_STORE_TIMEOUT_SECONDS
    # PEM bundle to trust for stores with a private CA; None means the system's trust store.
    store_ca_bundle: str | None = None
    clock_tick_seconds: float = DEFAULT_CLOCK_TICK_SECONDS
    event_retry_seconds: tuple[int, ...] = DEFAULT_EVENT_RETRY_SECONDS
    # Failed jobs keep their arguments (a delivery's customer data) this long, then expire.
    failed_job_ttl_days: int = DEFAULT_FAILED_JOB_TTL_DAYS
    # Proxies in front of the web process that append to X-Forwarded-For (Heroku's router: 1).
    trusted_proxy_count: int = 0
    # Where the back office is told that records changed (jobs.notify), and the key that signs it.
    notify_url: str = ""
    notify_secret: str = field(default="", repr=False)
    # Whether NOTIFY_URL may resolve to loopback or private addresses (a back office beside Storelink).
    allow_private_notify_urls: bool = False

    def __repr__(self) -> str:
        # Never print the admin token or the encryption key, even by accident.
        return f"Settings(database_url={_redact_url(self.database_url)!r}, redis_url={_redact_url(self.redis_url)!r}, public_url={self.public_url!r})"

    def with_overrides(self, overrides: Mapping[str, object]) -> "Settings":
        """Return a copy with the given fields replaced."""
        return replace(self, **overrides)

    def check(self) -> "Settings":
        """Fail loudly on settings no process can run with: ConfigError names every problem."""
        problems = self.problems()
        if problems:
            raise ConfigError(*problems)
        return self

    def problems(self) -> list[str]:
        """What stops a process from running with these settings, one line each (no secret quoted)."""
        found = []
        if not self.secret_key:
            found.append("SECRET_KEY is not set: it encrypts store credentials at rest")
        elif self.production:
            found += _secret_key_problems(self.secret_key)
        if not self.development:
            if not self.admin_token:
                found.append("ADMIN_TOKEN is not set: the admin API would be open to anyone")
            else:
                found += _weakness("ADMIN_TOKEN", self.admin_token, variety=self.production)
            if self.metrics_token:
                found += _weakness("METRICS_TOKEN", self.metrics_token, variety=self.production)
        found += notify_problems("NOTIFY_URL", self.notify_url, "NOTIFY_SECRET", self.notify_secret, https=self.production)
        if self.production:
            for name, value in (("DATABASE_URL", self.database_url), ("REDIS_URL", self.redis_url)):
                if not value:
                    found.append(f"{name} is not set: production has no local default")
            found += _public_url_problems(self.public_url)
        return found


def _weakness(name: str, secret: str, *, variety: bool) -> list[str]:
    """Why `secret` is too weak to stand for `name`: too short, or (`variety`) too few different characters."""
    if len(secret) < MIN_ADMIN_TOKEN_LENGTH:
        return [f"{name} is {len(secret)} characters long: use at least {MIN_ADMIN_TOKEN_LENGTH} (e.g. {GENERATE_SECRET})"]
    if variety and len(set(secret)) < MIN_DISTINCT_SECRET_CHARACTERS:
        return [
            f"{name} holds only {_characters(len(set(secret)))}: use a random one with at least"
            f" {MIN_DISTINCT_SECRET_CHARACTERS} (e.g. {GENERATE_SECRET})"
        ]
    return []


def _characters(count: int) -> str:
    return f"{count} different character" + ("" if count == 1 else "s")


def _secret_key_problems(secret_key: str) -> list[str]:
    """SECRET_KEY is `newest` or `newest,older,...`: the newest (which encrypts) strong, none empty.

    Older keys are only decrypted with, so a weak one may stay listed until re-encryption retires it.
    """
    keys = [key.strip() for key in secret_key.split(",")]
    if not all(keys):
        return ["SECRET_KEY lists an empty key (a stray comma or space?): give the keys as new,old"]
    return _weakness("SECRET_KEY" if len(keys) == 1 else "SECRET_KEY's first (newest) key", keys[0], variety=True)


def _public_url_problems(public_url: str) -> list[str]:
    """PUBLIC_URL in production: set, and an https:// address with a host."""
    if not public_url:
        return ["PUBLIC_URL is not set: stores deliver webhooks to it (e.g. https://<app>.herokuapp.com)"]
    try:
        parts = urlsplit(public_url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme != "https" or not host:
        return [f"PUBLIC_URL must be an https:// address stores can reach, not {public_url!r}"]
    return []


def notify_problems(url_name: str, url: str, secret_name: str, secret: str, *, https: bool) -> list[str]:
    """What is wrong with a notification endpoint (`url`) and its signing `secret`; both may be unset."""
    if not url:
        return [f"{secret_name} is set but {url_name} is not: set both, or neither"] if secret else []
    found = []
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    schemes = ("https",) if https else ("http", "https")
    if parts is None or parts.scheme not in schemes or not host or parts.username or parts.password:
        found.append(f"{url_name} must be an {' or '.join(f'{scheme}://' for scheme in schemes)} address with a host and no password")
    if not secret:
        found.append(f"{secret_name} is not set: it signs what is sent to {url_name} ({NOTIFY_SECRET_PREFIX}<base64 of 24 to 64 random bytes>)")
    elif not notify_secret_is_valid(secret):
        found.append(
            f"{secret_name} must be {NOTIFY_SECRET_PREFIX} followed by the base64 of {NOTIFY_SECRET_BYTES[0]} to"
            f" {NOTIFY_SECRET_BYTES[1]} random bytes (e.g. python -c 'import base64, secrets;"
            f" print(\"{NOTIFY_SECRET_PREFIX}\" + base64.b64encode(secrets.token_bytes(32)).decode())')"
        )
    return found


def notify_secret_is_valid(secret: str) -> bool:
    """Whether `secret` is a Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 bytes."""
    if not secret.startswith(NOTIFY_SECRET_PREFIX):
        return False
    try:
        key = base64.b64decode(secret[len(NOTIFY_SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return False
    return NOTIFY_SECRET_BYTES[0] <= len(key) <= NOTIFY_SECRET_BYTES[1]


def _redact_url(url: str) -> str:
    """Hide the password part of a URL."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def normalize_database_url(url: str) -> str:
    """Accept Heroku's `postgres://` form and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (os.environ by default).

    A malformed value raises ConfigError naming it, with every other problem found beside it.
    """
    env = os.environ if environ is None else environ
    read = Reader(env)
    stage = env.get("STORELINK_ENV", "").strip().lower()
    if stage and stage not in STAGES:
        read.problems.append(f"STORELINK_ENV must be development or production (or unset), not {env['STORELINK_ENV']!r}")
    production = bool(env.get("DYNO")) or stage == "production"
    port = read(whole, "PORT", DEFAULT_PORT, minimum=0, maximum=65535)
    settings = Settings(
        database_url=normalize_database_url(env.get("DATABASE_URL") or ("" if production else DEFAULT_DATABASE_URL)),
        redis_url=env.get("REDIS_URL") or ("" if production else DEFAULT_REDIS_URL),
        redis_tls_verify=read(flag, "REDIS_TLS_VERIFY", True),
        public_url=(env.get("PUBLIC_URL") or ("" if production else f"http://localhost:{port}")).rstrip("/"),
        admin_token=env.get("ADMIN_TOKEN", ""),
        metrics_token=env.get("METRICS_TOKEN", "").strip(),
        secret_key=env.get("SECRET_KEY", ""),
        allow_private_store_urls=read(flag, "ALLOW_PRIVATE_STORE_URLS", False),
        development=stage == "development" and not production,
        production=production,
        max_webhook_bytes=read(whole, "MAX_WEBHOOK_BYTES", DEFAULT_MAX_WEBHOOK_BYTES),
        store_timeout_seconds=read(seconds, "STORE_TIMEOUT_SECONDS", DEFAULT_STORE_TIMEOUT_SECONDS),
        store_ca_bundle=env.get("STORE_CA_BUNDLE") or None,
        clock_tick_seconds=read(seconds, "CLOCK_TICK_SECONDS", DEFAULT_CLOCK_TICK_SECONDS),
        event_retry_seconds=read(seconds_list, "EVENT_RETRY_SECONDS", DEFAULT_EVENT_RETRY_SECONDS),
        failed_job_ttl_days=read(whole, "FAILED_JOB_TTL_DAYS", DEFAULT_FAILED_JOB_TTL_DAYS),
        trusted_proxy_count=read(whole, "TRUSTED_PROXY_COUNT", 0, minimum=0),
        notify_url=env.get("NOTIFY_URL", "").strip(),
        notify_secret=env.get("NOTIFY_SECRET", "").strip(),
        allow_private_notify_urls=read(flag, "ALLOW_PRIVATE_NOTIFY_URLS", False),
    )
    if read.problems:
        raise ConfigError(*read.problems, *settings.problems())
    return settings


def configuration_problems(environ: Mapping[str, str] | None = None) -> list[str]:
    """Every problem `load_settings(environ).check()` would raise, one line each; [] when none."""
    try:
        load_settings(environ).check()
    except ConfigError as error:
        return list(error.problems)
    return []


@functools.cache
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return load_settings().check()
