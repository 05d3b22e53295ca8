"""Products and variations: how they change, and the two JSON shapes WooCommerce gives them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .errors import RestError, invalid_id
from .phpcompat import sanitize_title
from .store import DEFAULT_CATEGORY, SELF_ALLOW, Store, Urls, money, parse_moment, price_text

# Fields callers may set, with the value a new product gets.
PRODUCT_DEFAULTS: dict[str, Any] = {
    "name": "",
    "type": "simple",
    "status": "publish",
    "featured": False,
    "catalog_visibility": "visible",
    "description": "",
    "short_description": "",
    "sku": "",
    "global_unique_id": "",
    "regular_price": "",
    "sale_price": "",
    "virtual": False,
    "downloadable": False,
    "external_url": "",
    "button_text": "",
    "tax_status": "taxable",
    "tax_class": "",
    "manage_stock": False,
    "stock_quantity": None,
    "stock_status": "instock",
    "backorders": "no",
    "low_stock_amount": None,
    "sold_individually": False,
    "weight": "",
    "dimensions": {"length": "", "width": "", "height": ""},
    "shipping_class": "",
    "reviews_allowed": True,
    "upsell_ids": [],
    "cross_sell_ids": [],
    "purchase_note": "",
    "menu_order": 0,
    "post_password": "",
    "total_sales": 0,
}
VARIATION_DEFAULTS: dict[str, Any] = {
    "status": "publish",
    "description": "",
    "sku": "",
    "global_unique_id": "",
    "regular_price": "",
    "sale_price": "",
    "virtual": False,
    "downloadable": False,
    "tax_status": "taxable",
    "tax_class": "",
    "manage_stock": False,
    "stock_quantity": None,
    "stock_status": "instock",
    "backorders": "no",
    "low_stock_amount": None,
    "weight": "",
    "dimensions": {"length": "", "width": "", "height": ""},
    "shipping_class": "",
    "menu_order": 0,
    # The captured store serialised a variation's total_sales as a string.
    "total_sales": "0",
}
PRICE_FIELDS = ("regular_price", "sale_price")
READONLY = ("id", "permalink", "price", "variations", "related_ids", "price_html", "on_sale", "purchasable")
# Accepted by the REST schema, without effect here (no media, downloads, brands or sale schedules).
IGNORED_FIELDS = (
    "brands", "images", "image", "downloads", "download_limit", "download_expiry", "product_id",
    "date_on_sale_from", "date_on_sale_from_gmt", "date_on_sale_to", "date_on_sale_to_gmt",
)


# -- changes ---------------------------------------------------------------------------------


def create_product(store: Store, fields: dict[str, Any]) -> dict[str, Any]:
    """Create a simple/variable/grouped/external product; raises product.created."""
    with store.lock:
        fields = dict(fields)
        variations = fields.pop("variations", None)
        now = store.now()
        record: dict[str, Any] = {key: _copy(value) for key, value in PRODUCT_DEFAULTS.items()}
        record.update(
            id=store.next_id("post", fields.pop("id", None)),
            kind="product",
            parent_id=0,
            created=now,
            modified=now,
            category_ids=[DEFAULT_CATEGORY["id"]],
            tags=[],
            attributes=[],
            default_attributes=[],
            meta_data=[],
            related_ids=None,
            pre_trash_status=None,
        )
        _apply(store, record, fields)
        _check_sku(store, record)
        _sync_stock_status(record)
        store.products[record["id"]] = record
        store.emit("product", "created", record["id"])
        for variation in variations or []:
            create_variation(store, record["id"], variation)
        return record


def create_variation(store: Store, parent_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Add a variation to a variable product; raises product.created for the variation."""
    with store.lock:
        parent = get_product(store, parent_id)
        fields = dict(fields)
        now = store.now()
        record: dict[str, Any] = {key: _copy(value) for key, value in VARIATION_DEFAULTS.items()}
        record.update(
            id=store.next_id("post", fields.pop("id", None)),
            kind="variation",
            type="variation",
            parent_id=parent["id"],
            created=now,
            modified=now,
            variation_attributes=[],
            meta_data=[],
            pre_trash_status=None,
        )
        _apply(store, record, fields)
        _check_sku(store, record)
        _sync_stock_status(record)
        store.products[record["id"]] = record
        _sync_parent(store, record)
        store.emit("product", "created", record["id"])
        return record


