"""`storelink check` (the start-up checks, printed) and `storelink reencrypt` (after a key rotation)."""

import sys

import click
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from cli.context import checked_settings
from config import ConfigError, Settings, configuration_problems, load_settings
from connections.credentials import Vault
from connections.keys import KeyMismatch, reencrypt_credentials, undecryptable
from db.session import transaction
from jobs.queues import redis_for


def init_cli(group: click.Group) -> None:
    """Add the commands to `group`."""
    group.add_command(check)
    group.add_command(reencrypt)


@click.command()
def check() -> None:
    """The start-up checks of every process, printed: settings, the database and Redis, SECRET_KEY against stored credentials."""
    problems = configuration_problems()
    if not problems:
        settings = load_settings()
        mode = "production" if settings.production else "development" if settings.development else "neither"
        click.echo(f"mode: {mode}")
        click.echo("ok: settings")
        problems = _service_problems(settings)
    for problem in problems:
        click.echo(f"problem: {problem}")
    if problems:
        click.echo(f"{len(problems)} problem{'' if len(problems) == 1 else 's'}: every process would refuse to start, or start unchecked")
        sys.exit(1)


def _service_problems(settings: Settings) -> list[str]:
    """What the database and Redis say: reachable, and every stored credential readable with SECRET_KEY."""
    problems = []
    try:
        with transaction(settings.database_url) as session:
            mismatched = undecryptable(session, Vault(settings.secret_key))
    except SQLAlchemyError as error:
        problems.append(f"the database did not answer ({type(error).__name__}): stored credentials not checked")
    else:
        if mismatched:
            problems.append(str(KeyMismatch(mismatched)))
        else:
            click.echo("ok: database; SECRET_KEY decrypts every stored credential")
    try:
        redis_for(settings).ping()
    except RedisError as error:
        problems.append(f"Redis did not answer ({type(error).__name__})")
    else:
        click.echo("ok: Redis")
    return problems


@click.command()
def reencrypt() -> None:
    """Encrypt every stored credential with the newest key in SECRET_KEY (run after SECRET_KEY=new,old)."""
    settings = checked_settings()
    try:
        with transaction(settings.database_url) as session:
            changed, stored = reencrypt_credentials(session, Vault(settings.secret_key))
    except ConfigError as error:
        click.echo(f"Nothing re-encrypted: {error}", err=True)
        sys.exit(1)
    click.echo(f"Re-encrypted {changed} of {stored} stored credentials with the newest key in SECRET_KEY.")
    if "," in settings.secret_key:
        click.echo("Every credential is now under the first key: the others can be removed from SECRET_KEY.")
