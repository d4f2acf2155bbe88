"""The database handle: engine, sessions and transactions for one app."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from homerelay.server.models import Base

logger = logging.getLogger(__name__)

# How long a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000


class Database:
    """One engine and its session factory; lives on the Flask app, never in a module global."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _create_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Serialising our own transactions in-process
        # means a waiting writer never spins in SQLite's busy handler, which under gevent
        # would block the very greenlet holding the lock.
        self._write_lock = threading.RLock() if self.is_sqlite else None

    def create_schema(self) -> None:
        """Create missing tables (the first start of a new database)."""
        Base.metadata.create_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error."""
        if self._write_lock is None:
            with self._sessions() as session, session.begin():
                yield session
            return
        with self._write_lock:
            with self._sessions() as session, session.begin():
                yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _create_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    database_file = make_url(url).database
    if database_file and database_file != ":memory:":
        Path(database_file).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own
        # transaction handling would defer it and break BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers never block the writer. synchronous=FULL: a commit is on disk
        # before we answer 201, so an accepted command survives a crash or power loss.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        # Take the write lock up front so two transactions never deadlock upgrading.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