def update_product(store: Store, product_id: int, fields: dict[str, Any], event: bool = True) -> dict[str, Any]:
    """Change a product or variation; raises product.updated."""
    with store.lock:
        record = get_product(store, product_id)
        _apply(store, record, dict(fields))
        _check_sku(store, record)
        _sync_stock_status(record)
        record["modified"] = store.now()
        _sync_parent(store, record)
        if event:
            store.emit("product", "updated", record["id"])
        return record


def trash_product(store: Store, product_id: int) -> dict[str, Any]:
    """Move to the trash (variations of a variable product go quietly with it); raises product.deleted."""
    with store.lock:
        record = get_product(store, product_id)
        if record["status"] == "trash":
            raise RestError("woocommerce_rest_already_trashed", "The product has already been deleted.", 410)
        record["pre_trash_status"] = record["status"]
        record["status"] = "trash"
        record["modified"] = store.now()
        for child in children(store, record["id"], include_trash=True):
            child["pre_trash_status"], child["status"] = child["status"], "trash"
        store.emit("product", "deleted", record["id"])
        return record


def restore_product(store: Store, product_id: int) -> dict[str, Any]:
    """Take out of the trash; raises product.updated and product.restored."""
    with store.lock:
        record = get_product(store, product_id)
        if record["status"] != "trash":
            return record
        record["status"] = record.pop("pre_trash_status", None) or "draft"
        record["modified"] = store.now()
        for child in children(store, record["id"], include_trash=True):
            if child["status"] == "trash":
                child["status"] = child.get("pre_trash_status") or "publish"
        store.emit("product", "updated", record["id"])
        store.emit("product", "restored", record["id"])
        return record


def force_delete_product(store: Store, product_id: int) -> dict[str, Any]:
    """Delete for good, with its variations; WooCommerce sends no webhook for this."""
    with store.lock:
        record = get_product(store, product_id)
        for child in children(store, record["id"], include_trash=True):
            del store.products[child["id"]]
        del store.products[record["id"]]
        _sync_parent(store, record)
        return record


def change_stock(store: Store, product_id: int, delta: int) -> None:
    """Adjust stock for an order (only products that manage stock); raises product.updated."""
    record = store.products.get(product_id)
    if record is None or not record["manage_stock"]:
        return
    record["stock_quantity"] = int(record["stock_quantity"] or 0) + delta
    _sync_stock_status(record)
    record["modified"] = store.now()
    _sync_parent(store, record)
    store.emit("product", "updated", record["id"])


def record_sale(store: Store, product_id: int, quantity: int) -> None:
    """Count units sold; a meta update, so no webhook."""
    record = store.products.get(product_id)
    if record is None:
        return
    record["total_sales"] = type(record["total_sales"])(int(record["total_sales"]) + quantity)


def _sync_parent(store: Store, record: dict[str, Any]) -> None:
    """WC_Product_Variable::sync after a variation is saved or deleted: the parent is saved too.

    Its price range and stock status follow its variations (computed when it is read here),
    and the save moves its modification time; no webhook goes out for the parent.
    """
    parent = store.products.get(record["parent_id"]) if record["kind"] == "variation" else None
    if parent is not None:
        parent["modified"] = store.now()


def get_product(store: Store, product_id: Any) -> dict[str, Any]:
    """A product or variation by id, or the REST 404."""
    record = store.products.get(_as_id(product_id))
    if record is None:
        raise invalid_id("product")
    return record


