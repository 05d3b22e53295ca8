"""One Shopify poll in a process of its own, reporting its time and its own peak memory as one JSON line.

- `python -m bench.shopify_poll_once poll RUN_ID`: the poll job (`jobs.polls.run_sync`) of a
  queued run on a Shopify connection, as a worker runs it;
- `python -m bench.shopify_poll_once bare API_URL TOKEN SECRET SINCE`: the same GraphQL pages
  walked with the same client and walk (`ShopifyClient` + `changed_pages`), records discarded.

Its environment resolves `*.myshopify.com` to loopback and trusts the emulator's certificate
(STORE_CA_BUNDLE), as bench.shopify_polling sets it.
"""

import json
import sys
import time
from datetime import UTC, datetime

from bench.poll_once import peak_rss_kb
from stores.shopify.client import ShopifyClient
from stores.shopify.walks import WALKS, changed_pages


class FetchTimer:
    """Counts the time a client spends in `graphql` (waiting on the shop and parsing its JSON)."""

    def __init__(self):
        self.seconds = 0.0
        self.requests = 0
        original = ShopifyClient.graphql

        def timed_graphql(client, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(client, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.requests += 1

        ShopifyClient.graphql = timed_graphql


def poll(run_id: str) -> dict:
    from jobs.polls import run_sync

    timer = FetchTimer()
    started = time.perf_counter()
    figures = run_sync(run_id)
    elapsed = time.perf_counter() - started
    return {**figures, "seconds": elapsed, "fetch_seconds": timer.seconds, "requests": timer.requests}


def bare(api_url: str, token: str, secret: str, since: str) -> dict:
    from config import get_settings

    order_start = datetime.fromisoformat(since)
    timer = FetchTimer()
    started = time.perf_counter()
    records = pages = 0
    with ShopifyClient(api_url, token, secret, verify=get_settings().store_ca_bundle or True) as client:
        until = datetime.now(UTC)
        for walk in WALKS["orders"]:
            for page in changed_pages(client, "orders", walk, since=None, until=until, order_start=order_start):
                records += len(page.records)
                pages += 1
    elapsed = time.perf_counter() - started
    return {"records": records, "pages_done": pages, "seconds": elapsed, "fetch_seconds": timer.seconds, "requests": timer.requests}


def main(argv: list[str]) -> int:
    kind, *args = argv
    result = poll(*args) if kind == "poll" else bare(*args)
    result["peak_rss_kb"] = peak_rss_kb()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
