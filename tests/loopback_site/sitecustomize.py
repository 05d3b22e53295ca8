"""Test-only: applies tests/resolver.py's name override in subprocesses given subprocess_environment()."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.resolver import install_from_environment  # noqa: E402

install_from_environment()
sys.path.pop(0)
