"""Rows in every table, described once for the newest schema, for the migration path tests.

A revision gets the columns its tables have; a column a later revision adds must end with the
value `ADDED` documents for it (a new migration that adds one documents it here, or the tests
say which column is missing). A column that an older revision kept as a number and a later one
as text (`webhooks.store_webhook_id` before 0007) holds the number of the described text there.
"""

from datetime import UTC, datetime, timedelta
from unittest.mock import ANY

from connections.credentials import Vault
from connections.identity import store_key_fingerprint

T0 = datetime(2026, 11, 3, 9, 15, 42, 123456, tzinfo=UTC)
# The plain consumer keys of the active connections, by public id (stored encrypted).
CONSUMER_KEYS = {"c7Jq2mXv9KpL": "ck_" + "5c" * 20, "R4tW8nYb2QsD": "ck_" + "a7" * 20}


def at(minutes: float) -> datetime:
    """A time `minutes` after T0 (with microseconds, which every copy must keep)."""
    return T0 + timedelta(minutes=minutes)


class Ref:
    """The id a described row of `table` got when inserted."""

    def __init__(self, table: str, name: str):
        self.table, self.name = table, name


def described_rows(vault: Vault) -> dict[str, dict[str, dict]]:
    """What a running Storelink holds, by table and row name, with every column of the newest schema."""
    shop, outlet = Ref("connections", "shop"), Ref("connections", "outlet")
    connection = {
        "external_system": "woocommerce", "auth_mode": "basic", "company_group": "Retail", "created_at": at(0),
        "updated_at": at(5), "deleted_at": None, "needs_attention": None, "previous_secret_encrypted": None,
        "previous_secret_until": None, "warehouse": "Main", "notify_url": None, "notify_secret_encrypted": None,
    }
    order = {
        "currency": "EUR", "subtotal": "40.00", "total_tax": "8.40", "shipping_total": "4.90", "discount_total": "0.00",
        "payment_method": "stripe", "paid_at": at(61), "completed_at": None, "deleted": False, "seen_in_run": 3,
        "warehouse": "Main", "stored_at": at(62),
    }
    address = {"first_name": "Zoë", "last_name": "Ångström", "city": "Malmö", "country": "SE", "postcode": "211 22"}
    product = {
        "parent_external_id": None, "sku": None, "status": "publish", "price": None, "regular_price": None, "sale_price": None,
        "stock_quantity": None, "stock_status": "instock", "manage_stock": False, "created_at": at(10),
        "deleted": False, "seen_in_run": 4, "stored_at": at(31),
    }
    line = {"variation_external_id": None, "sku": None}
    rows = {
        "connections": {
            "shop": {**connection, "public_id": "c7Jq2mXv9KpL", "name": "Café Ünïcode “Shop”",
                     "api_url": "https://shop.example.com", "access_token_masked": "ck_…5c5c",
                     "access_token_encrypted": vault.encrypt(CONSUMER_KEYS["c7Jq2mXv9KpL"]),
                     "secret_encrypted": vault.encrypt("cs_" + "e1" * 20), "order_start": at(-43200),
                     "store": {"home_url": "https://shop.example.com", "version": "9.4.2", "price_decimals": 2},
                     "previous_secret_encrypted": vault.encrypt("cs_" + "0d" * 20), "previous_secret_until": at(1440)},
            "outlet": {**connection, "public_id": "R4tW8nYb2QsD", "name": "Outlet", "auth_mode": "query_string",
                       "api_url": "https://outlet.example.org:8443/store", "access_token_masked": "ck_…a7a7",
                       "access_token_encrypted": vault.encrypt(CONSUMER_KEYS["R4tW8nYb2QsD"]),
                       "secret_encrypted": vault.encrypt("cs_" + "b2" * 20), "order_start": at(-1440),
                       "warehouse": None, "company_group": None, "store": {"version": "8.9.0"},
                       "needs_attention": "the store refused the API keys: 401 woocommerce_rest_cannot_view"},
            # Deleted connections keep their row without credentials, so deliveries are answered 410.
            "gone": {**connection, "public_id": "Z0xN5cVb7MaE", "name": "Closed shop", "api_url": "http://old.example.net",
                     "access_token_masked": "ck_…ffff", "access_token_encrypted": "", "secret_encrypted": "",
                     "order_start": at(-90000), "store": {}, "deleted_at": at(7)},
        },
        "webhooks": {
            f"{topic}@{owner.name}": {
                "connection_id": owner, "topic": topic, "store_webhook_id": number, "status": status,
                "delivery_url": f"https://storelink.example.com/webhooks/woocommerce/{owner.name}",
                "error": error, "last_delivery_at": last, "created_at": at(1), "updated_at": at(2),
            }
            for owner, topic, number, status, error, last in (
                (shop, "order.updated", "2147000001", "active", None, at(90)),
                (shop, "product.deleted", "14", "disabled", "WooCommerce disabled it after 7 failures", None),
                (outlet, "order.created", "3", "paused", None, at(20)),
            )
        },
        "orders": {
            # change_position: what revision 0008 numbers them (by stored_at: these after the products).
            "93": {**order, "connection_id": shop, "external_id": "93", "number": "93", "status": "completed", "change_position": 5,
                   "total": "53.30", "customer": {"id": 7, "email": "zoe@example.com", "note": "Ring twice ☎"},
                   "billing": address, "shipping": {**address, "company": ""}, "created_at": at(60),
                   "modified_at": at(61), "completed_at": at(65)},
            "94": {**order, "connection_id": shop, "external_id": "94", "number": "A-94", "status": "trash", "change_position": 6,
                   "total": "-0.01", "customer": {}, "billing": {}, "shipping": {}, "created_at": None,
                   "modified_at": at(70), "paid_at": None, "deleted": True, "seen_in_run": None, "warehouse": None},
            "93@outlet": {**order, "connection_id": outlet, "external_id": "93", "number": "93", "status": "processing",
                          "change_position": 7,
                          "total": "1234567890123456789012345678.99", "customer": {"id": 0}, "billing": address,
                          "shipping": {}, "created_at": at(80), "modified_at": at(81), "currency": "SEK"},
        },
        "order_line_items": {
            "mug": {**line, "order_id": Ref("orders", "93"), "position": 0, "external_id": "154",
                    "product_external_id": "10", "sku": "MUG-1", "name": "Mug “Ängel”", "quantity": 2,
                    "price": "8.99", "total": "17.98"},
            "hoodie": {**line, "order_id": Ref("orders", "93"), "position": 1, "external_id": "155",
                       "product_external_id": "20", "variation_external_id": "21", "name": "Hoodie - L",
                       "quantity": 2_000_000_000, "price": "11.01", "total": "22.02"},
            "refund": {**line, "order_id": Ref("orders", "93@outlet"), "position": 0, "external_id": "9",
                       "product_external_id": None, "name": None, "quantity": -1, "price": None, "total": "-5.00"},
        },
        "products": {
            "mug": {**product, "connection_id": shop, "external_id": "10", "type": "simple", "name": "Mug “Ängel”", "change_position": 1,
                    "sku": "MUG-1", "price": "8.99", "regular_price": "9.99", "sale_price": "8.99",
                    "stock_quantity": -3, "stock_status": "onbackorder", "manage_stock": True, "modified_at": at(30)},
            "hoodie": {**product, "connection_id": shop, "external_id": "20", "type": "variable", "name": "Hoodie", "change_position": 2,
                       "price": "11.01", "modified_at": at(40), "manage_stock": None},
            "hoodie-l": {**product, "connection_id": shop, "external_id": "21", "parent_external_id": "20", "change_position": 3,
                         "type": "variation", "name": "Hoodie - L", "sku": "HOOD-L", "price": "11.01",
                         "stock_quantity": 2_147_483_647, "manage_stock": True, "modified_at": at(41)},
            "old": {**product, "connection_id": outlet, "external_id": "5", "type": "grouped", "name": None, "change_position": 4,
                    "status": "trash", "created_at": None, "modified_at": at(50), "deleted": True, "seen_in_run": None},
        },
        "schedules": {
            "orders@shop": {"connection_id": shop, "entity": "orders", "interval_minutes": 15, "active": True,
                            "cursor": at(61), "trash_cursor": at(70), "full_every_minutes": 360,
                            "next_poll_at": at(75), "last_poll_at": at(60), "last_full_at": at(0), "updated_at": at(60)},
            "products@outlet": {"connection_id": outlet, "entity": "products", "interval_minutes": 1440, "active": False,
                                "cursor": None, "trash_cursor": None, "full_every_minutes": 10080,
                                "next_poll_at": None, "last_poll_at": None, "last_full_at": None, "updated_at": at(3)},
        },
        "sync_runs": {
            name: {"public_id": public_id, "connection_id": owner, "entity": entity, "full": full, "trigger": trigger,
                   "status": status, "pages_done": done, "pages_total": total, "records": records,
                   "deleted": deleted, "error": error, "job_id": job, "created_at": at(59), "started_at": started,
                   "finished_at": finished, "updated_at": at(64)}
            for name, public_id, owner, entity, full, trigger, status, done, total, records, deleted, error, job,
            started, finished in (
                ("done", "r1Xq", shop, "orders", True, "schedule", "succeeded", 3, 3, 250, 1, None, "j-1", at(60), at(63)),
                ("running", "r2Yw", shop, "products", False, "manual", "running", 1, None, 100, 0, None, "j-2", at(61),
                 None),
                ("failed", "r3Ze", outlet, "orders", False, "schedule", "failed", 0, None, 0, 0,
                 "the store refused the API keys: 401", None, None, at(62)),
            )
        },
        "change_counter": {"counter": {"last_position": 7}},
        "spooled_deliveries": {
            "order": {"connection_public_id": "c7Jq2mXv9KpL", "resource": "order", "event": "updated",
                      "payload": {"id": 95, "status": "processing", "billing": address, "line_items": [{"id": 156}]},
                      "received_at": at(95)},
            "deletion": {"connection_public_id": "R4tW8nYb2QsD", "resource": "product", "event": "deleted",
                         "payload": {"id": 5}, "received_at": at(96)},
        },
    }
    for row in rows["connections"].values():
        row["store_key_fingerprint"] = fingerprint_if_active(row)
    return rows


