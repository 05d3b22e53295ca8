"""GraphQL objects of the Admin API built from the shop's records, and the query root's resolvers.

Objects are dicts in GraphQL's shape; a value that needs arguments (a nested connection) is a
callable `(info, **args)`, called by `resolve_field`. Scopes are enforced as Shopify does: a
field the app may not read is an ACCESS_DENIED error; orders older than 60 days are invisible
without `read_all_orders`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from .auth import SCOPE_DESCRIPTIONS, App
from .rest import gid, order_totals, presentment, utc_time
from .search import MAX_PAGE_SIZE, matches, paginate, parse_query
from .values import money

if TYPE_CHECKING:
    from .emulator import ShopifyEmulator

ORDER_WINDOW_SECONDS = 60 * 86400
GID = re.compile(r"^gid://shopify/(?P<kind>[A-Za-z]+)/(?P<id>\d+)$")
FINANCIAL = {"pending": "PENDING", "authorized": "AUTHORIZED", "partially_paid": "PARTIALLY_PAID", "paid": "PAID",
             "partially_refunded": "PARTIALLY_REFUNDED", "refunded": "REFUNDED", "voided": "VOIDED",
             "expired": "EXPIRED"}
FULFILLMENT = {None: "UNFULFILLED", "partial": "PARTIALLY_FULFILLED", "fulfilled": "FULFILLED", "restocked": "RESTOCKED"}
ORDER_SORT = {"UPDATED_AT": "updated_at", "CREATED_AT": "created_at", "PROCESSED_AT": "processed_at",
              "ORDER_NUMBER": "order_number"}
PRODUCT_SORT = {"UPDATED_AT": "updated_at", "CREATED_AT": "created_at", "PUBLISHED_AT": "published_at"}
ORDER_SEARCH = {
    "updated_at": lambda o: o["updated_at"], "created_at": lambda o: o["created_at"],
    "processed_at": lambda o: o["processed_at"], "id": lambda o: o["id"], "name": lambda o: o["name"],
    "email": lambda o: o["email"], "financial_status": lambda o: o["financial_status"],
    "status": lambda o: "cancelled" if o["cancelled_at"] else ("closed" if o["closed_at"] else "open"),
}
PRODUCT_SEARCH = {
    "updated_at": lambda p: p["updated_at"], "created_at": lambda p: p["created_at"], "id": lambda p: p["id"],
    "title": lambda p: p["title"], "status": lambda p: p["status"], "vendor": lambda p: p["vendor"],
    "product_type": lambda p: p["product_type"],
}


@dataclass
class Context:
    """Who is asking: the emulator, the app whose token was sent, and whether this is a bulk run."""

    emulator: ShopifyEmulator
    app: App
    unlimited: bool = False


def resolve_field(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """Dict keys (or attributes); callables are called with the field's arguments."""
    value = source.get(info.field_name) if isinstance(source, dict) else getattr(source, info.field_name, None)
    return value(info, **args) if callable(value) else value


def access_denied(field: str, scope: str) -> GraphQLError:
    """Shopify's error for a field the app's scopes do not cover."""
    required = f"`{scope}` access scope."
    return GraphQLError(
        f"Access denied for {field} field. Required access: {required}",
        extensions={"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes",
                    "requiredAccess": required},
    )


def require(context: Context, field: str, scope: str) -> None:
    if not context.app.has_scope(scope):
        raise access_denied(field, scope)


def parse_gid(value: str) -> tuple[str, int]:
    """("Order", 5678…) of a GID; Shopify's coercion error otherwise."""
    match = GID.match(value or "")
    if not match:
        raise GraphQLError(f"Invalid global id '{value}'",
                           extensions={"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"})
    return match["kind"], int(match["id"])


def order_visible(context: Context, order: dict[str, Any]) -> bool:
    """Orders over 60 days old exist only for apps with read_all_orders."""
    if context.app.has_scope("read_all_orders"):
        return True
    return order["created_at"] >= context.emulator.store.now() - ORDER_WINDOW_SECONDS


def money_bag(order: dict[str, Any], amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": order["currency"]},
            "presentmentMoney": {"amount": presentment(order, amount), "currencyCode": order["presentment_currency"]}}


def _address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if address is None:
        return None
    keys = ("first_name", "last_name", "name", "company", "address1", "address2", "city", "province",
            "province_code", "zip", "country", "phone")
    camel = {key: re.sub(r"_(\w)", lambda m: m[1].upper(), key) for key in keys}
    shaped = {camel[key]: address.get(key) for key in keys}
    shaped["countryCodeV2"] = address.get("country_code")
    return shaped


