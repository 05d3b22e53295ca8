"""`python -m bench.profile_receiver [--requests N] [--top N]`: where a receiver request spends its CPU.

Not part of `python -m bench`: a tool for working on the receiver. It serves the app in this
process (Flask's test client, no gunicorn, no network), posts N distinct signed deliveries
under cProfile against a private Redis and a SQLite database, does the same against the bare
app, and prints the time per request of each and the receiver's costliest functions. The
difference per request is what the receiver adds to a bare endpoint.
"""

import argparse
import cProfile
import io
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from bench import services
from bench.payloads import signed_order
from bench.report import figure
from connections.webhooks import RECEIVER_PATH
from tests.factories import make_connection

CONNECTIONS = 20


def post_all(client, deliveries) -> float:
    """Post every delivery; answer the seconds per request."""
    started = time.perf_counter()
    for path, body, headers in deliveries:
        response = client.post(path, data=body, headers=headers)
        if response.status_code not in (200, 202):
            raise RuntimeError(f"{path}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    return (time.perf_counter() - started) / len(deliveries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_receiver")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="storelink-profile-"))
    redis_server = services.RedisServer(workdir / "redis", append_only=True)
    try:
        redis_server.start()
        env = services.environment(redis_server.url, services.sqlite_database(workdir / "db", "profile"))
        with services.settings_from(env):
            from bench.bare_app import app as bare_app
            from web import create_app

            connection_ids = [make_connection() for _ in range(CONNECTIONS)]
            deliveries = []
            for number in range(args.requests):
                body, headers = signed_order(200_000 + number, 1)
                deliveries.append((RECEIVER_PATH.format(system="woocommerce", connection_id=connection_ids[number % CONNECTIONS]), body, headers))
            app = create_app()
            receiver, bare = app.test_client(), bare_app.test_client()
            post_all(receiver, deliveries[:100])  # first requests: imports, scripts, pools
            post_all(bare, deliveries[:100])
            measured = deliveries[100:]
            bare_seconds = post_all(bare, measured)
            profile = cProfile.Profile()
            profile.enable()
            receiver_seconds = post_all(receiver, measured)
            profile.disable()
            # The same again without the profiler's overhead, for the figure.
            redis_server.flush()
            receiver_seconds = post_all(receiver, measured)
        figure("profile_bare_per_request", bare_seconds * 1e6, "us")
        figure("profile_receiver_per_request", receiver_seconds * 1e6, "us")
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())
    finally:
        redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
