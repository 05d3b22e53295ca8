"""The console's blueprint; the page modules add their routes to it."""

from flask import Blueprint

bp = Blueprint(
    "console",
    __name__,
    template_folder="templates",
    static_folder="static",
    # Not /static: the console must never shadow an app-wide static route.
    static_url_path="/console/static",
)
