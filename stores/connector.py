"""The one interface every external system's connector offers the rest of Storelink.

A connector knows one system: how its connection fields look, how to verify a store, its
API client, its webhooks, its deliveries, how its records map to Storelink's order and
product records, and how to walk its records when polling. Everything above `stores`
(receiver, jobs, connection service, API, console) speaks only this interface, and picks
the connector by the connection's `external_system` (`stores.registry`).

In OCA's connector vocabulary: the client is the *adapter*, `map_record` the *mapper*, the
jobs that drive them the *importers*; the (connection, external id) link is the *binder*,
which lives in the database layer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from stores.errors import RetryPolicy

# The resources (singular, as deliveries name them) and entities (plural, as polls and the API
# name them) every connector maps to Storelink's records.
RESOURCES = ("order", "product")
ENTITY_OF = {"order": "orders", "product": "products"}
EVENTS = ("created", "updated", "deleted", "restored")
# A delivery about the store's installation of Storelink's app rather than a record: its
# `deleted` (Shopify's app/uninstalled) makes the connection need attention (`jobs.events`).
APP = "app"
# Webhook statuses every connector reports: the one in which a store delivers, and one for a
# topic the store would not register (its error says why). Others are the store's own words.
WEBHOOK_ACTIVE = "active"
WEBHOOK_FAILED = "failed"


@dataclass(frozen=True)
class StoreOptions:
    """How to reach stores from this installation (from `config.Settings`)."""

    timeout: float = 20.0
    verify: bool | str = True  # True, or the path of a CA bundle (STORE_CA_BUNDLE)
    allow_private: bool = False


@dataclass(frozen=True)
class StoreLink:
    """What a connection row holds to talk to its store, secrets decrypted."""

    api_url: str
    access_token: str
    secret: str
    auth_mode: str | None
    store: Mapping[str, Any] = field(default_factory=dict)  # the facts verification recorded


@dataclass(frozen=True)
class Verification:
    """A store that accepted the credentials: how to talk to it and what it is."""

    api_url: str
    auth_mode: str
    store: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FieldHelp:
    """How the operator's form presents one connection field for this system."""

    label: str
    hint: str
    placeholder: str = ""


@dataclass(frozen=True)
class Advice:
    """What a diagnosis code means for the person at the form, and the next step."""

    title: str
    next_step: str


@dataclass(frozen=True)
class WebhookState:
    """What the store said about one topic's webhook (or why it could not be registered)."""

    topic: str
    store_webhook_id: str | None
    status: str
    delivery_url: str
    error: str | None = None


@dataclass(frozen=True)
class Topic:
    """What a delivery is about: a resource and what happened to it."""

    resource: str  # one of RESOURCES, or APP
    event: str  # one of EVENTS


@dataclass(frozen=True)
class Page:
    """One page of a walk: its records (each with its parent's id, for variations) and how far the walk has got."""

    records: list[tuple[dict, str | None]]
    pages_done: int
    pages_total: int
    newest_change: datetime | None


@dataclass(frozen=True)
class IdPage:
    """One page of a reconciliation: the ids the store has, and how far the walk has got."""

    ids: set[str]
    pages_done: int
    pages_total: int


@dataclass(frozen=True)
class Walk:
    """One incremental walk of an entity, and the schedule column that keeps its cursor."""

    name: str
    cursor_column: str


class StoreClient(Protocol):
    """A connector's API client: a context manager that closes its connections."""

    api_url: str

    def __enter__(self) -> StoreClient: ...
    def __exit__(self, *exc_info) -> None: ...
    def close(self) -> None: ...


class Deliveries(ABC):
    """How a system's webhook deliveries arrive: headers, signature, ping, topics and body checks.

    The receiver calls these in the contract's order: `is_ping`, `verify_signature` (before
    anything of the body is parsed), `topic`, then `check`. Headers are not signed: they only
    pick the check the signed body must pass, and never decide alone what happened to a record.
    """

    signature_header: str
    topic_header: str

    @abstractmethod
    def is_ping(self, body: bytes, signature: str | None) -> bool:
        """Whether the request is the store's unsigned test delivery, answered 200 and not queued."""

    @abstractmethod
    def verify_signature(self, body: bytes, signature: str | None, secrets: tuple[str, ...]) -> None:
        """Raise `stores.errors.SignatureError` (saying why) unless `signature` signs `body` with one of `secrets`."""

    @abstractmethod
    def topic(self, header: str) -> Topic | None:
        """The topic the header names, or None for one Storelink does not take."""

    def change_time(self, payload: Any) -> str:
        """The body's modification time as text that sorts in time order, "" when it has none: of two
        versions of a record in one batch, the drain keeps the later (`jobs.batching.collapse`)."""
        return ""

    @abstractmethod
    def check(self, topic: Topic, body: bytes) -> bool:
        """Check the body as the drain will map it; True when it carries a modification time.

        Raises UnicodeDecodeError, json.JSONDecodeError or RecursionError for a body that is
        not JSON, and `stores.errors.MappingError` (naming the field) for one the mapper
        would refuse.
        """


