"""The stored data in the console and after a deletion: counts, the newest records page by page,
one record's detail, and a deleted connection's records kept readable (console and API alike)."""

import pytest

from console.records import PER_PAGE
from tests.test_console import console, post, text  # noqa: F401  (console is a fixture)


def synced(console, connect, run_jobs, entity: str = "orders"):  # noqa: F811
    connection = connect()
    post(console, f"/connections/{connection['id']}/sync", {"entity": entity, "full": "on"})
    run_jobs()
    return connection


def test_the_connection_page_counts_stored_and_deleted_records(console, connect, store, run_jobs):  # noqa: F811
    kept, trashed = store.create_order(), store.create_order()
    store.create_order()
    store.trash_order(trashed["id"])
    connection = synced(console, connect, run_jobs)
    page = text(console.get(f"/connections/{connection['id']}"))
    assert "<strong>Orders:</strong> 3 stored (1 deleted)" in page
    assert "<strong>Products:</strong> 0 stored" in page
    assert f'href="/connections/{connection["id"]}/orders"' in page
    assert f'href="/connections/{connection["id"]}/products"' not in page  # nothing to show
    listing = text(console.get(f"/connections/{connection['id']}/orders"))
    assert listing.count('<span class="badge badge-bad">deleted</span>') == 2  # the legend and the trashed one
    assert f"/orders/{kept['id']}\"" in listing


def test_a_re_sync_that_stores_nothing_says_nothing_new(console, connect, store, run_jobs):  # noqa: F811
    store.create_order()
    connection = synced(console, connect, run_jobs)
    assert "1 records stored" in text(console.get(f"/connections/{connection['id']}"))
    post(console, f"/connections/{connection['id']}/sync", {"entity": "orders"})
    run_jobs()
    page = text(console.get(f"/connections/{connection['id']}"))
    assert "pages, nothing new" in page
    assert " 0 records stored" not in page


def test_records_are_listed_newest_first_a_page_at_a_time(console, connect, client, store, run_jobs):  # noqa: F811
    for _ in range(PER_PAGE + 2):
        store.create_order()
    connection = synced(console, connect, run_jobs)
    api = client.get(f"/api/connections/{connection['id']}/orders?per_page={PER_PAGE}").json
    first = text(console.get(f"/connections/{connection['id']}/orders"))
    assert f"{PER_PAGE + 2} stored, newest modified first; page 1 of 2" in first
    shown = [f"/orders/{item['external_id']}\"" for item in api["items"]]
    assert all(link in first for link in shown)
    assert [first.index(link) for link in shown] == sorted(first.index(link) for link in shown)  # the API's order
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = text(console.get(f"/connections/{connection['id']}/orders?page=2"))
    assert second.count("/orders/") - second.count('href="/connections/' + connection["id"] + '/orders"') == 2
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert console.get(f"/connections/{connection['id']}/orders?page=0").status_code == 400
    assert "there are 2 pages" in text(console.get(f"/connections/{connection['id']}/orders?page=9"))


def test_an_order_shows_its_line_items_and_a_product_its_parent(console, connect, store, run_jobs):  # noqa: F811
    shirt = store.create_variable_product("Shirt", {"Size": ["S", "L"]}, [{"attributes": {"Size": "L"}, "regular_price": "9"}])
    [variation_id] = shirt["variations"]
    order = store.create_order(line_items=[{"product_id": shirt["id"], "variation_id": variation_id, "quantity": 2}])
    connection = synced(console, connect, run_jobs)
    post(console, f"/connections/{connection['id']}/sync", {"entity": "products"})
    run_jobs()
    page = text(console.get(f"/connections/{connection['id']}/orders/{order['id']}"))
    assert "Line items" in page
    assert f'href="/connections/{connection["id"]}/products/{variation_id}"' in page
    variation = text(console.get(f"/connections/{connection['id']}/products/{variation_id}"))
    assert "Variation of" in variation and f"/products/{shirt['id']}\"" in variation
    missing = console.get(f"/connections/{connection['id']}/orders/999999")
    assert missing.status_code == 404
    assert "No order with the store&#39;s id 999999" in text(missing)


@pytest.mark.parametrize("path", ["/connections/nope/orders", "/connections/nope/products/1"])
def test_records_of_an_unknown_connection_are_404(console, path):  # noqa: F811
    assert console.get(path).status_code == 404


def test_a_deleted_connections_records_stay_readable_marked_removed(console, connect, client, store, run_jobs):  # noqa: F811
    order = store.create_order()
    connection = synced(console, connect, run_jobs)
    confirm = text(console.get(f"/connections/{connection['id']}/delete"))
    assert "1 orders and 0 products stored" in confirm and "stay readable" in confirm
    post(console, f"/connections/{connection['id']}/delete", page=f"/connections/{connection['id']}/delete")
    listing = text(console.get("/"))
    assert "Removed connections" in listing and f'href="/connections/{connection["id"]}/orders"' in listing
    page = text(console.get(f"/connections/{connection['id']}/orders/{order['id']}"))
    assert "This connection was removed" in page
    assert console.get(f"/connections/{connection['id']}").status_code == 404  # no page of its own
    api = client.get(f"/api/connections/{connection['id']}/orders")
    assert api.status_code == 200 and [item["external_id"] for item in api.json["items"]] == [str(order["id"])]
    assert client.get(f"/api/connections/{connection['id']}/orders/{order['id']}").status_code == 200
    gone = client.get(f"/api/connections/{connection['id']}")
    assert gone.status_code == 410 and gone.json["error"]["code"] == "connection_deleted"
    assert client.get("/api/connections/nope").status_code == 404
