"""Every environment variable the service's code reads is in the README's configuration table."""

import ast
import re

from tests.services import ROOT

# The service's own packages (pyproject's), not the tests, the bench or the migrations' runner inputs.
PACKAGES = ("config", "db", "stores", "webhooks", "jobs", "api", "web", "connections", "console", "cli")
NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
# How the code reads the environment, and which argument names the variable: os.environ.get("X"),
# os.getenv("X"), config's env.get("X") and read(whole, "X", ...), whole_numbers(os.environ, {"X": ...});
# and os.environ["X"], env["X"]. (A WSGI `environ` is not the process's environment.)
READERS = {"os.environ.get": 0, "env.get": 0, "os.getenv": 0, "read": 1, "whole_numbers": 1}
MAPPINGS = {"os.environ", "env"}


def variables_read(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and (position := READERS.get(ast.unparse(node.func))) is not None:
            if len(node.args) > position:
                argument = node.args[position]
                keys = argument.keys if isinstance(argument, ast.Dict) else [argument]
                found |= {key.value for key in keys if isinstance(key, ast.Constant) and NAME.match(str(key.value))}
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in MAPPINGS:
            if isinstance(node.slice, ast.Constant) and NAME.match(str(node.slice.value)):
                found.add(node.slice.value)
    return found


def read_by_the_code() -> set[str]:
    return set().union(*(
        variables_read(path.read_text(encoding="utf-8")) for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    ))


def in_the_readme_table() -> set[str]:
    """The variables named in the first column of the table under the README's `## Configuration`."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_scan_finds_variables_read_every_way_the_code_reads_them():
    source = 'os.environ.get("A_B", "INFO"); env["C_D"]; read(whole, "E_F", 1); whole_numbers(os.environ, {"G_H": 2})'
    assert variables_read(source) == {"A_B", "C_D", "E_F", "G_H"}
    assert variables_read('environ.get("PATH_INFO")') == set()  # a WSGI request's
    assert {"PUBLIC_URL", "STORELINK_ENV", "GUNICORN_ARRIVING_MB", "WEB_CONCURRENCY", "LOG_FORMAT"} <= read_by_the_code()


def test_every_environment_variable_the_code_reads_is_in_the_readme_table():
    missing = read_by_the_code() - in_the_readme_table()
    assert not missing, f"add to the README's configuration table: {', '.join(sorted(missing))}"
