"""The site-level routes: the REST index, the wc/v3 namespace index, system_status, webhooks."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from . import schema
from .errors import RestError, invalid_id
from .listing import id_list, query_moment
from .restserver import (
    Endpoint,
    Page,
    RestRequest,
    RestResponse,
    Route,
    page_response,
    pagination_links,
    sanitized_query,
    single,
)
from .schema import to_boolean
from .store import WC_VERSION, WP_VERSION, Store
from .webhooks import Webhooks, is_valid_topic, is_valid_url

WP_NAMESPACES = ["oembed/1.0", "wp/v2", "wp-site-health/v1", "wp-block-editor/v1", "wp-abilities/v1"]
WC_NAMESPACES = ["wc/store", "wc/store/v1", "wc-admin", "wc-analytics", "wc/v1", "wc/v2", "wc/v3", "wc-telemetry"]
REST_HELP = "https://developer.wordpress.org/rest-api/"
LOG_HANDLER = "Automattic\\WooCommerce\\Internal\\Admin\\Logging\\LogHandlerFileV2"
INVALID_TOPIC = "woocommerce_rest_shop_webhook_invalid_topic"
INVALID_URL = (
    "woocommerce_rest_shop_webhook_invalid_delivery_url",
    "Webhook delivery URL must be a valid URL starting with http:// or https://.",
    400,
)
# The captured store's environment; the URLs and store id are the emulator's own.
ENVIRONMENT = {
    "home_url": None,
    "site_url": None,
    "store_id": None,
    "version": WC_VERSION,
    "log_directory": "/var/www/html/wp-content/uploads/wc-logs/",
    "log_directory_writable": True,
    "wp_version": WP_VERSION,
    "wp_multisite": False,
    "wp_memory_limit": 536870912,
    "wp_debug_mode": True,
    "wp_cron": True,
    "language": "en_US",
    "external_object_cache": None,
    "server_info": "nginx/1.22.1",
    "server_architecture": "Linux 6.18.44-fc-v669 x86_64",
    "php_version": "8.2.36",
    "php_post_max_size": 8388608,
    "php_max_execution_time": 120,
    "php_max_input_vars": 1000,
    "curl_version": "7.88.1, OpenSSL/3.0.22",
    "suhosin_installed": False,
    "max_upload_size": 2097152,
    "mysql_version": "10.11.19",
    "mysql_version_string": "10.11.19-MariaDB-0+deb12u1",
    "default_timezone": "UTC",
    "fsockopen_or_curl_enabled": True,
    "soapclient_enabled": False,
    "domdocument_enabled": True,
    "gzip_enabled": True,
    "mbstring_enabled": True,
    "remote_post_successful": False,
    "remote_post_response": "",
    "remote_get_successful": False,
    "remote_get_response": "",
}


class SiteApi:
    """Handlers that describe the site, and the webhooks resource."""

    def __init__(self, store: Store, webhooks: Webhooks, settings: Callable[[], dict[str, Any]]):
        self.store = store
        self.webhooks = webhooks
        self._settings = settings

    def routes(self) -> list[Route]:
        """The routes this module serves (the REST index exists without WooCommerce too)."""
        return [
            Route("/", {"GET": Endpoint(self.index, "public")}, woocommerce=False),
            Route("/wc/v3", {"GET": Endpoint(self.namespace, "public")}),
            Route("/wc/v3/system_status", {"GET": Endpoint(self.system_status, "list")}),
            Route(
                "/wc/v3/webhooks",
                {"GET": Endpoint(self.list_webhooks, "list"), "POST": Endpoint(self.create_webhook, "create")},
            ),
            Route(
                "/wc/v3/webhooks/(?P<id>[\\d]+)",
                {
                    "GET": Endpoint(self.get_webhook, "view"),
                    "POST": Endpoint(self.update_webhook, "edit"),
                    "PUT": Endpoint(self.update_webhook, "edit"),
                    "PATCH": Endpoint(self.update_webhook, "edit"),
                    "DELETE": Endpoint(self.delete_webhook, "delete"),
                },
            ),
        ]

    # -- indexes ---------------------------------------------------------------------------

    def index(self, request: RestRequest) -> RestResponse:
        """GET /wp-json/: site identity, namespaces and routes."""
        settings = self._settings()
        woocommerce = settings["woocommerce_active"]
        offset = self.store.timezone_offset_hours
        routes: dict[str, Any] = {
            "/": {
                "namespace": "",
                "methods": ["GET"],
                "endpoints": [{"methods": ["GET"], "args": {"context": {"default": "view", "required": False}}}],
                "_links": {"self": [{"href": request.urls.rest("/")}]},
            }
        }
        if woocommerce:
            routes.update(schema.namespace_index(request.urls.rest(""))["routes"])
        data = {
            "name": settings["site_name"],
            "description": "",
            "url": settings["home_url"],
            "home": request.urls.home,
            "gmt_offset": f"{offset:g}",
            "timezone_string": "UTC" if offset == 0 else "",
            "page_for_posts": 0,
            "page_on_front": 0,
            "show_on_front": "posts",
            "namespaces": WP_NAMESPACES[:1] + (WC_NAMESPACES if woocommerce else []) + WP_NAMESPACES[1:],
            # PHP encodes an empty array as [], and application passwords are only offered over https.
            "authentication": _authentication(request) if settings["is_ssl"] else [],
            "routes": routes,
            "site_logo": 0,
            "site_icon": 0,
            "site_icon_url": "",
        }
        return RestResponse(data, links={"help": [{"href": REST_HELP}]})

    def namespace(self, request: RestRequest) -> RestResponse:
        """GET /wp-json/wc/v3: the namespace and its routes (public)."""
        data = schema.namespace_index(request.urls.rest(""))
        links = data.pop("_links")
        return RestResponse(data, links=links)

    def system_status(self, request: RestRequest) -> RestResponse:
        """GET /system_status: environment and the other report sections."""
        settings = self._settings()
        environment = dict(ENVIRONMENT, home_url=settings["home_url"], site_url=settings["home_url"])
        environment["store_id"] = settings["store_id"]
        kinds = [record["kind"] for record in self.store.products.values()]
        data = {
            "environment": environment,
            "database": {
                "wc_database_version": WC_VERSION, "database_prefix": "wp_", "database_tables": {}, "database_size": {},
            },
            "active_plugins": [
                {
                    "plugin": "woocommerce/woocommerce.php",
                    "name": "WooCommerce",
                    "version": WC_VERSION,
                    "version_latest": WC_VERSION,
                    "url": "https://woocommerce.com/",
                    "author_name": "Automattic",
                    "author_url": "https://woocommerce.com",
                    "network_activated": False,
                }
            ],
            "inactive_plugins": [],
            "dropins_mu_plugins": {"dropins": [], "mu_plugins": []},
            "theme": {
                "name": "Storefront", "version": "4.6.1", "is_child_theme": False, "has_woocommerce_support": True,
            },
            "settings": {
                "api_enabled": True,
                "force_ssl": False,
                "currency": self.store.currency,
                "currency_symbol": self.store.currency_symbol(self.store.currency)[1],
                "currency_position": "left",
                "thousand_separator": ",",
                "decimal_separator": ".",
                "number_of_decimals": self.store.price_decimals,
                "geolocation_enabled": False,
                "woocommerce_com_connected": "no",
                "enforce_approved_download_directories": True,
                "order_datastore": "Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\OrdersTableDataStore",
                "HPOS_enabled": True,
                "HPOS_sync_enabled": False,
            },
            "security": {"secure_connection": settings["home_url"].startswith("https://"), "hide_errors": False},
            "pages": [],
            "post_type_counts": [
                {"type": "product", "count": str(kinds.count("product"))},
                {"type": "product_variation", "count": str(kinds.count("variation"))},
            ],
            "logging": {"logging_enabled": True, "default_handler": LOG_HANDLER},
        }
        return RestResponse(data)

    # -- webhooks --------------------------------------------------------------------------

    def list_webhooks(self, request: RestRequest) -> RestResponse:
        """GET /webhooks: newest first by default."""
        with self.store.lock:
            status = request.param("status", "all")
            include, exclude = id_list(request.param("include")), id_list(request.param("exclude"))
            search = (request.param("search") or "").lower()
            chosen = [
                webhook for webhook in sorted(self.webhooks.items.values(), key=lambda webhook: webhook.id)
                if (status == "all" or webhook.status == status)
                and (not include or webhook.id in include) and webhook.id not in exclude
                and search in webhook.name.lower()
            ]
            for name, side in (("after", "after"), ("before", "before")):
                if request.param(name):
                    bound = query_moment(self.store, request.param(name), True)
                    chosen = [w for w in chosen if (w.created > bound if side == "after" else w.created < bound)]
            orderby = request.param("orderby", "date")
            key = {"id": lambda w: w.id, "title": lambda w: w.name}.get(orderby, lambda w: w.created)
            # A stable sort, so webhooks created in the same second stay in id order as MySQL returns them.
            chosen.sort(key=key, reverse=request.param("order", "desc") == "desc")
            per_page = int(request.param("per_page", 10))
            offset = request.params.get("offset")
            page_number = int(request.param("page", 1))
            start = int(offset) if offset not in (None, "") else (page_number - 1) * per_page
            total = len(chosen)
            page = Page(
                chosen[start:start + per_page], total, math.ceil(total / per_page) if per_page > 1 else 1,
                math.ceil(start / per_page + 1),
            )
            data = [self.webhooks.json(webhook, request.urls) for webhook in page.items]
        links = pagination_links(request, "/wc/v3/webhooks", page, sanitized_query(request))
        return page_response(data, page, links)

    def get_webhook(self, request: RestRequest) -> RestResponse:
        """GET /webhooks/<id> (an unknown id is a 400, "ID is invalid.")."""
        with self.store.lock:
            webhook = self.webhooks.get(request.param("id"))
            if webhook is None:
                raise invalid_id("shop_webhook", "ID is invalid.", 400)
            return single(self.webhooks.json(webhook, request.urls))

    def create_webhook(self, request: RestRequest) -> RestResponse:
        """POST /webhooks: 201, then the synchronous ping before the answer goes out."""
        if request.param("id"):
            raise RestError("woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.", 400)
        topic = request.param("topic", "")
        if not topic or not is_valid_topic(str(topic).lower()):
            raise RestError(INVALID_TOPIC, "Webhook topic is required and must be valid.", 400)
        url = request.param("delivery_url", "")
        if not url or not is_valid_url(url):
            raise RestError(*INVALID_URL)
        # WooCommerce creates REST webhooks active whatever status the request names.
        webhook = self.webhooks.create(topic, url, secret=request.param("secret"), name=request.param("name"))
        location = request.urls.rest(f"/wc/v3/webhooks/{webhook.id}")
        response = single(self.webhooks.json(webhook, request.urls), 201, [("Location", location)])
        self.webhooks.ping(webhook)
        return response

    def update_webhook(self, request: RestRequest) -> RestResponse:
        """PUT /webhooks/<id>: topic, delivery_url, secret, status, name; re-pings while pending."""
        webhook = self.webhooks.get(request.param("id"))
        if webhook is None:
            raise invalid_id("shop_webhook", "ID is invalid.", 400)
        topic = request.param("topic")
        if topic:
            if not is_valid_topic(str(topic).lower()):
                raise RestError(INVALID_TOPIC, "Webhook topic must be valid.", 400)
        url = request.param("delivery_url")
        if url and not is_valid_url(url):
            raise RestError(*INVALID_URL)
        with self.store.lock:
            if topic:
                webhook.topic = topic if is_valid_topic(topic) else ""
            url_changed = bool(url) and url != webhook.delivery_url
            if url:
                webhook.delivery_url = url
            if request.param("secret"):
                webhook.secret = request.param("secret")
            if request.param("status"):
                webhook.status = request.param("status")
            if request.param("name"):
                webhook.name = request.param("name")
        self.webhooks.save(webhook, url_changed=url_changed)
        return single(self.webhooks.json(webhook, request.urls))

    def delete_webhook(self, request: RestRequest) -> RestResponse:
        """DELETE /webhooks/<id>: only with force=true (webhooks cannot be trashed)."""
        if not to_boolean(request.param("force", False)):
            raise RestError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        webhook = self.webhooks.get(request.param("id"))
        if webhook is None:
            raise invalid_id("shop_webhook")
        data = self.webhooks.json(webhook, request.urls)
        self.webhooks.delete(webhook)
        return single(data)


def _authentication(request: RestRequest) -> dict[str, Any]:
    """What WordPress advertises when application passwords are available (https)."""
    return {
        "application-passwords": {
            "endpoints": {"authorization": f"{request.urls.home}/wp-admin/authorize-application.php"}
        }
    }
