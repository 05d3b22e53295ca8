"""Reading request bodies and query strings through marshmallow; failures become 422s."""

from flask import Flask, request
from marshmallow import Schema, ValidationError

from api.errors import error_response, validation_response
from connections.identity import DuplicateStore
from connections.service import ConnectionNotFound, FieldErrors


class InvalidInput(Exception):
    """Fields that failed validation, each with its messages."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def load_body(schema: Schema, *, partial: bool = False) -> dict:
    """The JSON body, validated by `schema`."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # Python's JSON parser recurses once per `[` or `{`
        raise InvalidInput({"_schema": ["the request body is nested too deeply to read"]}) from None
    if not isinstance(body, dict):
        raise InvalidInput({"_schema": ["the request body must be a JSON object"]})
    try:
        return schema.load(body, partial=partial)
    except ValidationError as error:
        raise InvalidInput(error.messages) from None


def load_query(schema: Schema) -> dict:
    """The query string, validated by `schema`."""
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as error:
        raise InvalidInput(error.messages) from None


def init_app(app: Flask) -> None:
    """Answer invalid input with 422, unknown connections with 404, a store connected twice with 409."""
    app.register_error_handler(InvalidInput, lambda error: validation_response(error.errors))
    app.register_error_handler(FieldErrors, lambda error: validation_response(error.errors))
    app.register_error_handler(
        ConnectionNotFound, lambda error: error_response(404, "not_found", "no connection with that id")
    )
    app.register_error_handler(
        DuplicateStore,
        lambda error: error_response(409, "duplicate_store", error.message, connection_id=error.connection_id),
    )
