"""The database handle: engine, sessions and transactions for one app (SQLite or PostgreSQL)."""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import URL, Connection, Engine, Row
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

logger = logging.getLogger(__name__)

# Execution option marking a connection that only reads (see `Database.reading`).
READ_ONLY_OPTION = "homerelay_read_only"
READ_SNAPSHOT = "snapshot"  # several statements: a deferred BEGIN
READ_SINGLE = "single"  # one statement: no transaction at all
# Execution option marking a write that need not be on disk before the commit returns.
RELAXED_OPTION = "homerelay_relaxed_durability"
# A SQLite file made by the server: its owner only (the -wal and -shm files follow it).
DATABASE_FILE_MODE = 0o600
# How long a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000
# PostgreSQL pool per process. Connections are held only for the instant of a transaction
# (a long-poll waits on the EventHub, not on the database), so a small pool serves
# thousands of waiting agents; processes x (pool + overflow + 2) must stay under the
# server's max_connections.
DEFAULT_POOL_SIZE = 8
DEFAULT_MAX_OVERFLOW = 8
# PostgreSQL: this transaction's commit does not wait for the disk (see `Database.transaction`).
SYNCHRONOUS_COMMIT_OFF = text("SET LOCAL synchronous_commit TO OFF")
# A request waits this long for a free pooled connection before failing.
POOL_TIMEOUT_SECONDS = 10
# Connections older than this are replaced (firewalls and proxies drop idle ones).
POOL_RECYCLE_SECONDS = 1800
# The driver SQLAlchemy uses for a plain postgresql:// URL (psycopg 3, not psycopg2).
POSTGRESQL_DRIVER = "postgresql+psycopg"


# SQLite errors after which a pooled connection is no good even once the cause is gone: a file
# opened while read-only stays read-only, so every such connection is discarded and reopened.
SQLITE_REOPEN_ON = ("readonly database", "database or disk is full", "disk i/o error", "unable to open database file")
# A cheap write that touches one row: the database answers, and accepts writes.
WRITE_PROBE = text("UPDATE alembic_version SET version_num = version_num")


class StorageUnavailableError(Exception):
    """The database does not answer or does not take writes (down, read-only, full)."""


