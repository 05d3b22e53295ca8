"""The event buffer: verified deliveries wait in Redis lists and are drained by RQ jobs in batches.

RQ costs about twenty Redis round trips and a fork per job; a delivery costs the receiver
one script call (`jobs.push`: deduplicate, append, say whether a drain job must be queued),
and a worker stores hundreds of events per job and transaction.

Keys, per shard (connections are spread over shards so several workers drain at once):
- `events`: envelopes waiting, oldest first;
- `processing`: the batch a drain job has claimed; a crashed job leaves it for the next;
- `drain-queued`: set while a drain job is queued or running (so the receiver queues one
  per burst, not one per delivery);
- `drain-lock`: held by the one drain job working on the shard. The job renews it, and its
  drain-queued mark, every few seconds from a thread: when the job dies (SIGKILL, a lost
  machine) both lapse within seconds, and the next delivery or the clock queues a drain
  that stores the batch it left.
"""

import json
import secrets
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from redis import Redis

from db.types import utcnow
from jobs.counters import count_drained

SHARDS = 4
EVENTS_KEY = "storelink:events:{shard}"
PROCESSING_KEY = "storelink:events:{shard}:processing"
DRAIN_QUEUED_KEY = "storelink:events:{shard}:drain-queued"
DRAIN_LOCK_KEY = "storelink:events:{shard}:drain-lock"
DEDUP_KEY = "storelink:delivery:{connection_id}:{digest}"
# If a queued drain job is lost, the flag expires and the next delivery (or the clock) queues another.
DRAIN_QUEUED_TTL_SECONDS = 60
# A running drain job renews its lock (and drain-queued mark) this often; a dead one's lapse
# within the lock's TTL. The TTL leaves two renewals room for a slow Redis round trip.
DRAIN_LOCK_TTL_SECONDS = 10
DRAIN_LOCK_RENEW_SECONDS = 3
# Events claimed per batch: one transaction each.
BATCH_SIZE = 500

PUSHED, PUSHED_NEEDS_DRAIN, DUPLICATE = 1, 2, 0

# KEYS: events, processing. ARGV: batch size. A batch left by a crashed job comes first.
_CLAIM = """
local held = redis.call('LRANGE', KEYS[2], 0, -1)
if #held > 0 then return held end
local batch = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #batch == 0 then return batch end
redis.call('RPUSH', KEYS[2], unpack(batch))
redis.call('LTRIM', KEYS[1], #batch, -1)
return batch
"""
# KEYS: lock, drain-queued. ARGV: token, ttl. Take the lock, or renew one we hold; the
# drain-queued mark then lives exactly as long as the running job keeps renewing it.
_LOCK = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
  return 1
end
return 0
"""
_REFRESH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
return 1
"""
# KEYS: lock. ARGV: token. Release only a lock we hold.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: lock, processing. ARGV: token. Drop the claimed batch only while we hold the lock: a
# job whose lock lapsed must not drop a batch its successor has claimed since.
_DONE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[2]) return 1 end
return 0
"""


def shard_of(connection_id: str) -> int:
    """The shard a connection's events go to (stable across processes)."""
    return zlib.crc32(connection_id.encode()) % SHARDS


def envelope(connection_id: str, resource: str, event: str, received_at: str, body: str) -> str:
    """An event as buffered: the delivery's JSON body (a JSON object) embedded as is, not re-encoded."""
    head = json.dumps({"c": connection_id, "r": resource, "e": event, "t": received_at})
    return f'{head[:-1]},"p":{body}}}'


@dataclass(frozen=True)
class Event:
    """One buffered delivery."""

    connection_id: str
    resource: str
    event: str
    received_at: str
    payload: dict


def parse(raw: bytes | str) -> Event:
    """The event in an envelope."""
    data = json.loads(raw)
    return Event(data["c"], data["r"], data["e"], data["t"], data["p"])


def _received_at(raw: bytes | str) -> datetime | None:
    """When a buffered event was received; None for an envelope that cannot be read (a drain sets it apart)."""
    try:
        return datetime.fromisoformat(parse(raw).received_at)
    except (ValueError, KeyError, TypeError, RecursionError):
        return None


def _lock_keys(shard: int) -> list[str]:
    return [DRAIN_LOCK_KEY.format(shard=shard), DRAIN_QUEUED_KEY.format(shard=shard)]


