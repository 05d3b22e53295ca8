"""The Flask application: admin API, webhook receiver, health and the OpenAPI document."""

from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from api import errors, inputs, openapi, resources
from api.changes import bp as changes_bp
from api.connections import bp as connections_bp
from api.sync import bp as sync_bp
from config import Settings, load_settings
from config.logging import configure_logging
from connections.keys import check_stored_credentials
from console import bp as console_bp
from web import headers, health, metrics, request_ids
from webhooks import receiver


def create_app(overrides: Mapping[str, object] | None = None) -> Flask:
    """Build the app from the environment, then `overrides` (tests pass their own settings).

    Raises ConfigError when the settings, or the stored credentials against SECRET_KEY, do
    not let it run (gunicorn's master builds it once before any worker: config/gunicorn.py).
    """
    settings = load_settings().with_overrides(overrides or {}).check()
    configure_logging()
    check_stored_credentials(settings)
    app = Flask(__name__)
    # Bigger bodies are refused with 413 before they are read into memory.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_webhook_bytes
    app.json.sort_keys = False

    resources.init_app(app, settings)
    errors.init_app(app)
    inputs.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(connections_bp)
    app.register_blueprint(sync_bp)
    app.register_blueprint(changes_bp)
    app.register_blueprint(console_bp)
    if settings.trusted_proxy_count:
        # The client address is the one the outermost trusted proxy saw; X-Forwarded-For
        # entries before it are whatever the client sent.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_count)
    # The receiver's path never enters Flask; request ids and the standard headers cover it too.
    receiver.init_app(app, settings, resources.get_vault_of(app))
    app.wsgi_app = headers.StandardHeaders(app.wsgi_app)
    request_ids.init_app(app)
    return app


__all__ = ["Settings", "create_app"]
