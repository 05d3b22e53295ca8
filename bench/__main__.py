"""`python -m bench [--quick] [--only SECTION ...] [--keep]`: run the benchmarks, print the figures.

Sections run in turn (ingest, storage, e2e, polling), each printing `name value unit` lines as
it goes; the run ends with the five lines of issue 5, in this order and form:

    ratio ingest_vs_bare_flask <float>
    ratio storage_vs_rq_noop <float>
    e2e_p99_ms <float>
    ratio polling_vs_bare_fetch <float>
    ratio memory_100k_vs_10k <float>

The ingest and polling sections also print Shopify's figures beside WooCommerce's
(informational, no targets), before those five lines.

A section that fails or is not run shows `nan`; a failure also makes the exit status 1.
Nothing here judges a figure: the targets are for people to compare against.
"""

import argparse
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import e2e, ingest, polling, services, shopify_polling, storage
from bench.report import format_value, note, warn

SECTIONS = ("ingest", "storage", "e2e", "polling")


def _stop_on_sigterm(signum, _frame):
    # Unwind through every `finally`, so nothing started is left running.
    raise KeyboardInterrupt(f"signal {signum}")


def code_version() -> str:
    """The commit measured, and whether the working tree differs from it (outside bench/)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=services.ROOT, capture_output=True, text=True, timeout=10)
        status = subprocess.run(["git", "status", "--porcelain", "--", ".", ":!bench"], cwd=services.ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if commit.returncode != 0:
        return "unknown"
    return commit.stdout.strip() + (" with local changes" if status.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs and smaller counts (under three minutes)")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only this section (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, databases) and print where")
    parser.add_argument(
        "--no-aof", action="store_true",
        help="run Redis without its append-only file (default: AOF with fsync every second, as production should)",
    )
    args = parser.parse_args(argv)
    chosen = args.only or list(SECTIONS)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    results = {"ingest": math.nan, "storage": math.nan, "e2e": math.nan, "polling": math.nan, "memory": math.nan}
    failed: list[str] = []
    began = time.monotonic()
    note(
        f"storelink bench, {'quick' if args.quick else 'full'} run: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; Redis {'without AOF' if args.no_aof else 'with AOF (fsync every second)'}; "
        f"load average {os.getloadavg()[0]:.2f} (figures assume an otherwise idle machine)"
    )
    note(f"code: {code_version()}")
    workdir = Path(tempfile.mkdtemp(prefix="storelink-bench-"))
    redis_server = services.RedisServer(workdir / "redis", append_only=not args.no_aof)
    try:
        redis_server.start()
        for section in chosen:
            started = time.monotonic()
            try:
                if section == "ingest":
                    results["ingest"] = ingest.run(workdir / "ingest", redis_server, quick=args.quick)
                elif section == "storage":
                    results["storage"] = storage.run(workdir / "storage", redis_server, quick=args.quick)
                elif section == "e2e":
                    results["e2e"] = e2e.run(workdir / "e2e", redis_server, quick=args.quick)
                elif section == "polling":
                    results["polling"], results["memory"] = polling.run(workdir / "polling", redis_server, quick=args.quick)
                    shopify_polling.run(workdir / "polling", redis_server, quick=args.quick)
            except Exception as error:  # noqa: BLE001 - one broken section must not hide the others' figures
                failed.append(section)
                traceback.print_exc()
                warn(f"section {section} failed: {type(error).__name__}: {error}")
            note(f"section {section} took {time.monotonic() - started:.1f} s")
    finally:
        redis_server.stop()
        if args.keep:
            note(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    note(f"total {time.monotonic() - began:.1f} s; load average {os.getloadavg()[0]:.2f}")
    print(f"ratio ingest_vs_bare_flask {format_ratio(results['ingest'])}")
    print(f"ratio storage_vs_rq_noop {format_ratio(results['storage'])}")
    print(f"e2e_p99_ms {format_value(results['e2e'])}")
    print(f"ratio polling_vs_bare_fetch {format_ratio(results['polling'])}")
    print(f"ratio memory_100k_vs_10k {format_ratio(results['memory'])}", flush=True)
    return 1 if failed else 0


def format_ratio(value: float) -> str:
    return "nan" if value is None or math.isnan(value) else f"{value:.3f}"


if __name__ == "__main__":
    sys.exit(main())