def order_node(context: Context, order: dict[str, Any]) -> dict[str, Any]:
    """An Order object."""
    totals = order_totals(order)
    customer = order["customer"]
    emulator = context.emulator

    def line_items(info, **args):
        def item_node(item):
            found = emulator.store.find_variant(item["variant_id"]) if item["variant_id"] else None
            product = emulator.store.products.get(item["product_id"]) if item["product_id"] else None
            return {
                "__typename": "LineItem", "id": gid("LineItem", item["id"]), "name": item["name"],
                "title": item["title"], "sku": item["sku"], "quantity": item["quantity"],
                "currentQuantity": item["quantity"],
                "variant": variant_node(context, *found) if found else None,
                "product": product_node(context, product) if product else None,
                "originalUnitPriceSet": money_bag(order, item["price"]),
                "originalTotalSet": money_bag(order, _times(item["price"], item["quantity"])),
                "discountedTotalSet": money_bag(order, _times(item["price"], item["quantity"])),
            }
        return paginate(order["line_items"], lambda i: i["id"], item_node, args, unlimited=context.unlimited)

    return {
        "__typename": "Order",
        "id": gid("Order", order["id"]),
        "legacyResourceId": str(order["id"]),
        "name": order["name"], "email": order["email"], "phone": order["phone"], "note": order["note"],
        "tags": order["tags"], "test": order["test"], "confirmed": order["confirmed"],
        "closed": order["closed_at"] is not None,
        "createdAt": utc_time(order["created_at"]), "updatedAt": utc_time(order["updated_at"]),
        "processedAt": utc_time(order["processed_at"]), "cancelledAt": utc_time(order["cancelled_at"]),
        "cancelReason": (order["cancel_reason"] or "").upper() or None, "closedAt": utc_time(order["closed_at"]),
        "currencyCode": order["currency"], "presentmentCurrencyCode": order["presentment_currency"],
        "displayFinancialStatus": FINANCIAL[order["financial_status"]],
        "displayFulfillmentStatus": FULFILLMENT[order["fulfillment_status"]],
        "totalPriceSet": money_bag(order, totals["total"]),
        "currentTotalPriceSet": money_bag(order, totals["total"]),
        "subtotalPriceSet": money_bag(order, totals["subtotal"]),
        "totalTaxSet": money_bag(order, totals["tax"]),
        "totalShippingPriceSet": money_bag(order, totals["shipping"]),
        "totalDiscountsSet": money_bag(order, totals["discounts"]),
        "customer": None if customer is None else {
            "__typename": "Customer", "id": gid("Customer", customer["id"]), "legacyResourceId": str(customer["id"]),
            "firstName": customer.get("first_name"), "lastName": customer.get("last_name"),
            "displayName": " ".join(filter(None, (customer.get("first_name"), customer.get("last_name"))))
            or customer.get("email") or "",
            "email": customer.get("email"), "phone": customer.get("phone"),
        },
        "billingAddress": _address(order["billing_address"]),
        "shippingAddress": _address(order["shipping_address"]),
        "lineItems": line_items,
    }


def _times(price: str, quantity: int) -> str:
    return money(Decimal(price) * quantity)


def product_node(context: Context, product: dict[str, Any]) -> dict[str, Any]:
    """A Product object; `variants` is a connection (products may have far more than 100)."""
    def variants(info, **args):
        key = {"ID": lambda v: v["id"], "SKU": lambda v: v["sku"] or "", "TITLE": lambda v: v["title"]}.get(
            args.get("sortKey"), lambda v: v["position"])
        return paginate(product["variants"], key, lambda v: variant_node(context, product, v), args,
                        unlimited=context.unlimited)

    return {
        "__typename": "Product",
        "id": gid("Product", product["id"]), "legacyResourceId": str(product["id"]),
        "title": product["title"], "handle": product["handle"], "descriptionHtml": product["body_html"],
        "vendor": product["vendor"], "productType": product["product_type"], "status": product["status"].upper(),
        "tags": product["tags"], "createdAt": utc_time(product["created_at"]),
        "updatedAt": utc_time(product["updated_at"]), "publishedAt": utc_time(product["published_at"]),
        "totalInventory": sum(v["inventory_quantity"] for v in product["variants"]),
        "hasOnlyDefaultVariant": [v["title"] for v in product["variants"]] == ["Default Title"],
        "variantsCount": {"count": len(product["variants"]), "precision": "EXACT"},
        "variants": variants,
    }


