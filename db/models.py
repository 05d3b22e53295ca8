"""Tables. The schema is created and changed only by the Alembic migrations in `migrations/`."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from config.bounds import EXTERNAL_ID_LENGTH, MONEY_LENGTH
from db.types import UTCDateTime, utcnow

# Money is kept as the store's decimal string ("17.98"): exact, and the same on every database.
MONEY = String(MONEY_LENGTH)
# A store's ids (of records and of webhooks) are text: decimal numbers in some systems, other
# systems' ids as they write them (Shopify's `gid://shopify/WebhookSubscription/<n>`).
EXTERNAL_ID = String(EXTERNAL_ID_LENGTH)
# Integers a store sends (quantities, stock) are BigInteger: `config.bounds`' 64-bit range.


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints predictably."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Connection(Base):
    """A store connected to Storelink, with its credentials encrypted at rest."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    external_system: Mapped[str] = mapped_column(String(32))
    api_url: Mapped[str] = mapped_column(String(2048))
    access_token_encrypted: Mapped[str] = mapped_column(Text)
    access_token_masked: Mapped[str] = mapped_column(String(32))
    secret_encrypted: Mapped[str] = mapped_column(Text)
    auth_mode: Mapped[str] = mapped_column(String(32))
    order_start: Mapped[datetime] = mapped_column(UTCDateTime())
    warehouse: Mapped[str | None] = mapped_column(String(200))
    company_group: Mapped[str | None] = mapped_column(String(200))
    store: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Deleted connections are kept (without credentials) so the receiver can answer 410.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the store refuses the keys (401): polling pauses until the credentials change.
    needs_attention: Mapped[str | None] = mapped_column(Text)
    # After a key rotation, deliveries signed with the old secret verify until this time.
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Which store and key this is (connections.identity); unique, so one store cannot be
    # connected twice with one key. None once deleted, so the store can be connected again.
    store_key_fingerprint: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The back office's endpoint for this connection's change notifications (jobs.notify), if any.
    notify_url: Mapped[str | None] = mapped_column(String(2048))
    notify_secret_encrypted: Mapped[str | None] = mapped_column(Text)

    webhooks: Mapped[list["Webhook"]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", order_by="Webhook.topic"
    )
    schedules: Mapped[list["Schedule"]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", order_by="Schedule.entity"
    )


class Webhook(Base):
    """One webhook registered on the store for one topic."""

    __tablename__ = "webhooks"
    __table_args__ = (UniqueConstraint("connection_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64))
    store_webhook_id: Mapped[str | None] = mapped_column(EXTERNAL_ID)
    status: Mapped[str] = mapped_column(String(32))
    delivery_url: Mapped[str] = mapped_column(String(2048))
    error: Mapped[str | None] = mapped_column(Text)
    last_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    connection: Mapped[Connection] = relationship(back_populates="webhooks")


class Order(Base):
    """An order as the store last described it."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("connection_id", "external_id"),
        Index("ix_orders_connection_id_modified_at", "connection_id", "modified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(EXTERNAL_ID)
    number: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(Text)
    total: Mapped[str | None] = mapped_column(MONEY)
    subtotal: Mapped[str | None] = mapped_column(MONEY)
    total_tax: Mapped[str | None] = mapped_column(MONEY)
    shipping_total: Mapped[str | None] = mapped_column(MONEY)
    discount_total: Mapped[str | None] = mapped_column(MONEY)
    payment_method: Mapped[str | None] = mapped_column(Text)
    customer: Mapped[dict] = mapped_column(JSON)
    billing: Mapped[dict] = mapped_column(JSON)
    shipping: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warehouse: Mapped[str | None] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last full pass that found this record on the store (reconciliation).
    seen_in_run: Mapped[int | None] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Where its last write stands in the change feed (db.changes); NULL until that write commits.
    change_position: Mapped[int | None] = mapped_column(BigInteger, index=True, unique=True)

    line_items: Mapped[list["OrderLineItem"]] = relationship(
        cascade="all, delete-orphan", order_by="OrderLineItem.position"
    )


class OrderLineItem(Base):
    """One line of an order; replaced as a whole whenever the order changes."""

    __tablename__ = "order_line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str] = mapped_column(EXTERNAL_ID)
    product_external_id: Mapped[str | None] = mapped_column(EXTERNAL_ID)
    variation_external_id: Mapped[str | None] = mapped_column(EXTERNAL_ID)
    sku: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column(BigInteger)
    price: Mapped[str | None] = mapped_column(MONEY)
    total: Mapped[str | None] = mapped_column(MONEY)


class Product(Base):
    """A product or variation as the store last described it."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("connection_id", "external_id"),
        Index("ix_products_connection_id_modified_at", "connection_id", "modified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(EXTERNAL_ID)
    parent_external_id: Mapped[str | None] = mapped_column(EXTERNAL_ID)
    type: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    sku: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    price: Mapped[str | None] = mapped_column(MONEY)
    regular_price: Mapped[str | None] = mapped_column(MONEY)
    sale_price: Mapped[str | None] = mapped_column(MONEY)
    stock_quantity: Mapped[int | None] = mapped_column(BigInteger)
    stock_status: Mapped[str | None] = mapped_column(Text)
    manage_stock: Mapped[bool | None] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    seen_in_run: Mapped[int | None] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    change_position: Mapped[int | None] = mapped_column(BigInteger, index=True, unique=True)


class ChangeCounter(Base):
    """The change feed's one row: the last position handed out (db.changes)."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_position: Mapped[int] = mapped_column(BigInteger)


ENTITIES = ("orders", "products")
# Sync run states, in the order a run goes through them.
RUN_QUEUED, RUN_RUNNING, RUN_SUCCEEDED, RUN_FAILED = "queued", "running", "succeeded", "failed"
ACTIVE_RUN_STATES = (RUN_QUEUED, RUN_RUNNING)


class Schedule(Base):
    """How often one entity of a connection is polled, and how far polling has got."""

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("connection_id", "entity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(16))
    interval_minutes: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The store's modification time up to which every record is stored (committed pages only).
    cursor: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The same for the orders' trash walk (status=trash), which pages apart from the others:
    # a run that dies in it must not start the next one where the first walk got to.
    trash_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Scheduled polls are full passes (which find force-deleted records) this often.
    full_every_minutes: Mapped[int] = mapped_column(Integer)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_full_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    connection: Mapped[Connection] = relationship(back_populates="schedules")


class SyncRun(Base):
    """One poll of one entity: queued, running, then succeeded or failed, with its progress."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index("ix_sync_runs_connection_id_entity", "connection_id", "entity"),
        # At most one queued or running poll per connection and entity, however many clocks tick.
        Index(
            "uq_sync_runs_one_active",
            "connection_id",
            "entity",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(16))
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=RUN_QUEUED)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    pages_total: Mapped[int | None] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SpooledDelivery(Base):
    """A verified delivery kept in the database while Redis was unreachable; the clock requeues it."""

    __tablename__ = "spooled_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_public_id: Mapped[str] = mapped_column(String(32))
    resource: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
