"""The change feed in the end-to-end section: when each order becomes readable from `GET /api/changes`,
and how fast the feed reads in pages of 1,000.

A follower reads the feed through gunicorn as a back office would (after its last position,
every 20 ms while nothing is new) and notes when each order first appears; the read rate is a
reader starting from 0 and paging to the end once the run is over.
"""

import threading
import time

import requests

from bench.report import figure, percentile

FOLLOW_INTERVAL_SECONDS = 0.02
PAGE = 1000


def read_page(http: requests.Session, url: str, token: str, after: int) -> dict:
    response = http.get(
        f"{url}/api/changes", params={"after": after, "limit": PAGE}, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    response.raise_for_status()
    return response.json()


class FeedFollower(threading.Thread):
    """Notes when each order first appears in the feed."""

    def __init__(self, url: str, token: str):
        super().__init__(name="e2e-feed-follower", daemon=True)
        self.url, self.token = url, token
        self.seen: dict[str, float] = {}
        self.stopping = threading.Event()
        self.errors = 0
        self._after = 0

    def poll(self, http: requests.Session) -> bool:
        """Read one page; answer whether it held anything."""
        try:
            page = read_page(http, self.url, self.token, self._after)
        except requests.RequestException:
            self.errors += 1
            return False
        now = time.time()
        for change in page["changes"]:
            if change["entity"] == "orders":
                self.seen.setdefault(change["record"]["external_id"], now)
        self._after = page["next_after"]
        return bool(page["changes"])

    def run(self) -> None:
        with requests.Session() as http:
            while not self.stopping.is_set():
                if not self.poll(http):
                    self.stopping.wait(FOLLOW_INTERVAL_SECONDS)


def report_delays(follower: FeedFollower, acknowledged: dict[str, float]) -> None:
    """The delay from each delivery's acknowledgement to its order being readable from the feed."""
    delays = [max(0.0, follower.seen[order_id] - at) * 1000 for order_id, at in acknowledged.items() if order_id in follower.seen]
    figure("e2e_feed_p50", percentile(delays, 0.50), "ms")
    figure("e2e_feed_p99", percentile(delays, 0.99), "ms")
    figure("e2e_feed_missing", len(acknowledged) - len(delays), "orders")


def measure_read_rate(url: str, token: str) -> float:
    """Read the whole feed from position 0 in pages of 1,000; answer records per second."""
    records, started = 0, time.monotonic()
    after = 0
    with requests.Session() as http:
        while True:
            page = read_page(http, url, token, after)
            if not page["changes"]:
                break
            records += len(page["changes"])
            after = page["next_after"]
    elapsed = time.monotonic() - started
    figure("feed_records_read", records, "records")
    return figure("feed_read_rate", records / elapsed if elapsed else 0.0, "records/s")
