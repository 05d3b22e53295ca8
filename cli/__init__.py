"""`storelink`: the operator's command line (`heroku run storelink ...` on a dyno).

Plain, short output; no secret is ever printed. Each command reads the same settings as the
processes and refuses, as they do, settings no process could run with (`storelink check`
names them all).
"""

import click

from cli import connections, jobs, settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Operate Storelink: connections, syncs, failed jobs, the spool, keys, configuration."""


settings.init_cli(main)
connections.init_cli(main)
jobs.init_cli(main)
