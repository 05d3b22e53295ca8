"""The operator console: server-rendered pages over the same services as the admin API.

Sign in with the admin token, connect a store (verify, then save), watch it work.
"""

# Each page module adds its routes to bp when imported.
from console import connections, display, edit_connection, new_connection, records, security, sign_in, sync, templating  # noqa: F401
from console.blueprint import bp

__all__ = ["bp"]