def children(store: Store, parent_id: int, include_trash: bool = False) -> list[dict[str, Any]]:
    """A variable product's variations by menu order, then id."""
    found = [
        record
        for record in store.products.values()
        if record["kind"] == "variation" and record["parent_id"] == parent_id
        and (include_trash or record["status"] != "trash")
    ]
    return sorted(found, key=lambda record: (record["menu_order"], record["id"]))


def _as_id(value: Any) -> int:
    """An id from an int or digit string (anything else names nothing)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _copy(value: Any) -> Any:
    """A fresh copy of a default so records never share lists or dicts."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _apply(store: Store, record: dict[str, Any], fields: dict[str, Any]) -> None:
    """Set the given fields on a record, in WooCommerce's terms."""
    for key in (*READONLY, *IGNORED_FIELDS):
        fields.pop(key, None)
    if "date_created" in fields or "date_created_gmt" in fields:
        gmt = "date_created_gmt" in fields
        record["created"] = parse_moment(store, fields.pop("date_created_gmt" if gmt else "date_created"), gmt)
        fields.pop("date_created", None)
    if "date_modified" in fields or "date_modified_gmt" in fields:
        gmt = "date_modified_gmt" in fields
        record["modified"] = parse_moment(store, fields.pop("date_modified_gmt" if gmt else "date_modified"), gmt)
        fields.pop("date_modified", None)
    if "categories" in fields:
        categories = [store.category(entry) for entry in fields.pop("categories") or []]
        record["category_ids"] = [category["id"] for category in categories if category]
    if "attributes" in fields:
        attributes = fields.pop("attributes") or []
        if record["kind"] == "variation":
            record["variation_attributes"] = _variation_attributes(attributes)
        else:
            record["attributes"] = _product_attributes(attributes)
    if "meta_data" in fields:
        record["meta_data"] = store.meta_list(fields.pop("meta_data"))
    for key in PRICE_FIELDS:
        if key in fields:
            record[key] = price_text(fields.pop(key))
    if "stock_quantity" in fields and fields["stock_quantity"] is not None:
        fields["stock_quantity"] = int(fields["stock_quantity"])
    for key, value in fields.items():
        if key in ("slug", "related_ids_override"):
            record[key] = value
        elif key in record or key in PRODUCT_DEFAULTS or key in ("tags", "default_attributes"):
            record[key] = _copy(value)
        else:
            raise ValueError(f"unknown product field {key!r}")
    if record["kind"] == "product" and not record.get("slug"):
        record["slug"] = sanitize_title(record["name"]) or str(record["id"])


def _product_attributes(attributes: Any) -> list[dict[str, Any]]:
    """Product attributes from REST form ([{name, options}]) or a {name: [options]} mapping."""
    if isinstance(attributes, dict):
        attributes = [{"name": name, "options": list(options)} for name, options in attributes.items()]
    stored = []
    for entry in attributes:
        options = entry.get("options", [])
        if isinstance(options, str):
            options = [part.strip() for part in options.split("|")]
        stored.append(
            {
                "id": int(entry.get("id", 0)),
                "name": entry["name"],
                "slug": entry.get("slug", entry["name"]),
                "position": int(entry.get("position", 0)),
                "visible": bool(entry.get("visible", True)),
                "variation": bool(entry.get("variation", True)),
                "options": list(options),
            }
        )
    return stored


def _variation_attributes(attributes: Any) -> list[tuple[str, str]]:
    """A variation's attribute choices from [{name, option}] or {name: option}."""
    if isinstance(attributes, dict):
        return [(name, option) for name, option in attributes.items()]
    return [(entry["name"], entry["option"]) for entry in attributes]


def _check_sku(store: Store, record: dict[str, Any]) -> None:
    """SKUs are unique across products and variations."""
    sku = record.get("sku")
    if not sku:
        return
    for other in store.products.values():
        if other["id"] != record["id"] and other.get("sku") == sku:
            raise RestError(
                "product_invalid_sku", "Invalid or duplicated SKU.", 400, resource_id=other["id"], unique_sku=sku
            )