class Connector(ABC):
    """One external system."""

    system: str  # the `external_system` value, and the receiver's path segment
    label: str  # the system's name as people write it
    fields: Mapping[str, FieldHelp]  # the form's help for api_url, access_token and secret
    advice: Mapping[str, Advice]  # every diagnosis code `verify` and the client can raise
    auth_modes: Mapping[str, str]  # each auth mode `verify` can choose, in words
    # What the console tells the operator to do on the store itself: `what_to_connect`,
    # `new_keys`, `replace_keys`, `secret_format` and `webhooks_place` (where the store lists its webhooks).
    texts: Mapping[str, str]
    deliveries: Deliveries
    topics: tuple[str, ...]  # the webhook topics registered on the store
    walks: Mapping[str, tuple[Walk, ...]]  # per entity, the incremental walks a poll makes
    # The ports the system delivers webhooks to (besides the store's own), or None for any.
    delivery_ports: tuple[int, ...] | None = None

    # -- connecting ---------------------------------------------------------------------

    @abstractmethod
    def credential_errors(self, access_token: str | None, secret: str | None) -> dict[str, list[str]]:
        """Field errors for credentials that cannot be this system's (checked before the store is asked)."""

    @abstractmethod
    def normalize_api_url(self, api_url: str) -> str:
        """The API URL in the one form stored and compared."""

    @abstractmethod
    def verify(
        self, api_url: str, access_token: str, secret: str, options: StoreOptions, *, order_start: datetime | None = None
    ) -> Verification:
        """Check the store end to end; raise `stores.errors.StoreError` with a diagnosis code when it fails.

        `order_start`: the oldest orders the connection will read (a store may need a
        permission to reach back that far; None: from now on).
        """

    @abstractmethod
    def client(self, link: StoreLink, options: StoreOptions, *, retry: RetryPolicy | None = None) -> StoreClient:
        """An API client for the store."""

    def store_summary(self, store: Mapping[str, Any]) -> str:
        """The store as the console names it, from the facts verification recorded."""
        return self.label

    @abstractmethod
    def store_facts(self, client: StoreClient) -> dict:
        """The store's settings that mapping depends on (currency decimals...), read again on each poll."""

    # -- webhooks -----------------------------------------------------------------------

    @abstractmethod
    def register_webhooks(self, client: StoreClient, url: str, secret: str, name: str, *, refresh: bool) -> list[WebhookState]:
        """Make sure each topic has one working webhook to `url`; with `refresh`, set every one again."""

    @abstractmethod
    def webhooks_on_store(self, client: StoreClient) -> dict[str, str]:
        """Every webhook on the store: its status by its id."""

    @abstractmethod
    def needs_repair(self, status: str | None) -> bool:
        """Whether a webhook with this status on the store (None: missing) fails to deliver until repaired."""

    @abstractmethod
    def remove_webhooks(self, client: StoreClient, store_webhook_ids: list[str]) -> dict[str, str]:
        """Delete the webhooks; return the ids that could not be deleted, with why."""

    # -- records ------------------------------------------------------------------------

    @abstractmethod
    def map_record(self, resource: str, payload: Any, parent: str | None = None, store: Mapping[str, Any] | None = None) -> dict:
        """The store's record as Storelink's order or product record (with `deleted`); raise MappingError naming the field.

        `store`: the facts the connection keeps of its store (`store_facts`), such as its number of decimals.
        """

    def delivered_items(self, resource: str, payload: Any) -> list[tuple[Any, str | None]]:
        """The records one delivery's body carries, each with its parent's id: the body alone, unless the
        system nests records in it (Shopify's product deliveries carry every variant). Never raises: a body
        it cannot split is answered as is, for the mapper to refuse."""
        return [(payload, None)]

    @abstractmethod
    def deleted_id(self, resource: str, payload: Any) -> str:
        """The id a deletion delivery names (it says nothing else: the store is asked)."""

    @abstractmethod
    def read_record(self, client: StoreClient, resource: str, external_id: str, parent: str | None) -> tuple[dict, str | None] | None:
        """The record as the store has it now (with its parent), or None when the store has no such record."""

    # -- polling ------------------------------------------------------------------------

    @abstractmethod
    def changed_pages(
        self, client: StoreClient, entity: str, walk: Walk, *, since: datetime | None, until: datetime, order_start: datetime
    ) -> Iterator[Page]:
        """The records changed since `since` (all of them when None), page by page, oldest change first, up to `until`."""

    @abstractmethod
    def id_pages(self, client: StoreClient, entity: str, *, order_start: datetime) -> Iterator[IdPage]:
        """Every id the store has for the entity (orders from `order_start` on), page by page, for reconciliation."""

    @abstractmethod
    def missing_ids(self, client: StoreClient, entity: str, candidates: list[tuple[str, str | None]]) -> list[str]:
        """Of (external id, parent) candidates a reconciliation did not see, the ones the store confirms gone."""