def variant_node(context: Context, product: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any]:
    """A ProductVariant object."""
    options = [o for o in (variant["option1"], variant["option2"], variant["option3"]) if o]
    return {
        "__typename": "ProductVariant",
        "id": gid("ProductVariant", variant["id"]), "legacyResourceId": str(variant["id"]),
        "title": variant["title"], "displayName": f"{product['title']} - {variant['title']}",
        "sku": variant["sku"], "barcode": variant["barcode"], "price": variant["price"],
        "compareAtPrice": variant["compare_at_price"], "position": variant["position"],
        "inventoryQuantity": variant["inventory_quantity"], "taxable": variant["taxable"],
        "createdAt": utc_time(variant["created_at"]), "updatedAt": utc_time(variant["updated_at"]),
        "selectedOptions": [{"name": f"Option{n}", "value": o} for n, o in enumerate(options, 1)],
        "inventoryItem": {"__typename": "InventoryItem", "id": gid("InventoryItem", variant["inventory_item_id"]),
                          "legacyResourceId": str(variant["inventory_item_id"]), "sku": variant["sku"],
                          "tracked": True},
        "product": lambda info: product_node(context, product),
    }


def find_node(context: Context, value: str) -> dict[str, Any] | None:
    """The object a GID names, or None when there is none (deleted, never existed, not visible)."""
    kind, record_id = parse_gid(value)
    store = context.emulator.store
    if kind == "Order":
        require(context, "orders", "read_orders")
        order = store.orders.get(record_id)
        return order_node(context, order) if order and order_visible(context, order) else None
    if kind == "Product":
        require(context, "products", "read_products")
        product = store.products.get(record_id)
        return product_node(context, product) if product else None
    if kind == "ProductVariant":
        require(context, "productVariants", "read_products")
        found = store.find_variant(record_id)
        return variant_node(context, *found) if found else None
    return context.emulator.other_node(context, kind, record_id)


def orders(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    require(context, "orders", "read_orders")
    terms = parse_query(args.get("query"))
    with context.emulator.store.lock:
        chosen = [o for o in context.emulator.store.orders.values()
                  if order_visible(context, o) and matches(o, terms, ORDER_SEARCH)]
    key = ORDER_SORT.get(args.get("sortKey") or "", "id")
    return paginate(chosen, lambda o: o[key], lambda o: order_node(context, o), args, unlimited=context.unlimited)


def products(context: Context, args: dict[str, Any]) -> dict[str, Any]:
    require(context, "products", "read_products")
    terms = parse_query(args.get("query"))
    with context.emulator.store.lock:
        chosen = [p for p in context.emulator.store.products.values() if matches(p, terms, PRODUCT_SEARCH)]
    sort = args.get("sortKey") or ""
    if sort == "TITLE":
        key = lambda p: p["title"].lower()  # noqa: E731
    else:
        field = PRODUCT_SORT.get(sort, "id")
        key = lambda p: p[field] or 0  # noqa: E731
    return paginate(chosen, key, lambda p: product_node(context, p), args, unlimited=context.unlimited)


def query_root(context: Context) -> dict[str, Any]:
    """The root value for queries."""
    emulator = context.emulator
    app = context.app

    def nodes(info, ids):
        if len(ids) > MAX_PAGE_SIZE:
            raise GraphQLError(f"The maximum number of ids is {MAX_PAGE_SIZE}.")
        return [find_node(context, value) for value in ids]

    def count(records, terms, fields, visible=lambda r: True):
        return {"count": sum(1 for r in records if visible(r) and matches(r, parse_query(terms), fields)),
                "precision": "EXACT"}

    return {
        "shop": lambda info: emulator.shop_node(),
        "currentAppInstallation": lambda info: {
            "__typename": "AppInstallation", "id": gid("AppInstallation", app.id),
            "accessScopes": [{"handle": s, "description": SCOPE_DESCRIPTIONS.get(s, s)} for s in app.scopes],
            "app": {"__typename": "App", "id": gid("App", app.id), "title": app.title, "apiKey": app.client_id},
        },
        "node": lambda info, id: find_node(context, id),
        "nodes": nodes,
        "order": lambda info, id: find_node(context, id) if parse_gid(id)[0] == "Order" else None,
        "product": lambda info, id: find_node(context, id) if parse_gid(id)[0] == "Product" else None,
        "productVariant": lambda info, id: find_node(context, id) if parse_gid(id)[0] == "ProductVariant" else None,
        "orders": lambda info, **args: orders(context, args),
        "products": lambda info, **args: products(context, args),
        "ordersCount": lambda info, **args: (require(context, "ordersCount", "read_orders") or count(
            list(emulator.store.orders.values()), args.get("query"), ORDER_SEARCH, lambda o: order_visible(context, o))),
        "productsCount": lambda info, **args: (require(context, "productsCount", "read_products") or count(
            list(emulator.store.products.values()), args.get("query"), PRODUCT_SEARCH)),
        "webhookSubscription": lambda info, id: emulator.other_node(context, *parse_gid(id)),
        "webhookSubscriptions": lambda info, **args: emulator.subscriptions_connection(context, args),
        "currentBulkOperation": lambda info, type="QUERY": emulator.bulk.current(context, type),
        "bulkOperation": lambda info, id: emulator.other_node(context, *parse_gid(id)),
    }
