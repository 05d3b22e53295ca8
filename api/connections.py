"""Admin API: connections, their webhooks, and the orders and products they brought in."""

from flask import Blueprint, Response, jsonify, url_for
from sqlalchemy import func, select

from api.auth import require_admin_token
from api.errors import error_response
from api.idempotency import answer_once
from api.inputs import load_body, load_query
from api.records import OrderOut, OrderPageOut, ProductOut, ProductPageOut
from api.representations import ConnectionCreatedOut, ConnectionDetailOut, ConnectionListOut, VerificationOut
from api.schemas import ConnectionInput, ConnectionPatch, PageQuery, VerifyInput
from connections.reachability import delivery_warnings
from db.ids import is_external_id
from db.models import Order, Product
from stores.woocommerce.errors import StoreError
from web.resources import connection_service, get_session, get_settings
from webhooks.registration import registration_state

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
        verification = connection_service().verify(fields["api_url"], fields["access_token"], fields["secret"])
    except StoreError as error:
        return jsonify(_VERIFICATION.dump({"ok": False, "error": error.to_dict()}))
    store = {**verification.store, "auth_mode": verification.auth_mode}
    return jsonify(_VERIFICATION.dump({"ok": True, "store": store}))


@bp.post("")
def create():
    """Verify, save, queue the webhooks' registration: 201 with the connection, or 400 with the
    diagnosis; a retry with the first request's Idempotency-Key gets the first answer."""
    fields = load_body(ConnectionInput())
    return answer_once("create-connection", lambda: _create(fields))


def _create(fields: dict):
    try:
        connection = connection_service().create(fields)
    except StoreError as error:
        return error_response(400, error.code, error.message)
    state = registration_state([webhook.status for webhook in connection.webhooks])
    warnings = delivery_warnings(get_settings().public_url, connection.api_url)
    created = _CREATED.dump((connection, {"webhooks_state": state, "warnings": warnings}))
    return jsonify(created), 201, {"Location": url_for(".get", connection_id=connection.public_id)}


@bp.get("")
def list_connections():
    """Every active connection."""
    return jsonify(_LIST.dump({"items": connection_service().list_active()}))


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
    try:
        service.update(connection, changes)
    except StoreError as error:
        return error_response(400, error.code, error.message)
    return jsonify(_detail(connection))


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


def _page(model, connection_id: str, page_schema):
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
    page = {"items": rows, "page": query["page"], "per_page": query["per_page"], "total": total}
    return jsonify(page_schema.dump(page))


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
