"""The fields of each Shopify record, named in both of its shapes: the one place their rules are declared.

Each `Field` gives our record's name, the REST (webhook) name, the GraphQL name and the
kind; `fields.Shape` reads a payload of either shape by it. Only values both shapes carry
are declared, so that a delivery and a poll of the same change give the same record. The
GraphQL names are those `walks.py` asks for: its queries select exactly these fields.
"""

from stores.readers import read_id, read_int, read_money, read_text, read_utc
from stores.shopify.fields import (
    Field,
    Kind,
    Shape,
    list_of,
    lower,
    node_ref,
    nullable,
    object_of,
    read_gid,
    same,
    shop_money,
)

TEXT = same(read_text)
INTEGER = same(read_int)
ENUM = same(lower)
TIME = same(read_utc)
MONEY = Kind(shop_money("shop_money"), shop_money("shopMoney"))
PRICE = same(read_money)  # a variant's price: decimal text in both shapes


def ids(kind: str) -> Kind:
    """A record's own id: a number in REST, a GID of `kind` in GraphQL."""
    return Kind(read_id, read_gid(kind))


def refs(kind: str) -> Kind:
    """Another record's id, or null: `<x>_id` in REST, `<x> { id }` in GraphQL."""
    return Kind(nullable(read_id), node_ref(kind))


# GraphQL's displayFulfillmentStatus, as REST's fulfillment_status says it (null: nothing fulfilled).
FULFILLMENT_OF_NODE = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked"}


def _fulfillment_of_node(value, field):
    text = read_text(value, field)
    return None if text is None else FULFILLMENT_OF_NODE.get(text.upper())


def _fulfillment_of_rest(value, field):
    text = lower(value, field)
    return None if text in (None, "unfulfilled", "null") else text


FULFILLMENT = Kind(_fulfillment_of_rest, _fulfillment_of_node)

ADDRESS = Shape(
    Field("first_name", "first_name", "firstName", TEXT),
    Field("last_name", "last_name", "lastName", TEXT),
    Field("name", "name", "name", TEXT),
    Field("company", "company", "company", TEXT),
    Field("address1", "address1", "address1", TEXT),
    Field("address2", "address2", "address2", TEXT),
    Field("city", "city", "city", TEXT),
    Field("province", "province", "province", TEXT),
    Field("province_code", "province_code", "provinceCode", TEXT),
    Field("zip", "zip", "zip", TEXT),
    Field("country", "country", "country", TEXT),
    Field("country_code", "country_code", "countryCodeV2", TEXT),
    Field("phone", "phone", "phone", TEXT),
)

CUSTOMER = Shape(
    # Shopify may redact a customer for an app without access to customer data: no id is null.
    Field("external_id", "id", "id", Kind(nullable(read_id), nullable(read_gid("Customer")))),
    Field("email", "email", "email", TEXT),
    Field("first_name", "first_name", "firstName", TEXT),
    Field("last_name", "last_name", "lastName", TEXT),
)

LINE_ITEM = Shape(
    Field("external_id", "id", "id", ids("LineItem"), required=True),
    Field("product_external_id", "product_id", "product", refs("Product")),
    Field("variation_external_id", "variant_id", "variant", refs("ProductVariant")),
    Field("sku", "sku", "sku", TEXT),
    Field("name", "name", "name", TEXT),
    Field("quantity", "quantity", "quantity", INTEGER),
    Field("price", "price_set", "originalUnitPriceSet", MONEY),
    # The line's total after its own discounts: REST has the discount, GraphQL the total.
    Field("total_discount", "total_discount_set", None, MONEY),
    Field("discounted_total", None, "discountedTotalSet", MONEY),
)

ORDER = Shape(
    Field("external_id", "id", "id", ids("Order"), required=True),
    Field("number", "name", "name", TEXT),
    Field("email", "email", "email", TEXT),
    Field("currency", "currency", "currencyCode", TEXT),
    Field("financial_status", "financial_status", "displayFinancialStatus", ENUM),
    Field("fulfillment_status", "fulfillment_status", "displayFulfillmentStatus", FULFILLMENT),
    Field("total", "total_price_set", "totalPriceSet", MONEY),
    Field("subtotal", "subtotal_price_set", "subtotalPriceSet", MONEY),
    Field("total_tax", "total_tax_set", "totalTaxSet", MONEY),
    Field("shipping_total", "total_shipping_price_set", "totalShippingPriceSet", MONEY),
    Field("discount_total", "total_discounts_set", "totalDiscountsSet", MONEY),
    Field("customer", "customer", "customer", object_of(CUSTOMER)),
    Field("billing", "billing_address", "billingAddress", object_of(ADDRESS)),
    Field("shipping", "shipping_address", "shippingAddress", object_of(ADDRESS)),
    Field("line_items", "line_items", "lineItems", list_of(LINE_ITEM)),
    Field("created_at", "created_at", "createdAt", TIME),
    Field("modified_at", "updated_at", "updatedAt", TIME, required=True),
    Field("cancelled_at", "cancelled_at", "cancelledAt", TIME),
    Field("closed_at", "closed_at", "closedAt", TIME),
)

PRODUCT = Shape(
    Field("external_id", "id", "id", ids("Product"), required=True),
    Field("name", "title", "title", TEXT),
    Field("status", "status", "status", ENUM),
    Field("created_at", "created_at", "createdAt", TIME),
    Field("modified_at", "updated_at", "updatedAt", TIME, required=True),
)

# A variant's own fields; its product's (name, status, time) come from `product`.
VARIANT = Shape(
    Field("external_id", "id", "id", ids("ProductVariant"), required=True),
    Field("title", "title", "title", TEXT),
    Field("sku", "sku", "sku", TEXT),
    Field("price", "price", "price", PRICE),
    Field("compare_at_price", "compare_at_price", "compareAtPrice", PRICE),
    Field("stock_quantity", "inventory_quantity", "inventoryQuantity", INTEGER),
    Field("created_at", "created_at", "createdAt", TIME),
    Field("modified_at", "updated_at", "updatedAt", TIME, required=True),
    Field("product", "product", "product", object_of(PRODUCT)),
)
