"""`python -m connections.reencrypt`: encrypt every stored credential with the newest key in SECRET_KEY.

Retiring a key: run every process with SECRET_KEY="new,old", run this once, then drop `old`.
It says how many credentials it changed; it changes none when any decrypts with no key.
"""

import sys

from config import ConfigError, get_settings
from config.logging import configure_logging
from connections.credentials import Vault
from connections.keys import reencrypt_credentials
from db.session import transaction


def main() -> int:
    """Re-encrypt, report, and exit 0; or name what is wrong and exit 1."""
    configure_logging()
    try:
        settings = get_settings()
        with transaction(settings.database_url) as session:
            changed, stored = reencrypt_credentials(session, Vault(settings.secret_key))
    except ConfigError as error:
        print(f"Nothing re-encrypted: {error}", file=sys.stderr)
        return 1
    print(f"Re-encrypted {changed} of {stored} stored credentials with the newest key in SECRET_KEY.")
    if "," in settings.secret_key:
        print("Every credential is now under the first key: the others can be removed from SECRET_KEY.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
