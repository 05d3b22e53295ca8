"""Admin API: connections, their webhooks, and the orders and products they brought in."""

from flask import Blueprint, Response, jsonify, url_for
from sqlalchemy import func, select

from api.auth import require_admin_token
from api.errors import error_response
from api.idempotency import answer_once
from api.inputs import load_body, load_query
from api.schemas import (
    ConnectionInput,
    ConnectionPatch,
    PageQuery,
    VerifyInput,
    connection_json,
    order_json,
    product_json,
    schedule_json,
    webhook_json,
)
from connections.notify_endpoint import notify_columns
from db.ids import is_external_id
from db.models import Order, Product
from stores.woocommerce.errors import StoreError
from web.resources import connection_service, get_session, get_settings, get_vault
from webhooks.registration import registration_state

bp = Blueprint("connections", __name__, url_prefix="/api/connections")
require_admin_token(bp)


def _detail(connection) -> dict:
    return {
        **connection_json(connection),
        "webhooks_state": registration_state([webhook.status for webhook in connection.webhooks]),
        "webhooks": [webhook_json(webhook) for webhook in connection.webhooks],
        "schedules": [schedule_json(schedule) for schedule in connection.schedules],
    }


@bp.post("/verify")
def verify():
    """Check fields against the store without saving anything."""
    fields = load_body(VerifyInput())
    try:
        verification = connection_service().verify(fields["api_url"], fields["access_token"], fields["secret"])
    except StoreError as error:
        return jsonify(ok=False, error=error.to_dict())
    return jsonify(ok=True, store={**verification.store, "auth_mode": verification.auth_mode})


@bp.post("")
def create():
    """Verify, save, queue the webhooks' registration: 201 with the connection, or 400 with the
    diagnosis; a retry with the first request's Idempotency-Key gets the first answer."""
    fields = load_body(ConnectionInput())
    fields = {**fields, **_notify(fields, None)}
    return answer_once("create-connection", lambda: _create(fields))


def _create(fields: dict):
    try:
        connection = connection_service().create(fields)
    except StoreError as error:
        return error_response(400, error.code, error.message)
    return jsonify(_detail(connection)), 201, {"Location": url_for(".get", connection_id=connection.public_id)}


@bp.get("")
def list_connections():
    """Every active connection."""
    return jsonify(items=[connection_json(connection) for connection in connection_service().list_active()])


@bp.get("/<connection_id>")
def get(connection_id: str):
    """One connection with its webhooks and schedules."""
    return jsonify(_detail(connection_service().get(connection_id)))


@bp.patch("/<connection_id>")
def patch(connection_id: str):
    """Change fields; new credentials or URL are verified first and webhooks re-registered."""
    service = connection_service()
    connection = service.get(connection_id)
    changes = load_body(ConnectionPatch(), partial=True)
    changes = {**changes, **_notify(changes, connection)}
    try:
        service.update(connection, changes)
    except StoreError as error:
        return error_response(400, error.code, error.message)
    return jsonify(_detail(connection))


def _notify(fields: dict, stored) -> dict:
    """The connection's own notification endpoint, checked (422 naming the field), its secret encrypted."""
    return notify_columns(fields, get_vault(), stored, https=get_settings().production)


@bp.delete("/<connection_id>")
def delete(connection_id: str):
    """Remove the store's webhooks (best effort) and the connection; 204.

    A 204 has no body, so webhooks the store would not delete are reported in a header
    (their store ids) and in the log.
    """
    service = connection_service()
    removal = service.delete(service.get(connection_id))
    response = Response(status=204)
    if removal.failures:
        response.headers["Storelink-Webhooks-Not-Removed"] = ",".join(str(i) for i in sorted(removal.failures))
    return response


def _page(model, connection_id: str, serialize):
    connection = connection_service().get(connection_id)
    query = load_query(PageQuery())
    conditions = [model.connection_id == connection.id]
    if "status" in query:
        conditions.append(model.status == query["status"])
    if "modified_since" in query:
        conditions.append(model.modified_at >= query["modified_since"])
    session = get_session()
    total = session.scalar(select(func.count()).select_from(model).where(*conditions))
    rows = session.scalars(
        select(model)
        .where(*conditions)
        .order_by(model.modified_at.desc(), model.id.desc())
        .limit(query["per_page"])
        .offset((query["page"] - 1) * query["per_page"])
    )
    return jsonify(items=[serialize(row) for row in rows], page=query["page"], per_page=query["per_page"], total=total)


def _one(model, connection_id: str, external_id: str):
    connection = connection_service().get(connection_id)
    if not is_external_id(external_id):
        return None
    return get_session().scalar(
        select(model).where(model.connection_id == connection.id, model.external_id == external_id)
    )


@bp.get("/<connection_id>/orders")
def list_orders(connection_id: str):
    """Stored orders, newest modified first."""
    return _page(Order, connection_id, lambda order: order_json(order, with_line_items=False))


@bp.get("/<connection_id>/orders/<external_id>")
def get_order(connection_id: str, external_id: str):
    """One order with its line items."""
    order = _one(Order, connection_id, external_id)
    if order is None:
        return error_response(404, "not_found", "no order with that id in this connection")
    return jsonify(order_json(order, with_line_items=True))


@bp.get("/<connection_id>/products")
def list_products(connection_id: str):
    """Stored products and variations, newest modified first."""
    return _page(Product, connection_id, product_json)


@bp.get("/<connection_id>/products/<external_id>")
def get_product(connection_id: str, external_id: str):
    """One product or variation."""
    product = _one(Product, connection_id, external_id)
    if product is None:
        return error_response(404, "not_found", "no product with that id in this connection")
    return jsonify(product_json(product))
