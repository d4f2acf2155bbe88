"""Fixtures for scale-out tests: real `homerelay serve` processes on one PostgreSQL database."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from homerelay.server.storage.db import Database
from homerelay.server.storage.migrate import upgrade_schema
from tests.support.homes import home_in
from tests.support.servers import ServeProcess


@pytest.fixture(scope="module", params=["two servers", "two workers"])
def two_servers(request, postgres_url, tmp_path_factory):
    """Two server processes on one PostgreSQL database, limits on, behind one trusted proxy: two
    `homerelay serve`s (a URL each), or one `homerelay serve --workers 2` (its URL twice, each
    request on whichever worker takes the new connection)."""
    log_dir = tmp_path_factory.mktemp("servers")
    _forget_limits(postgres_url)
    env = {
        "HOMERELAY_LIMITS": "on",
        "HOMERELAY_RATE_LIMITS": "60 per minute",
        "HOMERELAY_SIGNIN_LIMIT": "6 per minute",
        # Lets a test speak as a client address of its own through X-Forwarded-For.
        "HOMERELAY_TRUSTED_PROXIES": "1",
    }
    workers = 2 if request.param == "two workers" else 1
    servers = [ServeProcess(postgres_url, log_dir / f"serve-{n}.log", env, workers=workers) for n in range(3 - workers)]
    try:
        for server in servers:
            server.start()
    except RuntimeError:
        for server in servers:
            server.stop()
        raise
    yield servers * 2 if len(servers) == 1 else servers
    for server in servers:
        server.stop()


def _forget_limits(database_url: str) -> None:
    """Empty the shared limit counters, so the throttle tests start afresh with each pair of servers."""
    db = Database(database_url)
    try:
        upgrade_schema(db)
        with db.writing() as connection:
            connection.execute(text("DELETE FROM rate_limit_hits"))
            connection.execute(text("DELETE FROM rate_limit_counters"))
    finally:
        db.dispose()


@pytest.fixture
def new_home(postgres_url):
    """A new home (with its own tokens, so rate limits start afresh) in the shared database."""
    return lambda name="flat": home_in(postgres_url, name)
