"""Admin API: connections, their webhooks, and the orders and products they brought in."""

from flask import Blueprint, Response, jsonify, url_for

from api.auth import require_admin_token
from api.errors import error_response
from api.idempotency import answer_once
from api.inputs import load_body, load_query
from api.record_queries import find_record, readable_connection, record_page
from api.records import OrderOut, OrderPageOut, ProductOut, ProductPageOut
from api.representations import ConnectionCreatedOut, ConnectionDetailOut, ConnectionListOut, VerificationOut
from api.resources import connection_service, get_session, get_settings, get_vault
from api.schemas import ConnectionInput, ConnectionPatch, PageQuery, VerifyInput, isoformat
from connections.errors import ConnectionNotFound
from connections.notify_endpoint import notify_columns
from connections.reachability import delivery_warnings
from connections.webhooks import registration_state
from db.models import Order, Product
from stores.errors import StoreError
from stores.registry import connector_for

bp = Blueprint("connections", __name__, url_prefix="/api/connections")
require_admin_token(bp)

# The schemas that dump these answers also document them (api.openapi).
_DETAIL = ConnectionDetailOut()
_CREATED = ConnectionCreatedOut()
_LIST = ConnectionListOut()
_VERIFICATION = VerificationOut()
_ORDER, _ORDER_PAGE = OrderOut(), OrderPageOut()
_PRODUCT, _PRODUCT_PAGE = ProductOut(), ProductPageOut()


def _detail(connection) -> dict:
    state = registration_state([webhook.status for webhook in connection.webhooks])
    return _DETAIL.dump((connection, {"webhooks_state": state}))


@bp.post("/verify")
def verify():
    """Check fields against the store without saving anything."""
    fields = load_body(VerifyInput())
    try:
        verification = connection_service().verify(
            fields["api_url"], fields["access_token"], fields["secret"], system=fields["external_system"],
            order_start=fields.get("order_start"),
        )
    except StoreError as error:
        return jsonify(_VERIFICATION.dump({"ok": False, "error": error.to_dict()}))
    store = {**verification.store, "auth_mode": verification.auth_mode}
    return jsonify(_VERIFICATION.dump({"ok": True, "store": store}))


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
    state = registration_state([webhook.status for webhook in connection.webhooks])
    warnings = delivery_warnings(get_settings().public_url, connection.api_url, connector_for(connection.external_system))
    created = _CREATED.dump((connection, {"webhooks_state": state, "warnings": warnings}))
    return jsonify(created), 201, {"Location": url_for(".get", connection_id=connection.public_id)}


@bp.get("")
def list_connections():
    """Every active connection."""
    return jsonify(_LIST.dump({"items": connection_service().list_active()}))


@bp.get("/<connection_id>")
def get(connection_id: str):
    """One connection with its webhooks and schedules; a deleted one is 410, its records still readable."""
    try:
        return jsonify(_detail(connection_service().get(connection_id)))
    except ConnectionNotFound:
        removed = readable_connection(get_session(), connection_id)  # ConnectionNotFound again: 404
    return error_response(
        410,
        "connection_deleted",
        f"the connection was deleted at {isoformat(removed.deleted_at)}; its stored orders and products stay "
        "readable under its /orders and /products",
    )


@bp.patch("/<connection_id>")
def patch(connection_id: str):
    """Change fields; new credentials or URL are verified first and webhooks re-registered."""
    service = connection_service()
    connection = service.get(connection_id)
    changes = load_body(ConnectionPatch(system=connection.external_system), partial=True)
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
        response.headers["Storelink-Webhooks-Not-Removed"] = ",".join(sorted(removal.failures, key=lambda webhook_id: (len(webhook_id), webhook_id)))
    return response


def _page(model, connection_id: str, page_schema):
    session = get_session()
    connection = readable_connection(session, connection_id)
    query = load_query(PageQuery())
    total, rows = record_page(session, model, connection.id, query)
    page = {"items": rows, "page": query["page"], "per_page": query["per_page"], "total": total}
    return jsonify(page_schema.dump(page))


def _one(model, connection_id: str, external_id: str):
    session = get_session()
    return find_record(session, model, readable_connection(session, connection_id).id, external_id)


@bp.get("/<connection_id>/orders")
def list_orders(connection_id: str):
    """Stored orders, newest modified first."""
    return _page(Order, connection_id, _ORDER_PAGE)


@bp.get("/<connection_id>/orders/<external_id>")
def get_order(connection_id: str, external_id: str):
    """One order with its line items."""
    order = _one(Order, connection_id, external_id)
    if order is None:
        return error_response(404, "not_found", "no order with that id in this connection")
    return jsonify(_ORDER.dump(order))


@bp.get("/<connection_id>/products")
def list_products(connection_id: str):
    """Stored products and variations, newest modified first."""
    return _page(Product, connection_id, _PRODUCT_PAGE)


@bp.get("/<connection_id>/products/<external_id>")
def get_product(connection_id: str, external_id: str):
    """One product or variation."""
    product = _one(Product, connection_id, external_id)
    if product is None:
        return error_response(404, "not_found", "no product with that id in this connection")
    return jsonify(_PRODUCT.dump(product))
