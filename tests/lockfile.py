"""What requirements.txt must agree with: pyproject.toml's run-time dependencies.

`bin/lock` writes the digest of those dependencies into requirements.txt's header;
`tests/test_deploy.py` recomputes it, so a dependency changed without running `bin/lock`
fails the suite. `python -m tests.lockfile` prints the digest.
"""

import hashlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGEST_LINE = "# pyproject-dependencies-sha256: "


def project() -> dict:
    """The `[project]` table of pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def dependencies_digest() -> str:
    """A digest of the run-time dependencies and the Python they are resolved for."""
    text = "\n".join(sorted(project()["dependencies"])) + "\npython " + (ROOT / ".python-version").read_text().strip()
    return hashlib.sha256(text.encode()).hexdigest()


if __name__ == "__main__":
    print(dependencies_digest())