def generated_schedules(rows: dict, window: "Between") -> list[dict]:
    """Revision 0002 gives every active connection the default schedules, due at once."""
    return [
        {"id": ANY, "connection_id": Ref("connections", name), "entity": entity, "interval_minutes": minutes,
         "active": True, "cursor": None, "trash_cursor": None, "full_every_minutes": 1440, "next_poll_at": window,
         "last_poll_at": None, "last_full_at": None, "updated_at": window}
        for entity, minutes in (("orders", 60), ("products", 1440))
        for name, row in rows["connections"].items() if row["deleted_at"] is None
    ]


def generated_counter(rows: dict) -> list[dict]:
    """Revision 0008 starts the change feed's counter after the records it numbered."""
    return [{"id": 1, "last_position": len(rows["orders"]) + len(rows["products"])}]


def fingerprint_if_active(row: dict) -> str | None:
    """What the app (and revision 0006) keeps for a connection: deleted ones hold none."""
    if row["deleted_at"] is not None:
        return None
    return store_key_fingerprint(row["api_url"], CONSUMER_KEYS[row["public_id"]])


# What a row's column holds after an upgrade that added it: a value, or one made from the row.
ADDED = {
    "connections": {"needs_attention": None, "previous_secret_encrypted": None, "previous_secret_until": None,
                    "store_key_fingerprint": fingerprint_if_active, "notify_url": None, "notify_secret_encrypted": None},
    "orders": {"seen_in_run": None, "change_position": lambda row: row["change_position"]},
    "products": {"seen_in_run": None, "change_position": lambda row: row["change_position"]},
    "schedules": {"trash_cursor": None, "full_every_minutes": 1440},
}


class Between:
    """Equal to a time from `start` to `end` (a second either side: SQLite's clock keeps whole seconds)."""

    def __init__(self, start: datetime, end: datetime):
        self.start, self.end = start - timedelta(seconds=1), end + timedelta(seconds=1)

    def __eq__(self, other):
        return isinstance(other, datetime) and self.start <= other <= self.end

    def __repr__(self):
        return f"Between({self.start.isoformat()}, {self.end.isoformat()})"
