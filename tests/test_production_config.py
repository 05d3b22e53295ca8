"""Production (a DYNO variable, or STORELINK_ENV=production) refuses development defaults: every
process exits non-zero at start-up with one line per problem, all of them at once."""

import os
import secrets

import pytest

from config import ConfigError, load_settings
from tests.conftest import PROCESSES, run_to_exit
from tests.services import free_port, ready, wait_until

STRONG_TOKEN = secrets.token_urlsafe(32)
STRONG_KEY = secrets.token_urlsafe(32)
COMPLETE = {
    "DYNO": "web.1",
    "DATABASE_URL": "postgres://storelink:pw@db.example.com:5432/storelink",
    "REDIS_URL": "rediss://:pw@redis.example.com:6380",
    "PUBLIC_URL": "https://storelink.example.com",
    "ADMIN_TOKEN": STRONG_TOKEN,
    "SECRET_KEY": STRONG_KEY,
}
# What the tests' own environment sets, which a process started here must not inherit.
TEST_VARIABLES = ("DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "ADMIN_TOKEN", "SECRET_KEY", "STORELINK_ENV", "DYNO")


def problems_of(environ: dict[str, str]) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ).check()
    return raised.value.problems


@pytest.mark.parametrize("mode", [{"DYNO": "web.1"}, {"STORELINK_ENV": "production"}, {"STORELINK_ENV": "Production"}])
def test_production_names_every_missing_setting_at_once(mode):
    problems = problems_of(mode)

    assert [problem.split(" ", 1)[0] for problem in problems] == [
        "SECRET_KEY", "ADMIN_TOKEN", "DATABASE_URL", "REDIS_URL", "PUBLIC_URL"
    ]
    assert all("\n" not in problem for problem in problems)


def test_a_complete_production_environment_passes_and_uses_no_default():
    settings = load_settings(COMPLETE).check()
    assert settings.production and not settings.development
    assert settings.database_url == "postgresql+psycopg://storelink:pw@db.example.com:5432/storelink"
    assert settings.public_url == "https://storelink.example.com"


def test_a_dyno_is_production_even_when_told_development():
    problems = problems_of({**COMPLETE, "STORELINK_ENV": "development", "ADMIN_TOKEN": ""})
    assert problems == ("ADMIN_TOKEN is not set: the admin API would be open to anyone",)


def test_an_unknown_storelink_env_is_refused():
    with pytest.raises(ConfigError, match="STORELINK_ENV must be development or production"):
        load_settings({**COMPLETE, "STORELINK_ENV": "prod"})


@pytest.mark.parametrize(
    "public_url", ["http://storelink.example.com", "storelink.example.com", "https://:443", "ftp://storelink.example.com"]
)
def test_production_wants_an_https_public_url(public_url):
    assert problems_of({**COMPLETE, "PUBLIC_URL": public_url}) == (
        f"PUBLIC_URL must be an https:// address stores can reach, not {public_url!r}",
    )


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("short-" + "a1" * 10, "is 26 characters long: use at least 32"),
        ("x" * 40, "holds only 1 different character: use a random one with at least 8"),
        ("changeme" * 4, "holds only 7 different characters"),
    ],
)
@pytest.mark.parametrize("name", ["ADMIN_TOKEN", "SECRET_KEY"])
def test_production_refuses_weak_secrets_without_quoting_them(name, secret, why):
    problems = problems_of({**COMPLETE, name: secret})

    assert len(problems) == 1 and problems[0].startswith(f"{name} {why}"), problems
    assert secret not in problems[0]


def test_secret_key_rotation_may_list_an_old_weak_key_but_never_an_empty_one():
    assert load_settings({**COMPLETE, "SECRET_KEY": f"{STRONG_KEY},old-weak-key"}).check()
    assert problems_of({**COMPLETE, "SECRET_KEY": f"old-weak-key,{STRONG_KEY}"}) == (
        "SECRET_KEY's first (newest) key is 12 characters long: use at least 32"
        " (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')",
    )
    assert problems_of({**COMPLETE, "SECRET_KEY": f"{STRONG_KEY},"}) == (
        "SECRET_KEY lists an empty key (a stray comma or space?): give the keys as new,old",
    )


def test_malformed_numbers_are_named_beside_every_other_problem():
    environ = {
        "DYNO": "web.1", "MAX_WEBHOOK_BYTES": "2MB", "STORE_TIMEOUT_SECONDS": "soon", "CLOCK_TICK_SECONDS": "-1",
        "EVENT_RETRY_SECONDS": "5,30,later", "PORT": "http", "FAILED_JOB_TTL_DAYS": "0",
    }
    with pytest.raises(ConfigError) as raised:
        load_settings(environ)  # no bare ValueError, and not only the first

    named = [problem.split(" ", 1)[0] for problem in raised.value.problems]
    assert named == [
        "PORT", "MAX_WEBHOOK_BYTES", "STORE_TIMEOUT_SECONDS", "CLOCK_TICK_SECONDS", "EVENT_RETRY_SECONDS",
        "FAILED_JOB_TTL_DAYS", "SECRET_KEY", "ADMIN_TOKEN", "DATABASE_URL", "REDIS_URL", "PUBLIC_URL",
    ]
    assert "MAX_WEBHOOK_BYTES must be a whole number of at least 1, not '2MB'" in raised.value.problems


def test_outside_production_the_local_defaults_stay():
    settings = load_settings({"SECRET_KEY": "k", "ADMIN_TOKEN": "x" * 32}).check()
    assert not settings.production
    assert settings.database_url.startswith("sqlite:///") and settings.public_url == "http://localhost:5000"


def production_environment(**values: str) -> dict[str, str]:
    """os.environ without the test run's settings, plus `values`."""
    base = {name: value for name, value in os.environ.items() if name not in TEST_VARIABLES}
    return {**base, "PORT": str(free_port()), **values}


@pytest.mark.e2e
@pytest.mark.parametrize("name", PROCESSES)
def test_every_process_refuses_to_start_in_production_with_a_line_per_problem(tmp_path, name):
    weak_token, weak_key = "x" * 40, "short-key"
    environ = production_environment(
        DYNO=f"{name}.1", PUBLIC_URL="http://storelink.example.com", ADMIN_TOKEN=weak_token, SECRET_KEY=weak_key,
        CLOCK_TICK_SECONDS="soon", GUNICORN_THREADS="eight",
    )
    exit_code, log = run_to_exit(name, environ, tmp_path)

    assert exit_code != 0, log
    refusals = [line for line in log.splitlines() if "Refusing to start" in line]
    named = sorted(line.split("Refusing to start: ", 1)[1].split(" ", 1)[0] for line in refusals)
    expected = ["ADMIN_TOKEN", "CLOCK_TICK_SECONDS", "DATABASE_URL", "PUBLIC_URL", "REDIS_URL", "SECRET_KEY"]
    assert named == sorted(expected + (["GUNICORN_THREADS"] if name == "web" else [])), log
    assert "Traceback" not in log
    assert weak_token not in log and weak_key not in log


@pytest.mark.e2e
def test_a_complete_production_environment_starts_every_process(start_service):
    service = start_service(
        workers=1, clock=True, extra={"DYNO": "web.1", "PUBLIC_URL": "https://storelink.example.com"}
    )

    assert ready(service.url)
    logs = service.processes.logs
    wait_until(
        lambda: "started with PID" in (logs / "worker0.log").read_text() and "clock started" in (logs / "clock.log").read_text(),
        timeout=30, what="worker and clock running",
    )
    assert "Refusing to start" not in service.processes.output()
