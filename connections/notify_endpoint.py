"""A connection's own notification endpoint (`notify_url`, `notify_secret`): checked, the secret encrypted."""

from config import notify_problems, notify_secret_is_valid
from connections.credentials import Vault
from connections.errors import FieldErrors


def notify_columns(changes: dict, vault: Vault, stored, *, https: bool) -> dict:
    """The columns to set for the notify fields in `changes` (none given: nothing); FieldErrors naming the field.

    `notify_url: null` removes the endpoint and its secret. A new URL needs a secret, given
    with it or stored before on the connection (`stored`, None for a new one); a new secret
    alone needs a stored URL.
    """
    stored_url = stored.notify_url if stored is not None else None
    secret_stored = stored is not None and stored.notify_secret_encrypted is not None
    if "notify_url" not in changes and "notify_secret" not in changes:
        return {}
    url, secret = changes.get("notify_url"), changes.get("notify_secret")
    if "notify_url" in changes and url is None:
        if secret:
            raise FieldErrors({"notify_secret": ["must not be given while notify_url is removed (null)"]})
        return {"notify_url": None, "notify_secret_encrypted": None}
    errors: dict[str, list[str]] = {}
    if secret is not None and not notify_secret_is_valid(secret):
        errors["notify_secret"] = ["must be whsec_ followed by the base64 of 24 to 64 random bytes"]
    elif secret is None and not secret_stored:
        errors["notify_secret"] = ["is required with notify_url (whsec_ followed by the base64 of 24 to 64 random bytes)"]
    if "notify_url" in changes:
        problems = notify_problems("notify_url", url, "notify_secret", "whsec_" + "A" * 32, https=https)
        if problems:
            errors["notify_url"] = [problems[0].removeprefix("notify_url ")]
    elif stored_url is None:
        errors.setdefault("notify_secret", []).append("is given without notify_url")
    if errors:
        raise FieldErrors(errors)
    columns = {"notify_url": url} if "notify_url" in changes else {}
    if secret is not None:
        columns["notify_secret_encrypted"] = vault.encrypt(secret)
    return columns
