"""The receiver's shared hand-off: concurrent pushes combine into one call, each request gets its own outcome."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from jobs.buffer import DUPLICATE, EVENTS_KEY, PUSHED, PUSHED_NEEDS_DRAIN, SHARDS, shard_of
from jobs.push import PushConnection
from tests.services import free_port
from webhooks.handoff import GroupPush

WAIT_SECONDS = 10


class GatedStore:
    """A `push_many` that records its calls and holds the first one until released; outcome = event's number."""

    def __init__(self, fail_call: int | None = None):
        self.calls: list[list[str]] = []
        self.first_call_started = threading.Event()
        self.release = threading.Event()
        self.fail_call = fail_call

    def __call__(self, events):
        self.calls.append([digest for _, digest, _ in events])
        if len(self.calls) == 1:
            self.first_call_started.set()
            assert self.release.wait(WAIT_SECONDS)
        if self.fail_call == len(self.calls):
            raise RedisConnectionError("Redis went away")
        return [int(digest) for _, digest, _ in events]


def push_while_first_call_is_held(handoff: GroupPush, store: GatedStore, waiting: int) -> dict[int, object]:
    """Push #0, then `waiting` more while #0's call is held; answer each number's outcome (or exception)."""
    results: dict[int, object] = {}

    def push(number: int) -> None:
        try:
            results[number] = handoff.push("c", str(number), "{}")
        except Exception as error:  # noqa: BLE001 - recorded for the assertions
            results[number] = error

    with ThreadPoolExecutor(max_workers=waiting + 1) as pool:
        pool.submit(push, 0)
        assert store.first_call_started.wait(WAIT_SECONDS)
        futures = [pool.submit(push, number) for number in range(1, waiting + 1)]
        # Every one of them has queued behind the held call before it is released.
        for _ in range(1000):
            if len(handoff._queued) == waiting:
                break
            time.sleep(0.01)
        assert len(handoff._queued) == waiting
        store.release.set()
        for future in futures:
            future.result(WAIT_SECONDS)
    return results


def test_an_idle_handoff_sends_at_once():
    store = GatedStore()
    store.release.set()
    assert GroupPush(store).push("c", "7", "{}") == 7
    assert store.calls == [["7"]]


def test_requests_arriving_during_a_call_share_the_next_and_each_gets_its_own_outcome():
    store = GatedStore()
    results = push_while_first_call_is_held(GroupPush(store), store, waiting=5)
    assert results == {number: number for number in range(6)}
    assert store.calls[0] == ["0"]
    assert sorted(store.calls[1], key=int) == ["1", "2", "3", "4", "5"]
    assert len(store.calls) == 2


def test_batches_are_capped_and_the_rest_go_in_the_next_call():
    store = GatedStore()
    results = push_while_first_call_is_held(GroupPush(store, max_batch=2), store, waiting=5)
    assert results == {number: number for number in range(6)}
    assert [len(call) for call in store.calls] == [1, 2, 2, 1]


def test_a_failed_call_fails_every_request_in_it_and_the_next_requests_go_through():
    store = GatedStore(fail_call=2)
    handoff = GroupPush(store)
    results = push_while_first_call_is_held(handoff, store, waiting=3)
    assert results[0] == 0
    assert all(isinstance(results[number], RedisConnectionError) for number in (1, 2, 3))
    assert handoff.push("c", "9", "{}") == 9  # nobody is left leading a batch that never ends


def test_concurrent_pushes_into_real_redis_buffer_each_event_once(redis_client):
    handoff = GroupPush(PushConnection(redis_client).push_many)
    connections = [f"conn-{number}" for number in range(8)]
    # Every event is pushed twice, from different threads: one of the two is a duplicate.
    events = [(connection, f"digest-{number}", f'{{"n":{number}}}') for number in range(200) for connection in connections]
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(lambda event: handoff.push(*event), events + events[::-1]))
    assert outcomes.count(DUPLICATE) == len(events)
    assert outcomes.count(PUSHED) + outcomes.count(PUSHED_NEEDS_DRAIN) == len(events)
    # One drain request per shard that received events (the drain-queued mark is set once).
    assert outcomes.count(PUSHED_NEEDS_DRAIN) == len({shard_of(connection) for connection in connections})
    assert sum(redis_client.llen(EVENTS_KEY.format(shard=shard)) for shard in range(SHARDS)) == len(events)


@pytest.mark.parametrize("size", [1, 3])
def test_push_many_answers_in_order_and_deduplicates_within_a_call(redis_client, size):
    pusher = PushConnection(redis_client)
    events = [("c", f"d{number}", "{}") for number in range(size)]
    first = pusher.push_many(events + events[:1])
    assert first == [PUSHED_NEEDS_DRAIN] + [PUSHED] * (size - 1) + [DUPLICATE]


def test_the_push_connection_loads_its_script_again_after_redis_lost_it(redis_client):
    pusher = PushConnection(redis_client)
    assert pusher.push_many([("c", "d1", "{}")]) == [PUSHED_NEEDS_DRAIN]
    redis_client.script_flush()
    assert pusher.push_many([("c", "d2", "{}"), ("c", "d1", "{}")]) == [PUSHED, DUPLICATE]


def test_the_push_connection_sends_again_on_a_new_connection_when_redis_closed_its_own(redis_client):
    pusher = PushConnection(redis_client)
    assert pusher.push_many([("c", "d1", "{}")]) == [PUSHED_NEEDS_DRAIN]
    redis_client.client_kill_filter(_type="normal", skipme=True)
    assert pusher.push_many([("c", "d2", "{}")]) == [PUSHED]
    assert redis_client.llen(EVENTS_KEY.format(shard=shard_of("c"))) == 2


def test_the_push_connection_raises_when_redis_is_away(redis_client):
    pusher = PushConnection(Redis(port=free_port(), socket_connect_timeout=1))
    with pytest.raises(RedisConnectionError):
        pusher.push_many([("c", "d1", "{}")])
