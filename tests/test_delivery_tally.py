"""The receiver's rare outcomes are counted in its process (`webhooks.tally`): a flood of 404s
makes no Redis call per request, and the counts still reach `GET /metrics`."""

import os

import pytest
from redis import Redis

from jobs.counters import read_counters
from tests.factories import make_connection
from tests.fixtures import load_delivery
from tests.services import free_port, wait_until
from tests.test_metrics import scrape, value
from tests.test_receiver import post_delivery
from web import create_app
from webhooks.receiver import EXTENSION
from webhooks.tally import DeliveryTally

# A Redis database of their own: MONITOR tells which database each command went to, so
# commands of any other app in this process (its timers) are told apart.
DB = 7
FLOOD = 200
END = "tally-test-end"


def redis_url(environment) -> str:
    return environment["REDIS_URL"].rsplit("/", 1)[0] + f"/{DB}"


@pytest.fixture
def isolated(environment):
    """(app, its receiver, a client on its Redis database) for an app using Redis database DB."""
    url = redis_url(environment)
    app = create_app({"redis_url": url})
    app.config["TESTING"] = True
    redis = Redis.from_url(url)
    yield app, app.extensions[EXTENSION], redis
    redis.flushdb()
    redis.close()


def commands_while(redis: Redis, action) -> list[tuple[str, str]]:
    """(sender: "lua" or "tcp", command) sent to `redis`'s database while `action()` ran, as MONITOR saw them."""
    marker = Redis(connection_pool=redis.connection_pool.__class__(**redis.connection_pool.connection_kwargs))
    marker.ping()  # its connection is set up (SELECT) before watching
    with redis.monitor() as monitor:
        action()
        marker.echo(END)  # the last command MONITOR will show: nothing is waited for by time
        seen = []
        while END not in (command := monitor.next_command())["command"]:
            if command["db"] == DB:
                seen.append((command["client_type"], command["command"]))
    marker.close()
    return seen


def test_a_flood_of_404s_makes_no_redis_call_per_request(isolated, client):
    app, receiver, redis = isolated
    receiver.tally.flush_seconds = None  # only pushes and scrapes send counts: the timer is tested below
    anonymous = app.test_client()
    delivery = load_delivery("04")

    def flood() -> None:
        for number in range(FLOOD):
            assert post_delivery(anonymous, f"no-such-connection-{number}", delivery).status_code == 404

    assert commands_while(redis, flood) == []
    metrics = app.test_client()
    metrics.environ_base["HTTP_AUTHORIZATION"] = client.environ_base["HTTP_AUTHORIZATION"]
    assert value(scrape(metrics), "storelink_webhook_deliveries_total", outcome="404") == FLOOD
    assert value(scrape(metrics), "storelink_webhook_deliveries_total", outcome="404") == FLOOD  # sent once


def test_rare_outcomes_ride_with_the_next_buffered_delivery(isolated):
    app, receiver, redis = isolated
    receiver.tally.flush_seconds = None
    anonymous = app.test_client()
    connection_id = make_connection()

    def deliveries() -> None:
        assert post_delivery(anonymous, connection_id, load_delivery("10")).status_code == 401
        assert post_delivery(anonymous, "no-such-connection", load_delivery("04")).status_code == 404
        assert post_delivery(anonymous, connection_id, load_delivery("01")).status_code == 200  # a ping
        assert post_delivery(anonymous, connection_id, load_delivery("04")).status_code == 202

    sent = commands_while(redis, deliveries)
    assert [command for sender, command in sent if sender != "lua" and command.upper().startswith("HINCRBY")] == []
    in_the_push = [command.split()[2] for sender, command in sent if sender == "lua" and command.upper().startswith("HINCRBY")]
    assert sorted(in_the_push) == ["deliveries:401", "deliveries:404", "deliveries:ping", "deliveries:queued"]
    counted = read_counters(redis)
    assert {field: counted.get(field) for field in ("deliveries:401", "deliveries:404", "deliveries:ping", "deliveries:queued")} == {
        "deliveries:401": "1", "deliveries:404": "1", "deliveries:ping": "1", "deliveries:queued": "1"
    }
    assert receiver.tally.take() == {}


def test_the_timer_sends_counts_that_no_push_or_scrape_takes(isolated):
    app, receiver, redis = isolated
    assert post_delivery(app.test_client(), "no-such-connection", load_delivery("04")).status_code == 404
    wait_until(lambda: read_counters(redis).get("deliveries:404") == "1", timeout=10, what="the timer's flush")


def test_counts_redis_cannot_take_are_kept_for_the_next_flush(environment):
    away = Redis(port=free_port(), socket_connect_timeout=1)
    tally = DeliveryTally(lambda: away, flush_seconds=None)
    tally.add("404")
    tally.add("404")
    tally.add("410")
    tally.flush()
    assert tally.take() == {"deliveries:404": 2, "deliveries:410": 1}

    def broken() -> Redis:
        raise ValueError("a bug")

    tally = DeliveryTally(broken, flush_seconds=None)
    tally.add("401")
    with pytest.raises(ValueError, match="a bug"):
        tally.flush()
    assert tally.take() == {"deliveries:401": 1}


def test_a_forked_process_counts_its_own_deliveries_and_runs_its_own_timer(isolated, environment):
    _, _, redis = isolated
    url = redis_url(environment)
    tally = DeliveryTally(lambda: Redis.from_url(url), flush_seconds=None)
    tally.add("410")  # held by the parent when it forks
    child = os.fork()
    if child == 0:  # the child: none of the parent's counts; its own timer sends its own
        try:
            held = tally.take()
            tally.flush_seconds = 0.05
            tally.add("404")
            wait_until(lambda: read_counters(Redis.from_url(url)).get("deliveries:404") == "1", what="the child's flush")
            os._exit(0 if held == {} else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert tally.take() == {"deliveries:410": 1}
    assert "deliveries:410" not in read_counters(redis)  # the child did not send the parent's
