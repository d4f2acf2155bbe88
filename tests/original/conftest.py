"""Fixtures for running the original system's own code (`../shared/original`) against homerelay."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.availability import missing
from tests.support.servers import ServeProcess

# Beside the repository, as CI has it; never copied into it.
ORIGINAL = Path(__file__).resolve().parents[2].parent / "shared" / "original"


@pytest.fixture
def original() -> Path:
    """The original system's folder (`server/main.py`, `pi/smart_home_automation.py`)."""
    if not (ORIGINAL / "server" / "main.py").is_file():
        missing(f"the original system at {ORIGINAL}", "CI puts it at ../shared/original, beside the repository")
    return ORIGINAL


@pytest.fixture(scope="module")
def homerelay_serve(tmp_path_factory):
    """`homerelay serve` (gunicorn, as in production) on a fresh SQLite file, for the tests of a
    module, each with a home of its own; killed at the end."""
    folder = tmp_path_factory.mktemp("homerelay")
    server = ServeProcess(f"sqlite:///{folder / 'homerelay.db'}", folder / "server.log")
    try:
        yield server.start()
    finally:
        server.kill()