def _sync_stock_status(record: dict[str, Any]) -> None:
    """Stock status follows the quantity when stock is managed."""
    if not record["manage_stock"]:
        return
    if int(record["stock_quantity"] or 0) > 0:
        record["stock_status"] = "instock"
    elif record["backorders"] in ("yes", "notify"):
        record["stock_status"] = "onbackorder"
    else:
        record["stock_status"] = "outofstock"


# -- shapes ----------------------------------------------------------------------------------


def _on_sale(record: dict[str, Any]) -> bool:
    """A sale price below the regular price."""
    sale, regular = record.get("sale_price"), record.get("regular_price")
    return bool(sale) and (not regular or money(sale) < money(regular))


def _own_price(record: dict[str, Any]) -> str:
    """The active price of a simple product or variation."""
    return record["sale_price"] if _on_sale(record) else record["regular_price"]


def _variable_prices(store: Store, record: dict[str, Any]) -> list[Decimal]:
    """The prices of a variable product's published variations."""
    return [money(_own_price(child)) for child in children(store, record["id"]) if _own_price(child) != ""]


def active_price(store: Store, record: dict[str, Any]) -> str:
    """The `price` field: a variable product shows its cheapest variation."""
    if record["type"] == "variable":
        prices = _variable_prices(store, record)
        return store.money_text(min(prices)) if prices else ""
    return _own_price(record)


def _wc_price(store: Store, amount: Any) -> str:
    """WooCommerce wc_price() HTML for an amount."""
    entity = store.currency_symbol(store.currency)[1]
    return (
        '<span class="woocommerce-Price-amount amount"><bdi>'
        f'<span class="woocommerce-Price-currencySymbol">{entity}</span>{store.money_text(money(amount))}</bdi></span>'
    )


def price_html(store: Store, record: dict[str, Any]) -> str:
    """The `price_html` field."""
    if record["type"] == "variable":
        prices = _variable_prices(store, record)
        if not prices:
            return ""
        low, high = min(prices), max(prices)
        return _wc_price(store, low) if low == high else f"{_wc_price(store, low)} &ndash; {_wc_price(store, high)}"
    if _own_price(record) == "":
        return ""
    if _on_sale(record):
        symbol = store.currency_symbol(store.currency)[0]
        regular, sale = store.money_text(money(record["regular_price"])), store.money_text(money(record["sale_price"]))
        return (
            f'<del aria-hidden="true">{_wc_price(store, regular)}</del> '
            f'<span class="screen-reader-text">Original price was: {symbol}{regular}.</span>'
            f'<ins aria-hidden="true">{_wc_price(store, sale)}</ins>'
            f'<span class="screen-reader-text">Current price is: {symbol}{sale}.</span>'
        )
    return _wc_price(store, _own_price(record))


def permalink(store: Store, record: dict[str, Any], home: str) -> str:
    """The product page URL; a variation's is its parent's with the attribute choices."""
    if record["kind"] == "variation":
        parent = store.products.get(record["parent_id"])
        base = permalink(store, parent, home) if parent else f"{home}/?p={record['id']}"
        choices = "&".join(
            f"attribute_{sanitize_title(name)}={option}" for name, option in record["variation_attributes"]
        )
        return f"{base}?{choices}" if choices else base
    return f"{home}/product/{record['slug']}/"


def _variation_summary(record: dict[str, Any]) -> str:
    """"L, Red": the variation's attribute choices."""
    return ", ".join(option for _, option in record["variation_attributes"])


def product_name(store: Store, record: dict[str, Any]) -> str:
    """The name in the /products form: a variation is "Parent - L, Red"."""
    if record["kind"] != "variation":
        return record["name"]
    parent = store.products.get(record["parent_id"])
    parent_name = parent["name"] if parent else ""
    summary = _variation_summary(record)
    return f"{parent_name} - {summary}" if summary else parent_name


