"""Configuration read from the environment once, shared by web, worker and clock."""

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_PORT = 5000
# Local runs keep their state (SQLite database, generated keys) here; never committed.
VAR_DIR = Path(__file__).resolve().parent.parent / "var"
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'storelink.db'}"
DEFAULT_REDIS_URL = "redis://localhost:6379/0"
# Largest webhook body accepted; WooCommerce orders with hundreds of lines stay far below.
DEFAULT_MAX_WEBHOOK_BYTES = 2 * 1024 * 1024
# Delays before an event job that failed for a passing reason (database away) runs again.
DEFAULT_EVENT_RETRY_SECONDS = (5, 30, 120, 600, 1800)
# How often the clock looks for due polls.
DEFAULT_CLOCK_TICK_SECONDS = 60.0
# How long a store may take to answer one request before we call it unreachable.
DEFAULT_STORE_TIMEOUT_SECONDS = 20.0
# How long RQ keeps a failed job (RQ's own default is a year).
DEFAULT_FAILED_JOB_TTL_DAYS = 30
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
# Outside development the admin token must be at least this long: it is the console's password.
MIN_ADMIN_TOKEN_LENGTH = 32


class ConfigError(RuntimeError):
    """The environment does not describe a runnable service."""


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

    def __repr__(self) -> str:
        # Never print the admin token or the encryption key, even by accident.
        return f"Settings(database_url={_redact_url(self.database_url)!r}, redis_url={_redact_url(self.redis_url)!r}, public_url={self.public_url!r})"

    def with_overrides(self, overrides: Mapping[str, object]) -> "Settings":
        """Return a copy with the given fields replaced."""
        return replace(self, **overrides)

    def check(self) -> "Settings":
        """Fail loudly on settings no process can run with."""
        if not self.secret_key:
            raise ConfigError("SECRET_KEY is not set: it encrypts store credentials at rest")
        if not self.development:
            if not self.admin_token:
                raise ConfigError("ADMIN_TOKEN is not set: the admin API would be open to anyone")
            if len(self.admin_token) < MIN_ADMIN_TOKEN_LENGTH:
                raise ConfigError(
                    f"ADMIN_TOKEN is {len(self.admin_token)} characters long: use at least {MIN_ADMIN_TOKEN_LENGTH}"
                    " (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
                )
            if self.metrics_token and len(self.metrics_token) < MIN_ADMIN_TOKEN_LENGTH:
                raise ConfigError(
                    f"METRICS_TOKEN is {len(self.metrics_token)} characters long: use at least {MIN_ADMIN_TOKEN_LENGTH}"
                )
        return self


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


def _seconds_list(value: str | None) -> tuple[int, ...]:
    """`"5,30,120"` → (5, 30, 120); empty → ()."""
    try:
        return tuple(int(part) for part in (value or "").split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"EVENT_RETRY_SECONDS must be comma-separated whole seconds, not {value!r}") from None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no variable: 1/true/yes/on or 0/false/no/off; unset or empty is `default`."""
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value not in TRUE_WORDS | FALSE_WORDS:
        raise ConfigError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), not {env[name]!r}")
    return value in TRUE_WORDS


def _whole(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    """A whole number of at least `minimum`; unset or empty is `default`."""
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum}, not {env[name]!r}")
    return number


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (os.environ by default)."""
    env = os.environ if environ is None else environ
    port = env.get("PORT", str(DEFAULT_PORT))
    return Settings(
        database_url=normalize_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
        redis_url=env.get("REDIS_URL") or DEFAULT_REDIS_URL,
        redis_tls_verify=_flag(env, "REDIS_TLS_VERIFY", True),
        public_url=(env.get("PUBLIC_URL") or f"http://localhost:{port}").rstrip("/"),
        admin_token=env.get("ADMIN_TOKEN", ""),
        metrics_token=env.get("METRICS_TOKEN", "").strip(),
        secret_key=env.get("SECRET_KEY", ""),
        allow_private_store_urls=env.get("ALLOW_PRIVATE_STORE_URLS", "").lower() in TRUE_WORDS,
        development=env.get("STORELINK_ENV", "").lower() == "development",
        max_webhook_bytes=int(env.get("MAX_WEBHOOK_BYTES", DEFAULT_MAX_WEBHOOK_BYTES)),
        store_timeout_seconds=float(env.get("STORE_TIMEOUT_SECONDS", DEFAULT_STORE_TIMEOUT_SECONDS)),
        store_ca_bundle=env.get("STORE_CA_BUNDLE") or None,
        clock_tick_seconds=float(env.get("CLOCK_TICK_SECONDS", DEFAULT_CLOCK_TICK_SECONDS)),
        event_retry_seconds=_seconds_list(env.get("EVENT_RETRY_SECONDS")) or DEFAULT_EVENT_RETRY_SECONDS,
        failed_job_ttl_days=_whole(env, "FAILED_JOB_TTL_DAYS", DEFAULT_FAILED_JOB_TTL_DAYS),
        trusted_proxy_count=_whole(env, "TRUSTED_PROXY_COUNT", 0, minimum=0),
    )


@functools.cache
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return load_settings().check()
