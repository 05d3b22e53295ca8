"""The stored data in the console: a connection's newest orders and products, page by page, and one record.

The queries are the read API's (`api.record_queries`), so the console and the API never disagree
about what is stored. A deleted connection's records stay readable here too.
"""

from flask import abort, render_template, request
from marshmallow import ValidationError

from api.record_queries import MODELS, find_record, readable_connection, record_page
from api.resources import get_session
from api.schemas import PageQuery
from console.blueprint import bp

# Rows per page: enough to scan, short enough for a phone.
PER_PAGE = 25
LABELS = {"orders": "Orders", "products": "Products"}


def _entity(entity: str):
    if entity not in MODELS:
        abort(404, f"There is no such kind of record; the console shows {', '.join(MODELS)}.")
    return MODELS[entity]


@bp.get("/connections/<connection_id>/orders", defaults={"entity": "orders"})
@bp.get("/connections/<connection_id>/products", defaults={"entity": "products"})
def records(connection_id: str, entity: str):
    """The newest stored records of one entity, newest modified first, `PER_PAGE` at a time."""
    model = _entity(entity)
    session = get_session()
    connection = readable_connection(session, connection_id)
    try:
        query = PageQuery(only=("page",)).load({"page": request.args.get("page", "1")})
    except ValidationError as error:
        abort(400, f"page: {' '.join(error.messages.get('page', []))}")
    total, rows = record_page(session, model, connection.id, {**query, "per_page": PER_PAGE})
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "console/records.html",
        connection=connection,
        entity=entity,
        label=LABELS[entity],
        rows=rows,
        total=total,
        page=query["page"],
        pages=pages,
        per_page=PER_PAGE,
    )


@bp.get("/connections/<connection_id>/orders/<external_id>", defaults={"entity": "orders"})
@bp.get("/connections/<connection_id>/products/<external_id>", defaults={"entity": "products"})
def record(connection_id: str, entity: str, external_id: str):
    """One stored order (with its line items) or product, as last stored."""
    model = _entity(entity)
    session = get_session()
    connection = readable_connection(session, connection_id)
    found = find_record(session, model, connection.id, external_id)
    if found is None:
        noun = entity[:-1]
        abort(404, f"No {noun} with the store's id {external_id} is stored for this connection.")
    template = "console/order.html" if entity == "orders" else "console/product.html"
    return render_template(template, connection=connection, record=found, entity=entity, label=LABELS[entity])