def _stock_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The backorder flags derived from stock settings."""
    allowed = record["backorders"] in ("yes", "notify")
    managed = record["manage_stock"]
    return {
        "backorders_allowed": allowed,
        "backordered": bool(managed and allowed and int(record["stock_quantity"] or 0) <= 0),
    }


def _purchasable(store: Store, record: dict[str, Any]) -> bool:
    """Published (or a published parent's variation) with a price."""
    if record["kind"] == "variation":
        parent = store.products.get(record["parent_id"])
        published = parent is not None and parent["status"] == "publish" and record["status"] == "publish"
        return published and _own_price(record) != ""
    return record["status"] == "publish" and active_price(store, record) != ""


def _related_ids(store: Store, record: dict[str, Any]) -> list[int]:
    """Other published products sharing a category, newest first, at most five."""
    if record.get("related_ids_override") is not None:
        return list(record["related_ids_override"])
    if record["kind"] == "variation":
        return []
    mine = set(record["category_ids"])
    others = [
        other["id"]
        for other in store.products.values()
        if other["kind"] == "product" and other["id"] != record["id"] and other["status"] == "publish"
        and mine & set(other["category_ids"])
    ]
    return sorted(others, reverse=True)[:5]


def _self_links(urls: Urls, route: str, collection: str, up: str | None = None) -> dict[str, Any]:
    """self (with the methods the caller may use), collection, and up."""
    links: dict[str, Any] = {
        "self": [{"href": urls.rest(route), "targetHints": {"allow": list(SELF_ALLOW)}}],
        "collection": [{"href": urls.rest(collection)}],
    }
    if up:
        links["up"] = [{"href": urls.rest(up)}]
    return links


def product_json(store: Store, record: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """The /wc/v3/products/<id> shape (also what webhooks carry, variations included)."""
    variation = record["kind"] == "variation"
    stock = _stock_fields(record)
    parent_id = record["parent_id"]
    data = {
        "id": record["id"],
        "name": product_name(store, record),
        "slug": sanitize_title(product_name(store, record)) if variation else record["slug"],
        "permalink": permalink(store, record, urls.home),
        "date_created": store.local(record["created"]),
        "date_created_gmt": store.gmt(record["created"]),
        "date_modified": store.local(record["modified"]),
        "date_modified_gmt": store.gmt(record["modified"]),
        "type": record["type"],
        "status": record["status"],
        "featured": False if variation else record["featured"],
        "catalog_visibility": "visible" if variation else record["catalog_visibility"],
        "description": record["description"],
        "short_description": "" if variation else record["short_description"],
        "sku": record["sku"],
        "price": active_price(store, record),
        "regular_price": "" if record["type"] == "variable" else record["regular_price"],
        "sale_price": "" if record["type"] == "variable" else record["sale_price"],
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": _on_sale(record) if record["type"] != "variable" else False,
        "purchasable": _purchasable(store, record),
        "total_sales": record["total_sales"],
        "virtual": record["virtual"],
        "downloadable": record["downloadable"],
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "external_url": "" if variation else record["external_url"],
        "button_text": "" if variation else record["button_text"],
        "tax_status": record["tax_status"],
        "tax_class": record["tax_class"],
        "manage_stock": record["manage_stock"],
        "stock_quantity": record["stock_quantity"] if record["manage_stock"] else None,
        "backorders": record["backorders"],
        **stock,
        "low_stock_amount": record["low_stock_amount"],
        "sold_individually": False if variation else record["sold_individually"],
        "weight": record["weight"],
        "dimensions": dict(record["dimensions"]),
        "shipping_required": not record["virtual"],
        "shipping_taxable": not record["virtual"] and record["tax_status"] in ("taxable", "shipping"),
        "shipping_class": record["shipping_class"],
        "shipping_class_id": 0,
        "reviews_allowed": False if variation else record["reviews_allowed"],
        "average_rating": "0.00",
        "rating_count": 0,
        "upsell_ids": [] if variation else list(record["upsell_ids"]),
        "cross_sell_ids": [] if variation else list(record["cross_sell_ids"]),
        "parent_id": parent_id,
        "purchase_note": "" if variation else record["purchase_note"],
        "categories": [] if variation else _categories(store, record),
        "brands": [],
        "tags": [] if variation else list(record["tags"]),
        "images": [],
        "attributes": _attributes_json(record),
        "default_attributes": [] if variation else list(record["default_attributes"]),
        "variations": [child["id"] for child in children(store, record["id"])] if record["type"] == "variable" else [],
        "grouped_products": [],
        "menu_order": record["menu_order"],
        "price_html": price_html(store, record),
        "related_ids": _related_ids(store, record),
        "meta_data": [dict(entry) for entry in record["meta_data"]],
        "stock_status": _stock_status(store, record),
        "has_options": record["type"] == "variable",
        "post_password": "" if variation else record["post_password"],
        "global_unique_id": record["global_unique_id"],
    }
    route = f"/wc/v3/products/{record['id']}"
    data["_links"] = _self_links(urls, route, "/wc/v3/products", f"/wc/v3/products/{parent_id}" if parent_id else None)
    return data


def _categories(store: Store, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The product's categories as {id, name, slug}."""
    return [dict(store.categories[term]) for term in record["category_ids"] if term in store.categories]


def _attributes_json(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Attributes as the /products form shows them."""
    if record["kind"] == "variation":
        return [
            {"id": 0, "name": name, "slug": sanitize_title(name), "option": option}
            for name, option in record["variation_attributes"]
        ]
    return [dict(entry, options=list(entry["options"])) for entry in record["attributes"]]


def _stock_status(store: Store, record: dict[str, Any]) -> str:
    """A variable product is in stock when any variation is."""
    if record["type"] == "variable":
        statuses = {child["stock_status"] for child in children(store, record["id"])}
        for status in ("instock", "onbackorder"):
            if status in statuses:
                return status
        return "outofstock" if statuses else record["stock_status"]
    return record["stock_status"]


def variation_json(store: Store, record: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """The /wc/v3/products/<parent>/variations/<id> shape: name is only "L, Red"."""
    stock = _stock_fields(record)
    parent_id = record["parent_id"]
    data = {
        "id": record["id"],
        "type": "variation",
        "date_created": store.local(record["created"]),
        "date_created_gmt": store.gmt(record["created"]),
        "date_modified": store.local(record["modified"]),
        "date_modified_gmt": store.gmt(record["modified"]),
        "description": record["description"],
        "permalink": permalink(store, record, urls.home),
        "sku": record["sku"],
        "global_unique_id": record["global_unique_id"],
        "price": _own_price(record),
        "regular_price": record["regular_price"],
        "sale_price": record["sale_price"],
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": _on_sale(record),
        "status": record["status"],
        "purchasable": _purchasable(store, record),
        "virtual": record["virtual"],
        "downloadable": record["downloadable"],
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": record["tax_status"],
        "tax_class": record["tax_class"],
        "manage_stock": record["manage_stock"],
        "stock_quantity": record["stock_quantity"] if record["manage_stock"] else None,
        "stock_status": record["stock_status"],
        "backorders": record["backorders"],
        **stock,
        "low_stock_amount": record["low_stock_amount"],
        "weight": record["weight"],
        "dimensions": dict(record["dimensions"]),
        "shipping_class": record["shipping_class"],
        "shipping_class_id": 0,
        "image": None,
        "attributes": _attributes_json(record),
        "menu_order": record["menu_order"],
        "meta_data": [dict(entry) for entry in record["meta_data"]],
        "name": _variation_summary(record),
        "parent_id": parent_id,
    }
    base = f"/wc/v3/products/{parent_id}/variations"
    data["_links"] = _self_links(urls, f"{base}/{record['id']}", base, f"/wc/v3/products/{parent_id}")
    return data
