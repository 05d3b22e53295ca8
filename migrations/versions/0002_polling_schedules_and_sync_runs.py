"""polling schedules and sync runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=16), nullable=False),
    sa.Column('interval_minutes', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('cursor', db.types.UTCDateTime(), nullable=True),
    sa.Column('next_poll_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('last_poll_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('last_full_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('updated_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_schedules_connection_id_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules')),
    sa.UniqueConstraint('connection_id', 'entity', name=op.f('uq_schedules_connection_id_entity'))
    )
    op.create_table('sync_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=16), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('pages_done', sa.Integer(), nullable=False),
    sa.Column('pages_total', sa.Integer(), nullable=True),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('started_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('finished_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('updated_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_sync_runs_connection_id_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs')),
    sa.UniqueConstraint('public_id', name=op.f('uq_sync_runs_public_id'))
    )
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.create_index('ix_sync_runs_connection_id_entity', ['connection_id', 'entity'], unique=False)
        batch_op.create_index('uq_sync_runs_one_active', ['connection_id', 'entity'], unique=True, sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))

    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_attention', sa.Text(), nullable=True))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_in_run', sa.Integer(), nullable=True))

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_in_run', sa.Integer(), nullable=True))

    # Connections made before polling existed get the default schedules, due at once. The time
    # is bound, not CURRENT_TIMESTAMP: PostgreSQL's is the session's local time, these hold UTC.
    now = sa.bindparam("now", datetime.now(UTC), type_=db.types.UTCDateTime())
    for entity, minutes in (("orders", 60), ("products", 1440)):
        op.execute(
            sa.text(
                "INSERT INTO schedules (connection_id, entity, interval_minutes, active, next_poll_at, updated_at) "
                "SELECT id, :entity, :minutes, true, :now, :now FROM connections WHERE deleted_at IS NULL"
            ).bindparams(now, entity=entity, minutes=minutes)
        )


def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('seen_in_run')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('seen_in_run')

    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_column('needs_attention')

    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_sync_runs_one_active', sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_index('ix_sync_runs_connection_id_entity')

    op.drop_table('sync_runs')
    op.drop_table('schedules')
