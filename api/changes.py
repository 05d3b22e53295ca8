"""Admin API: the change feed, every write of an order or product across connections in commit order."""

from flask import Blueprint, jsonify
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from api.auth import require_admin_token
from api.inputs import InvalidInput, load_query
from api.resources import get_session
from api.schemas import order_json, product_json
from db.changes import FEED_MODELS, read_changes
from db.ids import is_public_id
from db.models import Connection

bp = Blueprint("changes", __name__, url_prefix="/api/changes")
require_admin_token(bp)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Positions are BIGINT.
MAX_POSITION = 2**63 - 1


class ChangesQuery(Schema):
    """`after`, `limit` and the filters `connection` (a public id) and `entity`."""

    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_POSITION))
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    connection = fields.String(validate=validate.Length(min=1, max=64))
    entity = fields.String(validate=validate.OneOf(tuple(FEED_MODELS)))


class ChangeOut(Schema):
    """One change: its position, and the record at its newest version, as the read API shows it."""

    position = fields.Integer(required=True)
    entity = fields.String(required=True, validate=validate.OneOf(tuple(FEED_MODELS)))
    connection_id = fields.String(required=True)
    record = fields.Raw(
        required=True,
        metadata={
            "oneOf": [{"$ref": "#/components/schemas/Order"}, {"$ref": "#/components/schemas/Product"}],
            "description": "as GET /api/connections/<id>/orders/<external_id> (or products) shows it",
        },
    )


class ChangesOut(Schema):
    """`GET /api/changes`."""

    changes = fields.Nested(ChangeOut, many=True, required=True)
    next_after = fields.Integer(
        required=True, metadata={"description": "the last position returned, or `after` when there is none"}
    )


def record_json(entity: str, record) -> dict:
    """A record as the read API shows it (`GET /api/connections/<id>/orders/<external_id>`)."""
    return order_json(record, with_line_items=True) if entity == "orders" else product_json(record)


@bp.get("")
def list_changes():
    """The records written after position `after`, each once at its newest version, in position order."""
    query = load_query(ChangesQuery())
    session = get_session()
    if session.get_bind().dialect.name == "postgresql":
        # One snapshot for the whole page: an order and its line items as one commit left them.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    connection_pk = None
    if "connection" in query:
        connection_pk = _connection_pk(session, query["connection"])
    changes = read_changes(
        session,
        query["after"],
        query["limit"],
        connection_pk=connection_pk,
        entities=[query["entity"]] if "entity" in query else FEED_MODELS,
    )
    return jsonify(
        changes=[
            {"position": position, "entity": entity, "connection_id": connection_id, "record": record_json(entity, record)}
            for position, entity, connection_id, record in changes
        ],
        next_after=changes[-1][0] if changes else query["after"],
    )


def _connection_pk(session, public_id: str) -> int:
    """The connection's primary key; a 422 naming `connection` when there is none (deleted ones have their records still)."""
    found = None
    if is_public_id(public_id):
        found = session.scalar(select(Connection.id).where(Connection.public_id == public_id))
    if found is None:
        raise InvalidInput({"connection": ["no connection with that id"]})
    return found
