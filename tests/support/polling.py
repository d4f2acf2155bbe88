"""Waiting in tests for what happens a moment later: an agent's report, a wake-up, a restart."""

from __future__ import annotations

import time


def poll(predicate, timeout: float = 10.0, step: float = 0.02):
    """The first truthy value of `predicate()` within `timeout` seconds, else its last (falsy) one."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def eventually(predicate, timeout: float = 10.0, step: float = 0.05):
    """The first truthy value of `predicate()`; fails the test if none comes within `timeout` seconds."""
    value = poll(predicate, timeout, step)
    if not value:
        raise AssertionError(f"condition not met within {timeout} s")
    return value
