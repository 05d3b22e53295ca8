"""`python -m bench.burst_worker storelink|rq-noop GO_KEY`: a worker that empties its queues and exits.

- `storelink`: `python -m jobs.worker` itself (its `main()`: the same worker class, queues,
  serializer, logging and preloading), except that `work()` runs in burst mode without the
  scheduler;
- `rq-noop`: RQ's own `SimpleWorker` on the baseline's queue, as `rq worker --burst
  --worker-class rq.worker.SimpleWorker` would run it.

Before working, each says it is ready (RPUSH `GO_KEY:ready` with its pid and worker class) and
waits for the word (BLPOP `GO_KEY`), so the time measured is the work, not the interpreter
starting.
"""

import os
import sys

from redis import Redis
from rq import Queue
from rq.worker import SimpleWorker
from rq.worker.base import BaseWorker

NOOP_QUEUE = "bench-noop"
READY_TIMEOUT_SECONDS = 120


def burst_after_go(go_key: str) -> None:
    """Make every RQ worker's `work()` wait for the word, then work in burst mode, no scheduler."""
    original = BaseWorker.work

    def work(self, *args, **kwargs):
        worker_class = f"{type(self).__module__}.{type(self).__qualname__}"
        self.connection.rpush(f"{go_key}:ready", f"{os.getpid()} {worker_class}")
        if self.connection.blpop([go_key], timeout=READY_TIMEOUT_SECONDS) is None:
            raise SystemExit(2)
        kwargs.update(burst=True, with_scheduler=False)
        return original(self, *args, **kwargs)

    BaseWorker.work = work


def main(argv: list[str]) -> int:
    kind, go_key = argv
    burst_after_go(go_key)
    if kind == "storelink":
        import jobs.worker

        return jobs.worker.main()
    if kind == "rq-noop":
        connection = Redis.from_url(os.environ["REDIS_URL"])
        SimpleWorker([Queue(NOOP_QUEUE, connection=connection)], connection=connection).work()
        return 0
    raise SystemExit(f"unknown worker kind {kind!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
