"""One poll in a process of its own, reporting its time and its own peak memory as one JSON line.

- `python -m bench.poll_once poll RUN_ID`: the poll job (`jobs.polls.run_sync`) of a queued run,
  as a worker runs it, reading its settings from the environment;
- `python -m bench.poll_once bare API_URL KEY SECRET SINCE`: the same pages fetched with the
  same client and walk (`iter_changed`, both status walks), the records discarded.
"""

import json
import sys
import time
from datetime import UTC, datetime

from stores.woocommerce.client import WooCommerceClient
from stores.woocommerce.paging import gmt, iter_changed

# A run's walks, as jobs.polls walks orders.
STATUS_WALKS = ("any", "trash")


def peak_rss_kb() -> int:
    """VmHWM: this process's peak resident memory."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class FetchTimer:
    """Counts the time a client class spends in `method` (waiting on the store and parsing its JSON)."""

    def __init__(self, client_class: type = WooCommerceClient, method: str = "get"):
        self.seconds = 0.0
        self.requests = 0
        original = getattr(client_class, method)

        def timed(client, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(client, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.requests += 1

        setattr(client_class, method, timed)


def poll(run_id: str, timer_of=FetchTimer) -> dict:
    """Run the queued sync run in this process, timing its fetching with `timer_of()`."""
    from jobs.polls import run_sync

    timer = timer_of()
    started = time.perf_counter()
    figures = run_sync(run_id)
    elapsed = time.perf_counter() - started
    return {**figures, "seconds": elapsed, "fetch_seconds": timer.seconds, "requests": timer.requests}


def bare(api_url: str, key: str, secret: str, since: str) -> dict:
    start = datetime.fromisoformat(since)
    timer = FetchTimer()
    started = time.perf_counter()
    records = pages = 0
    with WooCommerceClient(api_url, key, secret, "oauth1", home_url=api_url) as client:
        until = datetime.now(UTC)
        for status in STATUS_WALKS:
            for page in iter_changed(client, "orders", since=start, until=until, params={"after": gmt(start), "status": status}):
                records += len(page.records)
                pages += 1
    elapsed = time.perf_counter() - started
    return {"records": records, "pages_done": pages, "seconds": elapsed, "fetch_seconds": timer.seconds, "requests": timer.requests}


def main(argv: list[str], *, poll=poll, bare=bare) -> int:
    """`poll RUN_ID` or `bare ARGS...`: print the result as one `RESULT {json}` line."""
    kind, *args = argv
    result = poll(*args) if kind == "poll" else bare(*args)
    result["peak_rss_kb"] = peak_rss_kb()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
