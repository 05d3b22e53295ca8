"""The ingest baseline: a trivial Flask app with the receiver's route, answering 202.

Served by the same gunicorn settings as Storelink (`gunicorn -c config/gunicorn.py bench.bare_app:app`),
so the difference to the receiver is what the receiver does: lookup, signature, parsing,
deduplication and the hand-off to Redis. It reads the body, as any endpoint taking a POST would.
"""

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/woocommerce/<connection_id>")
def receive(connection_id: str):
    request.get_data(cache=False)
    return "", 202


@app.get("/")
def index():
    return "bare"
