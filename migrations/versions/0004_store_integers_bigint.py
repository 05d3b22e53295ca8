"""store integers as BIGINT, money as wide as the mapper's digits

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Quantities, stock and the store's webhook ids were INTEGER: PostgreSQL refused a line item of
3,000,000,000 units, which the mapper accepts (it keeps integers to a signed 64-bit range).
Money columns were VARCHAR(32), narrower than the 38 digits the mapper accepts.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Fixed here, not read from config.bounds: a migration describes the schema of its own time.
MONEY_BEFORE, MONEY_AFTER = sa.String(length=32), sa.String(length=41)
INTEGERS = {
    'order_line_items': ('quantity',),
    'products': ('stock_quantity',),
    'webhooks': ('store_webhook_id',),
}
MONEY = {
    'orders': ('total', 'subtotal', 'total_tax', 'shipping_total', 'discount_total'),
    'order_line_items': ('price', 'total'),
    'products': ('price', 'regular_price', 'sale_price'),
}


def _alter(integer_to, integer_from, money_to, money_from) -> None:
    for table in ('orders', 'order_line_items', 'products', 'webhooks'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in INTEGERS.get(table, ()):
                batch_op.alter_column(column, existing_type=integer_from, type_=integer_to, existing_nullable=True)
            for column in MONEY.get(table, ()):
                batch_op.alter_column(column, existing_type=money_from, type_=money_to, existing_nullable=True)


def upgrade() -> None:
    _alter(sa.BigInteger(), sa.Integer(), MONEY_AFTER, MONEY_BEFORE)


def downgrade() -> None:
    # Values past the old widths make this fail on PostgreSQL rather than cut them.
    _alter(sa.Integer(), sa.BigInteger(), MONEY_BEFORE, MONEY_AFTER)
