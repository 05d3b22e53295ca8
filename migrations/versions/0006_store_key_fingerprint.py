"""store key fingerprint: one connection per store and consumer key

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Existing active connections are fingerprinted from their (decrypted) consumer keys, so
SECRET_KEY must be set when there are any. Where one store is already connected more than
once with one key, the oldest connection keeps the fingerprint and the others are logged:
they keep working, and an operator should delete them.
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('store_key_fingerprint', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_connections_store_key_fingerprint'), ['store_key_fingerprint'])
    _fingerprint_existing_connections()


def downgrade() -> None:
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_connections_store_key_fingerprint'), type_='unique')
        batch_op.drop_column('store_key_fingerprint')


def _fingerprint_existing_connections() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, public_id, api_url, access_token_encrypted FROM connections "
            "WHERE deleted_at IS NULL AND access_token_encrypted != '' ORDER BY id"
        )
    ).all()
    if not rows:
        return
    from config import load_settings
    from connections.credentials import Vault
    from connections.identity import store_key_fingerprint

    secret_key = load_settings().secret_key
    if not secret_key:
        raise RuntimeError("SECRET_KEY is not set: it is needed to fingerprint the existing connections' keys")
    vault = Vault(secret_key)
    holders: dict[str, str] = {}
    for row in rows:
        fingerprint = store_key_fingerprint(row.api_url, vault.decrypt(row.access_token_encrypted))
        if fingerprint in holders:
            log.warning(
                "connection %s reaches the same store with the same key as connection %s; delete one of them",
                row.public_id, holders[fingerprint],
            )
            continue
        holders[fingerprint] = row.public_id
        bind.execute(
            sa.text("UPDATE connections SET store_key_fingerprint = :fingerprint WHERE id = :id"),
            {"fingerprint": fingerprint, "id": row.id},
        )
