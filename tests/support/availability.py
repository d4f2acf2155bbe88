"""What a test needs from the machine: its absence skips the test here, and fails it in CI."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(what: str, remedy: str) -> NoReturn:
    """Skip: `what` is missing here (`remedy` says how to get it); in CI, which has everything, fail."""
    if os.environ.get("CI"):
        pytest.fail(f"CI needs {what}: {remedy}")
    pytest.skip(f"{what} is missing ({remedy})")
