"""change feed: a position for every write of an order or product; notification endpoints per connection

Revision ID: 0008_change_feed
Revises: 0007
Create Date: 2026-12-02

Existing records are numbered in the order they were stored (`stored_at`; orders before
products within the same instant, then by id), and the counter starts after the last of them.
Connections get an optional endpoint of their own for change notifications (none to begin with).
"""

import sqlalchemy as sa
from alembic import op

revision = '0008_change_feed'
down_revision = '0007'
branch_labels = None
depends_on = None

_NUMBERED = """
WITH records AS (
    SELECT 'orders' AS entity, id, stored_at FROM orders
    UNION ALL
    SELECT 'products' AS entity, id, stored_at FROM products
), numbered AS (
    SELECT entity, id, row_number() OVER (ORDER BY stored_at, entity, id) AS position FROM records
)
UPDATE {table} SET change_position = numbered.position
FROM numbered WHERE numbered.entity = '{table}' AND numbered.id = {table}.id
"""


def upgrade() -> None:
    op.create_table(
        'change_counter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_position', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_counter')),
    )
    for table in ('orders', 'products'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('change_position', sa.BigInteger(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_change_position'), ['change_position'], unique=True)
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_url', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('notify_secret_encrypted', sa.Text(), nullable=True))
    for table in ('orders', 'products'):
        op.execute(_NUMBERED.format(table=table))
    # Without records the first commit that writes one makes the row (db.changes).
    op.execute(
        "INSERT INTO change_counter (id, last_position) SELECT 1, records FROM"
        " (SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM products) AS records) AS counted"
        " WHERE records > 0"
    )


def downgrade() -> None:
    for table in ('products', 'orders'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_change_position'))
            batch_op.drop_column('change_position')
    op.drop_table('change_counter')
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_column('notify_secret_encrypted')
        batch_op.drop_column('notify_url')