def storage_fault(error: BaseException) -> str | None:
    """Why storage failed, when `error` is the database being unavailable rather than a bug; else None."""
    if isinstance(error, StorageUnavailableError):
        return str(error)
    if isinstance(error, (OperationalError, InterfaceError)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        first_line = str(getattr(error, "orig", None) or error).strip().splitlines()
        return first_line[0] if first_line else "the database does not answer"
    return None


def normalize_url(url: str) -> str:
    """The SQLAlchemy URL to use: `postgresql://` and `postgres://` go through psycopg 3."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgresql", "postgres"):
        return f"{POSTGRESQL_DRIVER}://{rest}"
    return url


def libpq_url(url: str) -> str:
    """The same PostgreSQL database as a libpq URI, for a raw psycopg connection."""
    parsed: URL = make_url(normalize_url(url))
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


class Database:
    """One engine and its session factory; lives on the Flask app, never in a module global."""

    def __init__(self, url: str, pool_size: int | None = None, max_overflow: int | None = None) -> None:
        self.url = normalize_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self.is_postgresql = self.dialect == "postgresql"
        self.engine = _create_engine(self.url, pool_size, max_overflow)
        # `read_row`'s lone SELECT needs no transaction. SQLite: no BEGIN is sent (see the
        # "begin" event). PostgreSQL: autocommit sends the query alone, one round trip instead
        # of three (BEGIN, the query, and the ROLLBACK when the connection goes back to the pool).
        self._single_reads = self.engine.execution_options(
            **({READ_ONLY_OPTION: READ_SINGLE} if self.is_sqlite else {"isolation_level": "AUTOCOMMIT"})
        )
        # SQLite has one writer at a time. Serialising our own transactions in-process
        # means a waiting writer never spins in SQLite's busy handler, which under gevent
        # would block the very greenlet holding the lock.
        self._write_lock = threading.RLock() if self.is_sqlite else None

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error.

        `durable=False` is for writes that may be lost on a power cut without harm because
        they are redone (a delivery, an acknowledgement, a reading): their commit does not wait
        for the disk, which takes a sync off the command's path from phone to device.
        """
        with self.writing(durable) as connection, Session(bind=connection, expire_on_commit=False) as session:
            yield session
            # The session joined the connection's transaction, which `writing` commits.
            session.flush()

    @contextmanager
    def writing(self, durable: bool = True) -> Iterator[Connection]:
        """A Core connection inside one write transaction: committed on success, rolled back on
        error; `durable` as for `transaction`. The queue's statements on every command's path use
        it directly, where an ORM session's bookkeeping costs more than the statements themselves."""
        with self._write_lock or nullcontext(), self.engine.connect() as connection:
            if not durable:
                connection.execution_options(**{RELAXED_OPTION: True})
            with connection.begin():
                if not durable and self.is_postgresql:
                    connection.execute(SYNCHRONOUS_COMMIT_OFF)
                yield connection

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: no write lock, and on SQLite a deferred BEGIN, so reads
        never wait for a writer (WAL gives them a consistent snapshot)."""
        with self.engine.connect() as connection:
            connection.execution_options(**{READ_ONLY_OPTION: READ_SNAPSHOT})
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                yield session

    def read_row(self, statement: Executable, params: dict | None = None) -> Row | None:
        """The first row of one query, read without an ORM session or a transaction: for the
        lookups every request makes (sign-in, the house, the cooling rule), where those cost
        more than the query. Pass a prepared statement with `bindparam`s and `params`."""
        with self._single_reads.connect() as connection:
            return connection.execute(statement, params or {}).first()

    def check_writable(self) -> None:
        """Raise `StorageUnavailableError` unless the database answers and takes a write (for /healthz)."""
        try:
            with self.writing(durable=False) as connection:
                connection.execute(WRITE_PROBE)
        except Exception as error:
            reason = storage_fault(error)
            if reason is None:
                raise
            raise StorageUnavailableError(reason) from error

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


def _create_engine(url: str, pool_size: int | None, max_overflow: int | None) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(
            url,
            # No ping before every checkout: it would add a round trip to each transaction.
            # After a database restart SQLAlchemy drops the whole pool on the first error.
            pool_pre_ping=False,
            pool_recycle=POOL_RECYCLE_SECONDS,
            pool_size=pool_size if pool_size is not None else _env_int("HOMERELAY_DB_POOL_SIZE", DEFAULT_POOL_SIZE),
            max_overflow=max_overflow if max_overflow is not None else _env_int("HOMERELAY_DB_MAX_OVERFLOW", DEFAULT_MAX_OVERFLOW),
            pool_timeout=POOL_TIMEOUT_SECONDS,
        )
    database_file = make_url(url).database
    if database_file and database_file != ":memory:" and not database_file.startswith("file:"):
        Path(database_file).parent.mkdir(parents=True, exist_ok=True)
        # Readable by the server's user only: it holds the homes' commands and token hashes.
        # SQLite gives the -wal and -shm files the database file's mode.
        try:
            os.close(os.open(database_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, DATABASE_FILE_MODE))
        except FileExistsError:
            pass  # an existing file keeps the mode its owner gave it
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
        _record.info["synchronous"] = "FULL"
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "handle_error")
    def _reopen_after_storage_fault(context):
        # Counted as a disconnect, the connection (and the pool) is dropped and opened afresh.
        message = str(context.original_exception).lower()
        if any(fault in message for fault in SQLITE_REOPEN_ON):
            context.is_disconnect = True

    @event.listens_for(engine, "begin")
    def _begin(connection):
        options = connection.get_execution_options()
        read_only = options.get(READ_ONLY_OPTION)
        if read_only == READ_SINGLE:
            # One SELECT in autocommit mode is a consistent snapshot by itself.
            return
        if read_only:
            connection.exec_driver_sql("BEGIN")
            return
        # FULL: the commit is on disk before we answer (see `Database.transaction`). The
        # setting stays with the pooled connection, so it is sent only when it changes.
        synchronous = "NORMAL" if options.get(RELAXED_OPTION) else "FULL"
        if connection.info.get("synchronous") != synchronous:
            connection.exec_driver_sql(f"PRAGMA synchronous={synchronous}")
            connection.info["synchronous"] = synchronous
        # Take the write lock up front so two transactions never deadlock upgrading.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
