"""What the read API answers for stored orders and products: the schemas that dump them and
document them in `/openapi.json`. Nullable exactly where the connectors' mappers
and the columns (db/models.py) allow None.
"""

from marshmallow import Schema, fields

from api.representations import money, nullable_text, text, timestamp


class StringMap(fields.Dict):
    """An object of strings or nulls (the mapper checked each), answered as stored."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else dict(value)


def _address(description: str) -> fields.Dict:
    """An object of strings or nulls, as the mapper copies it from the store."""
    return StringMap(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        required=True,
        metadata={"description": description},
    )


class LineItemOut(Schema):
    """One line of an order."""

    external_id = text()
    product_external_id = nullable_text()
    variation_external_id = nullable_text()
    sku = nullable_text()
    name = nullable_text()
    quantity = fields.Integer(required=True, allow_none=True)
    price = money()
    total = money()


class OrderSummaryOut(Schema):
    """An order as lists show it (no line items)."""

    external_id = text()
    number = nullable_text()
    status = nullable_text()
    currency = nullable_text()
    total = money()
    subtotal = money()
    total_tax = money()
    shipping_total = money()
    discount_total = money()
    payment_method = nullable_text()
    customer = _address("external_id, email, first_name, last_name")
    billing = _address("the billing address as the store sent it")
    shipping = _address("the shipping address as the store sent it")
    created_at = timestamp()
    modified_at = timestamp(nullable=False)
    paid_at = timestamp()
    completed_at = timestamp()
    warehouse = nullable_text()
    deleted = fields.Boolean(required=True)


class OrderOut(OrderSummaryOut):
    """One order with its line items."""

    line_items = fields.Nested(LineItemOut, many=True, required=True)


class ProductOut(Schema):
    """A product or variation (variations carry `parent_external_id`)."""

    external_id = text()
    parent_external_id = nullable_text()
    type = nullable_text()
    name = nullable_text()
    sku = nullable_text()
    status = nullable_text()
    price = money()
    regular_price = money()
    sale_price = money()
    stock_quantity = fields.Integer(required=True, allow_none=True)
    stock_status = nullable_text()
    manage_stock = fields.Boolean(required=True, allow_none=True)
    created_at = timestamp()
    modified_at = timestamp(nullable=False)
    deleted = fields.Boolean(required=True)


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A page of `item`s: `{"items", "page", "per_page", "total"}`."""
    return Schema.from_dict(
        {
            "items": fields.Nested(item, many=True, required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "total": fields.Integer(required=True),
        },
        name=name,
    )


OrderPageOut = page_of(OrderSummaryOut, "OrderPageOut")
ProductPageOut = page_of(ProductOut, "ProductPageOut")
