"""One Shopify poll in a process of its own, reporting its time and its own peak memory as one JSON line.

- `python -m bench.shopify_poll_once poll RUN_ID`: the poll job (`jobs.polls.run_sync`) of a
  queued run on a Shopify connection, as a worker runs it;
- `python -m bench.shopify_poll_once bare API_URL TOKEN SECRET SINCE`: the same GraphQL pages
  walked with the same client and walk (`ShopifyClient` + `changed_pages`), records discarded.

Its environment resolves `*.myshopify.com` to loopback and trusts the emulator's certificate
(STORE_CA_BUNDLE), as bench.shopify_polling sets it.
"""

import sys
import time
from datetime import UTC, datetime

from bench.poll_once import FetchTimer, main
from bench.poll_once import poll as timed_poll
from stores.shopify.client import ShopifyClient
from stores.shopify.walks import WALKS, changed_pages


def timer() -> FetchTimer:
    """Times the client's `graphql` (waiting on the shop and parsing its JSON)."""
    return FetchTimer(ShopifyClient, "graphql")


def poll(run_id: str) -> dict:
    return timed_poll(run_id, timer)


def bare(api_url: str, token: str, secret: str, since: str) -> dict:
    from config import get_settings

    order_start = datetime.fromisoformat(since)
    fetching = timer()
    started = time.perf_counter()
    records = pages = 0
    with ShopifyClient(api_url, token, secret, verify=get_settings().store_ca_bundle or True) as client:
        until = datetime.now(UTC)
        for walk in WALKS["orders"]:
            for page in changed_pages(client, "orders", walk, since=None, until=until, order_start=order_start):
                records += len(page.records)
                pages += 1
    elapsed = time.perf_counter() - started
    return {"records": records, "pages_done": pages, "seconds": elapsed, "fetch_seconds": fetching.seconds, "requests": fetching.requests}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], poll=poll, bare=bare))
