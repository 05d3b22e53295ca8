"""The WordPress REST error shape: {"code", "message", "data": {"status", ...}}."""

from __future__ import annotations

from typing import Any


class RestError(Exception):
    """An error the REST API answers with, as WP_Error would serialise."""

    def __init__(self, code: str, message: str, status: int, **data: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.data = data

    def body(self) -> dict[str, Any]:
        """The JSON body WordPress sends for this error."""
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def invalid_id(post_type: str, message: str = "Invalid ID.", status: int = 404) -> RestError:
    """WooCommerce's answer for an id that names nothing."""
    return RestError(f"woocommerce_rest_{post_type}_invalid_id", message, status)


def no_route() -> RestError:
    """WordPress's answer when no route matches the path and method."""
    return RestError("rest_no_route", "No route was found matching the URL and request method.", 404)
