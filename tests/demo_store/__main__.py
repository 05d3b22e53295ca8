"""`python -m tests.demo_store` (what `bin/demo-store` runs): serve the demo store, or change the running one."""

import json
import signal
import sys
from pathlib import Path

import click
import requests

from tests.demo_store.serve import serve

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STATE = ROOT / "var" / "demo-store.json"
DEFAULT_PORT = 8090
# How long a change command waits for the running store's answer.
CONTROL_TIMEOUT_SECONDS = 10

state_option = click.option(
    "--state", "state_path", type=click.Path(path_type=Path), default=DEFAULT_STATE, show_default=True,
    help="Where the running store writes its address, keys and control endpoint.",
)


@click.group(invoke_without_command=True)
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="The store's port (0: any free one).")
@state_option
@click.pass_context
def main(context: click.Context, port: int, state_path: Path) -> None:
    """Without a command: run a demo WooCommerce store (Ctrl-C stops it). With one: change the running store."""
    context.obj = state_path
    if context.invoked_subcommand is not None:
        return
    # SIGTERM ends the store as Ctrl-C does: the state file is removed either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(state_path, port, say=_say)
    except OSError as error:
        raise click.ClickException(f"cannot serve on port {port} ({error.strerror}): try --port 0") from None
    except KeyboardInterrupt:
        pass


def _say(text: str) -> None:
    click.echo(text)
    sys.stdout.flush()  # a newcomer may watch it through a pipe or a file


def _control(state_path: Path, method: str, path: str, body: dict | None = None) -> dict:
    try:
        state = json.loads(state_path.read_text())
    except FileNotFoundError:
        raise click.ClickException(f"no demo store is running (no {state_path}): start one with bin/demo-store") from None
    try:
        response = requests.request(
            method, state["control_url"] + path, json=body, timeout=CONTROL_TIMEOUT_SECONDS,
            headers={"Authorization": f"Bearer {state['control_token']}"},
        )
    except requests.ConnectionError:
        raise click.ClickException("the demo store does not answer: is bin/demo-store still running?") from None
    answer = response.json()
    if "error" in answer:
        raise click.ClickException(answer["error"])
    return answer


def _change(state_path: Path, *words: str) -> None:
    click.echo(_control(state_path, "POST", "/changes", {"words": list(words)})["done"])


@main.group()
def order() -> None:
    """Change the store's orders (each change is delivered to Storelink within a second or two)."""


@order.command("new")
@click.pass_obj
def order_new(state_path: Path) -> None:
    """A new order of one or two products."""
    _change(state_path, "order", "new")


@order.command("status")
@click.argument("order_id")
@click.argument("status")
@click.pass_obj
def order_status(state_path: Path, order_id: str, status: str) -> None:
    """Change an order's status (pending, processing, on-hold, completed, cancelled, refunded, failed)."""
    _change(state_path, "order", "status", order_id, status)


@order.command("trash")
@click.argument("order_id")
@click.pass_obj
def order_trash(state_path: Path, order_id: str) -> None:
    """Move an order to the trash."""
    _change(state_path, "order", "trash", order_id)


@order.command("restore")
@click.argument("order_id")
@click.pass_obj
def order_restore(state_path: Path, order_id: str) -> None:
    """Take an order out of the trash."""
    _change(state_path, "order", "restore", order_id)


@main.group()
def product() -> None:
    """Change the store's products."""


@product.command("price")
@click.argument("product_id")
@click.argument("price")
@click.pass_obj
def product_price(state_path: Path, product_id: str, price: str) -> None:
    """Set a product's regular price, e.g. 12.50."""
    _change(state_path, "product", "price", product_id, price)


@main.command()
@click.pass_obj
def show(state_path: Path) -> None:
    """The store's orders and products, with their ids."""
    for line in _control(state_path, "GET", "/records")["lines"]:
        click.echo(line)


if __name__ == "__main__":
    main(prog_name="bin/demo-store")
