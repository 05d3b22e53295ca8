"""The ingest baselines: a trivial Flask app with the receiver's route, answering 202.

Served by the same gunicorn settings as Storelink (`gunicorn -c config/gunicorn.py bench.bare_app:app`),
so the difference to the receiver is what the receiver does: lookup, signature, parsing,
deduplication and the hand-off to Redis. It reads the body, as any endpoint taking a POST would.

With `BARE_APP_RPUSH=1` the route also appends the body to a Redis list with one plain
`RPUSH` (redis-py, pooled connection) before answering: the least a receiver that hands
deliveries to Redis can do, measured beside the receiver as a floor to compare it with.
"""

import os

from flask import Flask, request
from redis import Redis

app = Flask(__name__)
RPUSH_KEY = "bench:bare-rpush"
_redis = Redis.from_url(os.environ["REDIS_URL"]) if os.environ.get("BARE_APP_RPUSH") else None


@app.post("/webhooks/woocommerce/<connection_id>")
def receive(connection_id: str):
    body = request.get_data(cache=False)
    if _redis is not None:
        _redis.rpush(RPUSH_KEY, body)
    return "", 202


@app.get("/")
def index():
    return "bare"
