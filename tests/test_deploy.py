"""A clean clone deploys Heroku-style: the lock file, the Python version, app.json and the Procfile agree."""

import ast
import json
import re
import sys
from importlib.metadata import packages_distributions

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.lockfile import DIGEST_LINE, ROOT, dependencies_digest, project

# The packages a dyno runs (everything but tests/ and bench/).
SERVICE_PACKAGES = ("api", "cli", "config", "connections", "console", "db", "jobs", "migrations", "stores", "web", "webhooks")
PROCESSES = ("release", "web", "worker", "clock")
# requirements.txt's last line: the project itself, whose console script is the operator's command.
PROJECT_ITSELF = "-e ."


def requirement_names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(line).name) for line in requirements}


def locked() -> dict[str, tuple[str, set[str]]]:
    """requirements.txt's pins: name -> (version, the names that need it, as uv's `# via` says)."""
    pins: dict[str, tuple[str, set[str]]] = {}
    current = None
    for raw in (ROOT / "requirements.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line == PROJECT_ITSELF:
            continue
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned with =="
            current = canonicalize_name(name)
            pins[current] = (version.split(";")[0].strip(), set())
        elif current and raw.strip().startswith("#") and not raw.startswith("#"):
            via = raw.strip().lstrip("#").strip().removeprefix("via").strip()
            if via:
                pins[current][1].add(canonicalize_name(via.split(" ")[0]))
    return pins


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def imported_modules() -> set[str]:
    """Top-level names the service's own modules import (at any level: lazy imports run too)."""
    names = set()
    for package in SERVICE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names


def test_requirements_txt_is_generated_from_the_current_dependencies():
    header = next(line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith(DIGEST_LINE))
    assert header.removeprefix(DIGEST_LINE) == dependencies_digest(), "pyproject.toml changed: run bin/lock"


def test_every_dependency_is_locked_within_its_range_and_nothing_for_development_is():
    pins = locked()
    for line in project()["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is a dependency but requirements.txt does not pin it"
        version = pins[name][0]
        assert SpecifierSet(str(requirement.specifier)).contains(version), f"{name}=={version} is outside {requirement.specifier}"
    runtime = requirement_names(project()["dependencies"])
    development = set().union(*(requirement_names(extra) for extra in project()["optional-dependencies"].values()))
    # A test tool may be in the lock only because a run-time dependency needs it too.
    for name in (development - runtime) & set(pins):
        assert pins[name][1] - {"storelink"}, f"{name}, a development or test tool, would be installed on a dyno"


def test_every_module_the_service_imports_is_a_declared_dependency():
    first_party = set(SERVICE_PACKAGES)
    distributions = packages_distributions()
    declared = requirement_names(project()["dependencies"])
    undeclared = {}
    for module in imported_modules() - first_party - set(sys.stdlib_module_names) - {"__future__"}:
        providers = {canonicalize_name(name) for name in distributions.get(module, [])}
        assert providers, f"{module} is imported but no installed distribution provides it"
        if not providers & declared:
            undeclared[module] = providers
    assert not undeclared, f"imported at run time but not in [project] dependencies: {undeclared}"


def test_a_dyno_installs_the_project_itself_so_heroku_run_storelink_works():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip()]
    assert lines[-1] == PROJECT_ITSELF
    assert project()["scripts"] == {"storelink": "cli:main"}


def test_python_version_is_one_the_project_supports():
    version = (ROOT / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.[0-9]+", version), "Heroku takes a major version, e.g. 3.11"
    assert SpecifierSet(project()["requires-python"]).contains(f"{version}.0")


def test_app_json_describes_the_heroku_app():
    app = json.loads((ROOT / "app.json").read_text())
    processes = procfile()
    assert set(processes) == set(PROCESSES)
    assert processes["release"] == "python -m db.migrate"
    assert app["scripts"]["postdeploy"] == processes["release"]
    assert set(app["formation"]) == set(PROCESSES) - {"release"}
    for name, formation in app["formation"].items():
        assert formation["quantity"] >= 1 and formation["size"], name
    plans = {addon["plan"].split(":")[0] for addon in app["addons"]}
    assert plans == {"heroku-postgresql", "heroku-redis"}
    env = app["env"]
    assert env["ADMIN_TOKEN"]["generator"] == env["SECRET_KEY"]["generator"] == "secret"
    assert env["PUBLIC_URL"]["required"] is True and "value" not in env["PUBLIC_URL"]
    assert env["TRUSTED_PROXY_COUNT"]["value"] == "1"  # Heroku's router, else every client shares one address


def test_the_readme_deploys_with_what_the_repository_has():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deploy to Heroku", 1)[1].split("\n## ", 1)[0]
    for command in ("heroku create", "heroku addons:create heroku-postgresql", "heroku addons:create heroku-redis",
                    "heroku config:set", "git push heroku main", "heroku ps:scale"):
        assert command in section, command
    for process in set(PROCESSES) - {"release"}:
        assert f"{process}=1" in section, process
