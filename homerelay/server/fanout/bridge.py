"""Chooses how a process's EventHub reaches the other server processes sharing its database."""

from __future__ import annotations

import logging

from sqlalchemy import make_url

from homerelay.server.storage.db import Database, libpq_url
from homerelay.server.fanout.hub import EventHub

logger = logging.getLogger(__name__)


def sqlite_file(db: Database) -> str | None:
    """The path of a file SQLite database; None for PostgreSQL or an in-memory database."""
    if not db.is_sqlite:
        return None
    path = make_url(db.url).database
    return path if path and path != ":memory:" and not path.startswith("file:") else None


def start_bridge(db: Database, hub: EventHub, cross_process: bool = False):
    """Join the hub to the other processes: LISTEN/NOTIFY on PostgreSQL, Unix sockets beside a
    SQLite file when `cross_process` (several workers); None when the process is alone."""
    if db.is_postgresql:
        from homerelay.server.fanout.postgres import PgEventBridge

        bridge = PgEventBridge(libpq_url(db.url), hub)
    elif cross_process and sqlite_file(db):
        from homerelay.server.fanout.socket_bridge import SocketEventBridge, folder_for

        bridge = SocketEventBridge(folder_for(sqlite_file(db)), hub)
    else:
        if cross_process:
            logger.warning("an in-memory SQLite database cannot be shared; events stay in this process")
        return None
    bridge.start()
    hub.attach(bridge)
    return bridge