class EventBuffer:
    """The Redis side of the buffer, shared by the receiver, the drain jobs and the clock."""

    def __init__(self, redis: Redis):
        self.redis = redis
        self._claim = redis.register_script(_CLAIM)
        self._lock = redis.register_script(_LOCK)
        self._refresh = redis.register_script(_REFRESH)
        self._release = redis.register_script(_RELEASE)
        self._done = redis.register_script(_DONE)

    def push_unchecked(self, connection_id: str, message: str) -> None:
        """Buffer an event without deduplication (from the database spool)."""
        self.redis.rpush(EVENTS_KEY.format(shard=shard_of(connection_id)), message)

    def forget(self, connection_id: str, digest: str) -> None:
        """Drop a delivery's dedup mark (its buffering failed), so a resend is accepted."""
        self.redis.delete(DEDUP_KEY.format(connection_id=connection_id, digest=digest))

    def lock(self, shard: int) -> str | None:
        """Take the shard's drain lock; answer its token, or None when another job holds it."""
        token = secrets.token_hex(8)
        acquired = self._lock(keys=_lock_keys(shard), args=[token, DRAIN_LOCK_TTL_SECONDS])
        return token if acquired else None

    def refresh(self, shard: int, token: str) -> bool:
        """Extend our lock and the drain-queued mark; False if the lock was lost (it lapsed)."""
        return bool(self._refresh(keys=_lock_keys(shard), args=[token, DRAIN_LOCK_TTL_SECONDS]))

    def unlock(self, shard: int, token: str) -> None:
        """Release our lock."""
        self._release(keys=[DRAIN_LOCK_KEY.format(shard=shard)], args=[token])

    def claim(self, shard: int, size: int = BATCH_SIZE) -> list[bytes]:
        """The next batch to store: a crashed job's leftover first, else the oldest waiting events."""
        return self._claim(keys=[EVENTS_KEY.format(shard=shard), PROCESSING_KEY.format(shard=shard)], args=[size])

    def done(self, shard: int, token: str, batch: Sequence[bytes]) -> bool:
        """The claimed batch is stored: drop it and count it (`jobs.counters`); False (and kept) if our lock was lost meanwhile."""
        dropped = bool(self._done(keys=[DRAIN_LOCK_KEY.format(shard=shard), PROCESSING_KEY.format(shard=shard)], args=[token]))
        if dropped:
            with self.redis.pipeline(transaction=False) as pipe:
                count_drained(pipe, shard, len(batch), _received_at(batch[0]) if batch else None, utcnow())
                pipe.execute()
        return dropped

    def backlog(self, shards: Sequence[int]) -> dict[int, tuple[int, datetime | None]]:
        """Per shard: the events waiting or claimed, and when the oldest of them was received (None: none)."""
        with self.redis.pipeline(transaction=False) as pipe:
            for shard in shards:
                pipe.llen(EVENTS_KEY.format(shard=shard))
                pipe.llen(PROCESSING_KEY.format(shard=shard))
                pipe.lindex(PROCESSING_KEY.format(shard=shard), 0)  # a claimed batch is older than what waits
                pipe.lindex(EVENTS_KEY.format(shard=shard), 0)
            answers = pipe.execute()
        found = {}
        for index, shard in enumerate(shards):
            waiting, claimed, first_claimed, first_waiting = answers[index * 4 : index * 4 + 4]
            first = first_claimed or first_waiting
            found[shard] = (waiting + claimed, _received_at(first) if first else None)
        return found

    def waiting(self, shard: int) -> int:
        """Events waiting or claimed in a shard."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.llen(EVENTS_KEY.format(shard=shard))
            pipe.llen(PROCESSING_KEY.format(shard=shard))
            return sum(pipe.execute())

    def mark_drain_queued(self, shard: int) -> bool:
        """Note that a drain job is queued; False if one already is."""
        return bool(self.redis.set(DRAIN_QUEUED_KEY.format(shard=shard), 1, nx=True, ex=DRAIN_QUEUED_TTL_SECONDS))

    def clear_drain_queued(self, shard: int) -> None:
        """A drain job is finishing: the next delivery must queue another."""
        self.redis.delete(DRAIN_QUEUED_KEY.format(shard=shard))
