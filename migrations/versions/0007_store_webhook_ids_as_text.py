"""store webhook ids as text, as wide as the other store ids

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

A store's id of a webhook was BIGINT, which holds decimal ids but not other
systems' ids (Shopify's are `gid://shopify/WebhookSubscription/<n>`). It becomes VARCHAR(64)
like the columns of the store's record ids; the numbers stored are kept as their decimal
text. Downgrading turns them back into numbers and refuses, changing nothing, while any id
is not a number BIGINT holds.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Fixed here, not read from config.bounds: a migration describes the schema of its own time.
TEXT, NUMBER = sa.String(length=64), sa.BigInteger()
BIGINT_MAX = 2**63 - 1


def upgrade() -> None:
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.alter_column('store_webhook_id', existing_type=NUMBER, type_=TEXT, existing_nullable=True)


def downgrade() -> None:
    _refuse_ids_that_are_not_numbers()
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.alter_column(
            'store_webhook_id', existing_type=TEXT, type_=NUMBER, existing_nullable=True,
            postgresql_using='store_webhook_id::bigint',
        )


def _refuse_ids_that_are_not_numbers() -> None:
    rows = op.get_bind().execute(sa.text("SELECT id, store_webhook_id FROM webhooks WHERE store_webhook_id IS NOT NULL"))
    others = [row.id for row in rows if not _is_number(row.store_webhook_id)]
    if others:
        raise RuntimeError(
            f"{len(others)} webhook(s) (ids {others[:5]}) hold a store id that is not a number: "
            "delete their connections before downgrading below 0007"
        )


def _is_number(text: str) -> bool:
    """Whether BIGINT holds `text` and gives it back as the same text."""
    return text.isascii() and text.isdigit() and text == str(int(text)) and int(text) <= BIGINT_MAX
