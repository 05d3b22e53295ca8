"""How deliveries get into the event buffer (`jobs.buffer`): one script call for many of them.

The script deduplicates, appends to the shard's list, says whether a drain job must be
queued, and counts the deliveries as queued or duplicate (`jobs.counters`), with any other
counts the caller brings (the receiver's rare outcomes), in one round trip.
"""

import hashlib
import os
from collections.abc import Mapping, Sequence

from redis import Redis
from redis.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from jobs.buffer import (
    DEDUP_KEY,
    DRAIN_QUEUED_KEY,
    DRAIN_QUEUED_TTL_SECONDS,
    EVENTS_KEY,
    shard_of,
)
from jobs.counters import COUNTERS_KEY, DELIVERIES_FIELD, OUTCOME_DUPLICATE, OUTCOME_QUEUED

# A delivery seen within this window is acknowledged again but not buffered twice. Every
# delivery leaves a key (about 200 bytes) for this long: at 100 deliveries a second an hour
# holds ~70 MB of Redis, where a day would hold 1.7 GB. Duplicates come within seconds (a
# store sending one change twice); a later replay is buffered again and its storing changes
# nothing (an older or equal version never replaces the stored one).
DEDUP_TTL_SECONDS = 3600

# Several events in one call. KEYS: dedup, events, drain-queued for each event in turn, then
# the counters (`jobs.counters`). ARGV: dedup ttl, queued ttl, each event's envelope, then any
# other counts to add as (hash field, increment) pairs. Answers one outcome per event, and
# counts them as queued or duplicate deliveries.
PUSH_SCRIPT = """
local outcomes = {}
local duplicates = 0
local events = (#KEYS - 1) / 3
for i = 1, events do
  local k = (i - 1) * 3
  if not redis.call('SET', KEYS[k + 1], '1', 'NX', 'EX', ARGV[1]) then
    outcomes[i] = 0
    duplicates = duplicates + 1
  else
    redis.call('RPUSH', KEYS[k + 2], ARGV[i + 2])
    if redis.call('SET', KEYS[k + 3], '1', 'NX', 'EX', ARGV[2]) then outcomes[i] = 2 else outcomes[i] = 1 end
  end
end
if events > duplicates then redis.call('HINCRBY', KEYS[#KEYS], 'QUEUED_FIELD', events - duplicates) end
if duplicates > 0 then redis.call('HINCRBY', KEYS[#KEYS], 'DUPLICATE_FIELD', duplicates) end
for j = events + 3, #ARGV, 2 do redis.call('HINCRBY', KEYS[#KEYS], ARGV[j], ARGV[j + 1]) end
return outcomes
""".replace("QUEUED_FIELD", DELIVERIES_FIELD.format(outcome=OUTCOME_QUEUED)).replace(
    "DUPLICATE_FIELD", DELIVERIES_FIELD.format(outcome=OUTCOME_DUPLICATE)
)

PushedEvent = tuple[str, str, str]  # connection id, digest, envelope


def push_arguments(
    events: Sequence[PushedEvent], counts: Mapping[str, int] | None = None
) -> tuple[list[str], list[str | int]]:
    """The push script's keys and arguments for `events`, and `counts` to add (by counters hash field)."""
    keys: list[str] = []
    args: list[str | int] = [DEDUP_TTL_SECONDS, DRAIN_QUEUED_TTL_SECONDS]
    for connection_id, digest, message in events:
        shard = shard_of(connection_id)
        keys += (
            DEDUP_KEY.format(connection_id=connection_id, digest=digest),
            EVENTS_KEY.format(shard=shard),
            DRAIN_QUEUED_KEY.format(shard=shard),
        )
        args.append(message)
    keys.append(COUNTERS_KEY)
    for field, increment in (counts or {}).items():
        args += (field, increment)
    return keys, args


class PushConnection:
    """The way events get into the buffer: the push script over a Redis connection of its own.

    For a caller that never has two calls in flight: the receiver's hand-off
    (`webhooks.handoff.GroupPush`) sends one call at a time per process, so it keeps a
    connection instead of borrowing one from the pool for every call: redis-py's checkout
    (a lock, a poll of the socket, its bookkeeping) costs about as much CPU as the call itself. Not thread-safe by design. Errors are redis-py's; after a connection error
    the next call connects again. An idle connection is checked (PING) before use, as the
    pool's are (`health_check_interval`), and a call that finds its connection closed is sent
    again on a new one.
    """

    def __init__(self, redis: Redis):
        self._pool = redis.connection_pool
        self._connection: Connection | None = None
        self._pid = 0
        self._sha = hashlib.sha1(PUSH_SCRIPT.encode()).hexdigest()

    def push_many(self, events: Sequence[PushedEvent], counts: Mapping[str, int] | None = None) -> list[int]:
        """Buffer events `(connection id, digest, envelope)` unless seen, in one script call; one outcome each, in order.

        `counts` (increments by counters hash field) are added in the same call: the receiver's
        other outcomes, counted in its process (`webhooks.tally`).

        Outcomes: DUPLICATE, PUSHED, or PUSHED_NEEDS_DRAIN (queue a drain job). A failure raises
        for the whole call, and some of the events may be buffered by then: a caller that keeps
        them elsewhere on failure may store one twice, never lose one.
        """
        keys, args = push_arguments(events, counts)
        connection = self._own_connection()
        try:
            try:
                outcomes = self._push(connection, keys, args)
            except RedisConnectionError:
                # A connection Redis has closed (a restart, a timeout) shows only when used: once
                # more on a new one. Events the first try did buffer are then duplicates: still
                # buffered once, though their drain request may be lost (the clock queues one
                # when the drain-queued mark expires, within a minute).
                connection.disconnect()
                outcomes = self._push(connection, keys, args)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            connection.disconnect()
            raise
        return [int(outcome) for outcome in outcomes]

    def _push(self, connection: Connection, keys: list[str], args: list[str | int]) -> list:
        try:
            return self._call(connection, "EVALSHA", self._sha, len(keys), *keys, *args)
        except NoScriptError:  # Redis restarted, or its scripts were flushed
            self._call(connection, "SCRIPT", "LOAD", PUSH_SCRIPT)
            return self._call(connection, "EVALSHA", self._sha, len(keys), *keys, *args)

    def _own_connection(self) -> Connection:
        # A connection is never shared with a forked child (gunicorn may fork after import).
        if self._connection is None or self._pid != os.getpid():
            self._connection = self._pool.make_connection()
            self._pid = os.getpid()
        return self._connection

    @staticmethod
    def _call(connection: Connection, *command):
        connection.send_command(*command)
        return connection.read_response()
