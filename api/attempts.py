"""Wrong admin tokens, counted per client address in Redis (a moving window), so guessing is slow.

The console's sign-in and the admin API share one budget per address. When Redis cannot be
reached the count is skipped (logged as a warning): the token still has to match, and the
console and API would rather stay usable than lock every operator out.
"""

import logging
import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# What a count that Redis cannot take may raise: redis-py's errors, and what it lets out of a
# connection torn down under a read that was waiting on it (seen under load: ValueError "I/O
# operation on closed file", AttributeError on the parser's buffer). Counting is a guard, not
# the request: whatever it raises, the token is still checked and the request answered.
NOT_COUNTED = (RedisError, OSError, ValueError, AttributeError)

# Wrong tokens one client address may send per minute; the next attempt is refused with 429.
FAILED_ATTEMPTS_PER_MINUTE = 10
KEY_PREFIX = "storelink:failed-admin-tokens"


class FailedAttempts:
    """The moving count of wrong admin tokens per client address."""

    def __init__(self, redis: Redis, redis_url: str):
        # The app's own connection pool: its timeouts and TLS settings apply here too.
        storage = RedisStorage(redis_url, connection_pool=redis.connection_pool, key_prefix=KEY_PREFIX)
        self.limiter = MovingWindowRateLimiter(storage)
        self.limit = RateLimitItemPerMinute(FAILED_ATTEMPTS_PER_MINUTE)

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until `address` may try a token again, or None if it may now."""
        try:
            if self.limiter.test(self.limit, address):
                return None
            reset_at, _ = self.limiter.get_window_stats(self.limit, address)
        except NOT_COUNTED as error:
            log.warning("wrong admin tokens not counted (Redis unavailable: %s)", type(error).__name__)
            return None
        return max(1, math.ceil(reset_at - time.time()))

    def record(self, address: str) -> None:
        """Count one wrong token from `address`."""
        try:
            self.limiter.hit(self.limit, address)
        except NOT_COUNTED as error:
            log.warning("wrong admin token not counted (Redis unavailable: %s)", type(error).__name__)
