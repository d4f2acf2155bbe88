"""The database-backed `limits` storage: the same answers as the in-memory one, shared by every handle."""

from __future__ import annotations

import time

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from homerelay.server import config as server_config
from homerelay.server.storage.db import Database
from homerelay.server.storage.rate_limit_store import SqlStorage, storage_uri_for


@pytest.fixture
def storages(database_url):
    """Two storages on one database, as two server processes have."""
    db = Database(database_url)
    db.create_schema()
    db.dispose()
    made = [storage_from_string(storage_uri_for(database_url)) for _ in range(2)]
    yield made
    for storage in made:
        storage.close()


def test_the_scheme_is_registered_and_chosen_for_postgresql():
    assert isinstance(storage_from_string("homerelay+sqlite:///:memory:"), SqlStorage)
    pg = {"DATABASE_URL": "postgresql://u@127.0.0.1/db", "LIMITS_STORAGE_URI": None}
    assert server_config.limits_storage_uri(pg) == "homerelay+postgresql://u@127.0.0.1/db"
    assert server_config.limits_storage_uri({"DATABASE_URL": "sqlite:///x.db", "LIMITS_STORAGE_URI": None}) == "memory://"
    explicit = {"DATABASE_URL": "postgresql://u@h/db", "LIMITS_STORAGE_URI": "redis://127.0.0.1:6379"}
    assert server_config.limits_storage_uri(explicit) == "redis://127.0.0.1:6379"


def test_a_moving_window_is_shared(storages):
    first, second = (MovingWindowRateLimiter(storage) for storage in storages)
    limit = parse("3 per minute")
    assert first.hit(limit, "token", "a")
    assert second.hit(limit, "token", "a")
    assert first.hit(limit, "token", "a")
    assert not second.hit(limit, "token", "a")
    assert not first.test(limit, "token", "a")
    assert second.test(limit, "token", "b")
    reset_at, remaining = second.get_window_stats(limit, "token", "a")
    assert remaining == 0 and time.time() < reset_at <= time.time() + 60
    storages[0].clear(limit.key_for("token", "a"))
    assert second.hit(limit, "token", "a")


def test_entries_leave_the_window_when_it_has_passed(storages):
    limiter = MovingWindowRateLimiter(storages[0])
    limit = parse("2 per 1 second")
    assert limiter.hit(limit, "k") and limiter.hit(limit, "k")
    assert not limiter.hit(limit, "k")
    time.sleep(1.1)
    assert limiter.hit(limit, "k")


def test_a_fixed_window_counts_and_restarts(storages):
    first, second = (FixedWindowRateLimiter(storage) for storage in storages)
    limit = parse("2 per 1 second")
    assert first.hit(limit, "k") and second.hit(limit, "k")
    assert not first.hit(limit, "k")
    assert storages[1].get(limit.key_for("k")) == 3  # the refused hit is counted too, as in memory
    assert storages[1].get_expiry(limit.key_for("k")) > time.time()
    time.sleep(1.1)
    assert storages[0].get(limit.key_for("k")) == 0
    assert second.hit(limit, "k")
    assert storages[0].check()
    assert storages[0].reset() >= 1
    assert storages[1].get(limit.key_for("k")) == 0
