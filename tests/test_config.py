"""Settings come from the environment, fail loudly when incomplete, and never print secrets."""

import pytest

from config import ConfigError, load_settings, normalize_database_url
from connections.credentials import CredentialError, Vault, mask_access_token


def test_heroku_postgres_urls_use_the_psycopg_driver():
    assert normalize_database_url("postgres://u:p@h:5432/d") == "postgresql+psycopg://u:p@h:5432/d"
    assert normalize_database_url("postgresql://h/d") == "postgresql+psycopg://h/d"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_defaults_for_a_local_run():
    settings = load_settings({"PORT": "8000"})
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/storelink.db")
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.public_url == "http://localhost:8000"
    assert settings.allow_private_store_urls is False


@pytest.mark.parametrize(
    ("environ", "missing"),
    [({"ADMIN_TOKEN": "t"}, "SECRET_KEY"), ({"SECRET_KEY": "k"}, "ADMIN_TOKEN")],
)
def test_missing_secrets_stop_the_service_from_starting(environ, missing):
    with pytest.raises(ConfigError, match=missing):
        load_settings(environ).check()


def test_settings_repr_hides_tokens_keys_and_passwords():
    settings = load_settings(
        {"ADMIN_TOKEN": "admin-secret", "SECRET_KEY": "key-secret", "DATABASE_URL": "postgres://u:pw-secret@h/d"}
    )
    text = repr(settings)
    assert "admin-secret" not in text and "key-secret" not in text and "pw-secret" not in text


def test_credentials_round_trip_and_rotated_keys_still_decrypt():
    old = Vault("old-key")
    token = old.encrypt("cs_secret")
    assert "cs_secret" not in token
    rotated = Vault("new-key,old-key")
    assert rotated.decrypt(token) == "cs_secret"
    assert Vault("new-key").decrypt(rotated.encrypt("x")) == "x"
    with pytest.raises(CredentialError):
        Vault("new-key").decrypt(token)


@pytest.mark.parametrize(
    ("token", "masked"),
    [("ck_0123456789abcdef0123456789abcdef01231a2b", "ck_…1a2b"), ("ck_short", "ck_…"), ("plain", "…")],
)
def test_access_tokens_are_masked(token, masked):
    assert mask_access_token(token) == masked
