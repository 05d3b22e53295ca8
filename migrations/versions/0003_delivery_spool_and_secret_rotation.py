"""delivery spool and secret rotation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('spooled_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_public_id', sa.String(length=32), nullable=False),
    sa.Column('resource', sa.String(length=16), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spooled_deliveries'))
    )
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_secret_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('previous_secret_until', db.types.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_column('previous_secret_until')
        batch_op.drop_column('previous_secret_encrypted')

    op.drop_table('spooled_deliveries')
