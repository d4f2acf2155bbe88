"""Homes and the relay of an app, for tests that build apps themselves."""

from __future__ import annotations

from homerelay.server.relay import Relay, current_relay
from homerelay.server.services.homes import HomeTokens, create_home
from homerelay.server.storage.db import Database
from homerelay.server.storage.migrate import upgrade_schema


def relay_of(app) -> Relay:
    """The app's relay, reached the way the server reaches it (`current_relay()` in the app's context)."""
    with app.app_context():
        return current_relay()


def add_home(app, name: str = "test home") -> HomeTokens:
    """A new home in the app's database, with its app and agent tokens."""
    return relay_of(app).homes.create(name)


def bearer(token: str, **headers: str) -> dict:
    """Request headers that sign in with `token` (and any others)."""
    return {"Authorization": f"Bearer {token}", **headers}


def home_in(database_url: str, name: str = "test home") -> HomeTokens:
    """A new home in a database (brought up to date first), as `homerelay home create` makes one."""
    db = Database(database_url)
    try:
        upgrade_schema(db)
        return create_home(db, name)
    finally:
        db.dispose()


def stored_readings(app, home_id: int) -> int:
    """How many readings the app's database holds for a home (a count only tests need)."""
    from sqlalchemy import func, select  # noqa: PLC0415

    from homerelay.server.storage.models import Reading  # noqa: PLC0415

    with relay_of(app).db.reading() as session:
        return session.scalar(select(func.count()).select_from(Reading).where(Reading.home_id == home_id))


def listeners(hub) -> int:
    """How many event listeners a hub holds, over every home (none may linger after a stream ends)."""
    return sum(len(subscriptions) for subscriptions in hub._subscriptions.values())
