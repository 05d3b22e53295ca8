"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('external_system', sa.String(length=32), nullable=False),
    sa.Column('api_url', sa.String(length=2048), nullable=False),
    sa.Column('access_token_encrypted', sa.Text(), nullable=False),
    sa.Column('access_token_masked', sa.String(length=32), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('auth_mode', sa.String(length=32), nullable=False),
    sa.Column('order_start', db.types.UTCDateTime(), nullable=False),
    sa.Column('warehouse', sa.String(length=200), nullable=True),
    sa.Column('company_group', sa.String(length=200), nullable=True),
    sa.Column('store', sa.JSON(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('deleted_at', db.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connections')),
    sa.UniqueConstraint('public_id', name=op.f('uq_connections_public_id'))
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('currency', sa.Text(), nullable=True),
    sa.Column('total', sa.String(length=32), nullable=True),
    sa.Column('subtotal', sa.String(length=32), nullable=True),
    sa.Column('total_tax', sa.String(length=32), nullable=True),
    sa.Column('shipping_total', sa.String(length=32), nullable=True),
    sa.Column('discount_total', sa.String(length=32), nullable=True),
    sa.Column('payment_method', sa.Text(), nullable=True),
    sa.Column('customer', sa.JSON(), nullable=False),
    sa.Column('billing', sa.JSON(), nullable=False),
    sa.Column('shipping', sa.JSON(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('modified_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('paid_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('completed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('warehouse', sa.Text(), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('stored_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_orders_connection_id_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('connection_id', 'external_id', name=op.f('uq_orders_connection_id_external_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_connection_id_modified_at', ['connection_id', 'modified_at'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('parent_external_id', sa.String(length=64), nullable=True),
    sa.Column('type', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('sku', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('price', sa.String(length=32), nullable=True),
    sa.Column('regular_price', sa.String(length=32), nullable=True),
    sa.Column('sale_price', sa.String(length=32), nullable=True),
    sa.Column('stock_quantity', sa.Integer(), nullable=True),
    sa.Column('stock_status', sa.Text(), nullable=True),
    sa.Column('manage_stock', sa.Boolean(), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('modified_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('stored_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_products_connection_id_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('connection_id', 'external_id', name=op.f('uq_products_connection_id_external_id'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_connection_id_modified_at', ['connection_id', 'modified_at'], unique=False)

    op.create_table('webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('store_webhook_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('delivery_url', sa.String(length=2048), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('last_delivery_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_webhooks_connection_id_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks')),
    sa.UniqueConstraint('connection_id', 'topic', name=op.f('uq_webhooks_connection_id_topic'))
    )
    op.create_table('order_line_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('product_external_id', sa.String(length=64), nullable=True),
    sa.Column('variation_external_id', sa.String(length=64), nullable=True),
    sa.Column('sku', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('price', sa.String(length=32), nullable=True),
    sa.Column('total', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_line_items_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_line_items'))
    )
    with op.batch_alter_table('order_line_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_items_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('order_line_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_items_order_id'))

    op.drop_table('order_line_items')
    op.drop_table('webhooks')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_connection_id_modified_at')

    op.drop_table('products')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_connection_id_modified_at')

    op.drop_table('orders')
    op.drop_table('connections')
