"""A store's webhook ids are kept as text: WooCommerce's numbers answer as JSON integers, other systems' ids as strings."""

from sqlalchemy import select, update

from db.models import Connection, Webhook
from db.session import transaction
from tests.factories import make_connection

SHOPIFY_GID = "gid://shopify/WebhookSubscription/18446744073709551615"


def set_store_ids(database_url: str, public_id: str, ids: dict[str, str | None]) -> None:
    """Give the connection's webhooks of these topics these store ids."""
    with transaction(database_url) as session:
        owner = select(Connection.id).where(Connection.public_id == public_id).scalar_subquery()
        for topic, store_id in ids.items():
            session.execute(update(Webhook).where(Webhook.connection_id == owner, Webhook.topic == topic).values(store_webhook_id=store_id))


def test_the_api_answers_decimal_ids_as_integers_and_any_other_id_as_its_text(client, database_url):
    public_id = make_connection()
    set_store_ids(
        database_url,
        public_id,
        {"order.created": "18446744073709551615", "order.updated": SHOPIFY_GID, "order.deleted": "007", "product.created": None,
         "product.updated": "17"},
    )
    webhooks = {hook["topic"]: hook["store_webhook_id"] for hook in client.get(f"/api/connections/{public_id}").json["webhooks"]}
    assert webhooks["order.created"] == 18446744073709551615
    assert webhooks["order.updated"] == SHOPIFY_GID
    assert webhooks["order.deleted"] == "007"  # not a number as written: kept as the store wrote it
    assert webhooks["product.created"] is None
    assert webhooks["product.updated"] == 17  # as WooCommerce numbers its webhooks
