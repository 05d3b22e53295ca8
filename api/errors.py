"""Every HTTP error and crash of the Flask app as JSON, in the service's one shape (`connections.errors.error_document`)."""

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from connections.errors import error_document

# Codes for the generic HTTP failures, in the `{"error": {"code", "message"}}` form.
HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def error_response(status: int, code: str, message: str, headers: dict | None = None, **details):
    """The error document with `status`."""
    return jsonify(error_document(code, message, **details)), status, headers or {}


def validation_response(errors: dict):
    """422 `{"errors": {"field": ["message", ...]}}`."""
    return jsonify(errors=errors), 422


def init_app(app: Flask) -> None:
    """Answer every HTTP error, and every crash, as JSON."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        return error_response(status, HTTP_ERROR_CODES.get(status, "error"), error.description or error.name)

    @app.errorhandler(Exception)
    def _crash(error: Exception):
        # The traceback goes to the log; the caller learns nothing about the internals.
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", "an internal error occurred; it has been logged")
