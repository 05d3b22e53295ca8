"""The operator console: server-rendered pages over the same services as the admin API.

Sign in with the admin token, connect a store (verify, then save), watch it work.
"""

from console import connections, new_connection, security, sign_in, sync, templating  # noqa: F401 - routes register on bp
from console.blueprint import bp

__all__ = ["bp"]
