"""Template filters that lay values out for reading: store URLs that wrap only between their parts,
a store's failure in plain words."""

import re

from markupsafe import Markup, escape

from console.blueprint import bp
from jobs.store_trouble import explain
from stores.errors import StoreError
from stores.registry import connector_for

# Where a URL may wrap: before each `/`, `.`, `?` and `&` after the scheme, never inside a
# name or between a host and its port.
_BREAKS = re.compile(r"(?<!/)(?=[/.?&])")


@bp.app_template_filter("url_text")
def url_text(url: str | None) -> Markup:
    """The URL with line-break opportunities (`<wbr>`) before its separators: `shop<wbr>.example<wbr>.com:8443`."""
    text = url or ""
    scheme, separator, rest = text.partition("://")
    if not separator:
        scheme, rest = "", text
    parts = _BREAKS.split(rest)
    head = escape(scheme + separator)
    return head + Markup("<wbr>").join(escape(part) for part in parts)


@bp.app_template_filter("store_trouble")
def store_trouble(error: StoreError, system: str) -> str:
    """What went wrong with `system`'s store and what to do, as jobs say it (`jobs.store_trouble`)."""
    return explain(error, connector_for(system))
