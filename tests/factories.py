"""Rows for tests that need a connection without going through a store."""

from datetime import UTC, datetime, timedelta

import config
from connections.credentials import Vault, mask_access_token
from connections.schedules import default_schedules
from connections.webhooks import delivery_url
from db.ids import new_public_id
from db.models import Connection, Webhook
from db.session import transaction
from stores.registry import connector_for

# The real fixtures were signed with this consumer secret (tests/data/woocommerce-9.9.5).
FIXTURE_SECRET = "cs_20433fe258370db7adc40d39bac30d95ffc09bf3"
FIXTURE_KEY = "ck_0000000000000000000000000000000000000000"


def make_connection(
    *,
    secret: str = FIXTURE_SECRET,
    access_token: str = FIXTURE_KEY,
    api_url: str = "http://127.0.0.1:8080",
    order_start: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    warehouse: str | None = "Main",
    deleted: bool = False,
    external_system: str = "woocommerce",
) -> str:
    """Insert a connection (and a webhook row per topic of its system's connector) directly; answer its public id."""
    settings = config.get_settings()
    vault = Vault(settings.secret_key)
    public_id = new_public_id(16)
    with transaction(settings.database_url) as session:
        connection = Connection(
            public_id=public_id,
            name="Fixture store",
            external_system=external_system,
            api_url=api_url,
            access_token_encrypted=vault.encrypt(access_token),
            access_token_masked=mask_access_token(access_token),
            secret_encrypted=vault.encrypt(secret),
            auth_mode="oauth1",
            order_start=order_start,
            warehouse=warehouse,
            store={"home_url": api_url, "version": "9.9.5"},
            deleted_at=datetime.now(UTC) if deleted else None,
        )
        connection.webhooks = [
            Webhook(topic=topic, store_webhook_id=str(index + 1), status="active", delivery_url=delivery_url(settings.public_url, external_system, public_id))
            for index, topic in enumerate(connector_for(external_system).topics)
        ]
        # Not due: there is no store behind these connections to poll.
        connection.schedules = default_schedules(datetime.now(UTC) + timedelta(days=1))
        session.add(connection)
    return public_id
