"""the trash walk's cursor and scheduled full passes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing schedules get a full pass a day. Their trash walks start again from the
    # connection's order_start (trash_cursor NULL): trashed orders a failed run's trash walk
    # skipped while it shared the cursor are read once more.
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trash_cursor', db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('full_every_minutes', sa.Integer(), nullable=False, server_default='1440'))


def downgrade() -> None:
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_column('full_every_minutes')
        batch_op.drop_column('trash_cursor')
