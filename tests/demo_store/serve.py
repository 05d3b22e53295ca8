"""Run the demo store: the emulator with sample records, its cron every second, and a control endpoint.

WooCommerce sends webhooks from WP-Cron, a minute or so after a change; the emulator sends them
only when asked (`run_cron`). Here a thread asks every `CRON_SECONDS`, as a busy store's cron
would. The changes `bin/demo-store order ...` asks for arrive over a control endpoint on
loopback, guarded by a token kept in the state file (mode 0600) beside the store's keys.
"""

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from werkzeug.wrappers import Request, Response

from tests.demo_store.sample import ChangeError, apply_change, describe, fill
from tests.woo_emulator import WooEmulator
from tests.woo_emulator.server import serve_in_thread, stop_serving

# How often the store's cron sends the deliveries queued since the last run.
CRON_SECONDS = 1.0
# Requests and deliveries the emulator remembers (tests read them; a demo runs for hours).
KEPT_HISTORY = 200


def control_app(store: WooEmulator, token: str) -> Callable:
    """The control endpoint: POST /changes {"words": [...]} or GET /records, with the token as bearer."""

    @Request.application
    def app(request: Request) -> Response:
        if not secrets.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
            return Response(json.dumps({"error": "wrong token"}), 401, content_type="application/json")
        if request.method == "GET" and request.path == "/records":
            return Response(json.dumps({"lines": describe(store)}), content_type="application/json")
        if request.method == "POST" and request.path == "/changes":
            words = (request.get_json(silent=True) or {}).get("words")
            if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
                return Response(json.dumps({"error": "words must be a list of text"}), 400, content_type="application/json")
            try:
                done = apply_change(store, words)
            except ChangeError as error:
                return Response(json.dumps({"error": str(error)}), 400, content_type="application/json")
            return Response(json.dumps({"done": done}), content_type="application/json")
        return Response(json.dumps({"error": "not found"}), 404, content_type="application/json")

    return app


def run_cron_forever(store: WooEmulator, stop: threading.Event, say: Callable[[str], None]) -> None:
    """Send queued deliveries every CRON_SECONDS and say what came of each, until `stop` is set."""
    while not stop.wait(CRON_SECONDS):
        for result in store.run_cron():
            outcome = result.status if result.error is None else f"failed: {type(result.error).__name__}"
            say(f"{time.strftime('%H:%M:%S')} delivered {result.topic} of #{result.resource_id} to {result.url}: {outcome}")
        for history in (store.requests, store.deliveries, store.pings):
            del history[:-KEPT_HISTORY]


def write_state(path: Path, state: dict) -> None:
    """The state file, readable only by its owner: it holds the store's consumer secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(state, file)
    os.replace(temporary, path)


def banner(state: dict) -> str:
    """What to paste into the console's form, and how to run Storelink beside the store."""
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return f"""
  Demo WooCommerce store at {state['api_url']} (in memory; it sends its webhooks every second)

  Run Storelink beside it, allowed to call a store on this machine:
      ALLOW_PRIVATE_STORE_URLS=1 bin/dev
  (the store delivers to bin/dev's PUBLIC_URL, http://localhost:$PORT by default)

  In the console, Create new connection, and paste:
      API URL                        {state['api_url']}
      Access token (consumer key)    {state['key']}
      Secret (consumer secret)       {state['secret']}
      Order start                    {today} (today's, the form's default: the sample orders are from today)

  Then change the store and watch the deliveries arrive (a second terminal):
      bin/demo-store order new
      bin/demo-store order status ID completed
      bin/demo-store order trash ID      (and: order restore ID)
      bin/demo-store product price ID 12.50
      bin/demo-store show

  Ctrl-C stops the store; everything in it is gone then.
"""


def serve(state_path: Path, port: int, say: Callable[[str], None]) -> None:
    """Serve on `port` (0: any free one) until interrupted; the state file names the store meanwhile."""
    store = WooEmulator(site_name="Storelink demo store").start(port)
    control = control_thread = None
    stop = threading.Event()
    try:
        key, secret = store.new_key()
        fill(store)
        token = secrets.token_urlsafe(24)
        control, control_thread = serve_in_thread(control_app(store, token), "demo-control")
        state = {
            "api_url": store.base_url, "key": key, "secret": secret,
            "control_url": f"http://127.0.0.1:{control.server_port}", "control_token": token,
        }
        write_state(state_path, state)
        cron = threading.Thread(target=run_cron_forever, args=(store, stop, say), name="demo-cron", daemon=True)
        cron.start()
        say(banner(state))
        while cron.is_alive():
            cron.join(timeout=1)
    finally:
        stop.set()
        if control is not None:
            stop_serving(control, control_thread)
        store.stop()
        state_path.unlink(missing_ok=True)
