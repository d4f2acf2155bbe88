"""A `limits` storage in homerelay's own database, so rate limits hold across server processes."""

from __future__ import annotations

import itertools
import logging
import time
from contextlib import contextmanager
from typing import Iterator

from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from homerelay.server.db import Database
from homerelay.server.models import Base

logger = logging.getLogger(__name__)

# `homerelay+postgresql://…` (or `homerelay+sqlite:///…`): the rest is the database URL.
SCHEME_PREFIX = "homerelay+"
# Every this many acquisitions a process also sweeps other keys' expired hits.
SWEEP_EVERY = 500
# Rate-limit work is short and frequent; a few connections per process are enough.
POOL_SIZE = 2
MAX_OVERFLOW = 4

rate_limit_hits = Table(
    "rate_limit_hits",
    Base.metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("key", String(255), nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_rate_limit_hits_key_expires", "key", "expires_at"),
)

rate_limit_counters = Table(
    "rate_limit_counters",
    Base.metadata,
    Column("key", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", Float, nullable=False),
)


def storage_uri_for(database_url: str) -> str:
    """The `limits` storage URI that keeps limits in this database."""
    return SCHEME_PREFIX + database_url


class SqlStorage(Storage, MovingWindowSupport):
    """Moving-window and fixed-window rate limits in the `rate_limit_*` tables (made by the migrations)."""

    STORAGE_SCHEME = ["homerelay+postgresql", "homerelay+postgresql+psycopg", "homerelay+postgres", "homerelay+sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.db = Database(uri[len(SCHEME_PREFIX):], pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)
        self._acquisitions = itertools.count(1)
        # The sign-in throttle reads a window on every request: on PostgreSQL a lone SELECT
        # in autocommit is one round trip instead of three (BEGIN, SELECT, COMMIT).
        self._reads = self.db.engine.execution_options(isolation_level="AUTOCOMMIT") if self.db.is_postgresql else None
        # A hit lost in a power cut costs nothing, so on SQLite its commit does not wait for the
        # disk (one sync per request otherwise); on PostgreSQL asking would cost a round trip.
        self._durable = not self.db.is_sqlite

    @contextmanager
    def _reading(self) -> Iterator:
        if self._reads is None:
            # SQLite: a deferred transaction reads a WAL snapshot without taking the write lock,
            # so a throttle check never waits for another process's write.
            with self.db.reading() as session:
                yield session
            return
        with self._reads.connect() as connection:
            yield connection

    @property
    def base_exceptions(self) -> type[Exception]:
        """What the database raises (wrapped by `limits` when asked to)."""
        return SQLAlchemyError

    def _lock(self, session: Session, key: str) -> None:
        # One writer per key at a time (SQLite already has one writer per database).
        if self.db.is_postgresql:
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Take `amount` entries of the moving window if fewer than `limit` remain taken."""
        if amount > limit:
            return False
        now = time.time()
        hits = rate_limit_hits.c
        with self.db.transaction(durable=self._durable) as session:
            self._lock(session, key)
            session.execute(delete(rate_limit_hits).where(hits.key == key, hits.expires_at <= now))
            taken = session.scalar(select(func.count()).select_from(rate_limit_hits).where(hits.key == key))
            if taken + amount > limit:
                return False
            session.execute(rate_limit_hits.insert(), [{"key": key, "expires_at": now + expiry}] * amount)
            if next(self._acquisitions) % SWEEP_EVERY == 0:
                session.execute(delete(rate_limit_hits).where(hits.expires_at <= now))
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(start of the window: the oldest live entry, number of live entries)."""
        now = time.time()
        hits = rate_limit_hits.c
        with self._reading() as session:
            oldest, taken = session.execute(
                select(func.min(hits.expires_at), func.count()).where(hits.key == key, hits.expires_at > now)
            ).one()
        if not taken:
            return now, 0
        return oldest - expiry, taken

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add to a fixed-window counter, starting a new window when the last one ran out."""
        now = time.time()
        counters = rate_limit_counters.c
        with self.db.transaction(durable=self._durable) as session:
            self._lock(session, key)
            row = session.execute(select(counters.count, counters.expires_at).where(counters.key == key)).first()
            if row is None:
                session.execute(rate_limit_counters.insert().values(key=key, count=amount, expires_at=now + expiry))
                return amount
            count = amount if row.expires_at <= now else row.count + amount
            expires_at = now + expiry if row.expires_at <= now else row.expires_at
            session.execute(
                rate_limit_counters.update().where(counters.key == key).values(count=count, expires_at=expires_at)
            )
            return count

    def get(self, key: str) -> int:
        """A fixed-window counter's value (0 once its window ran out)."""
        counters = rate_limit_counters.c
        with self._reading() as session:
            row = session.execute(select(counters.count, counters.expires_at).where(counters.key == key)).first()
        return row.count if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        """When a fixed-window counter's window ends (now if there is none)."""
        counters = rate_limit_counters.c
        with self._reading() as session:
            expires_at = session.scalar(select(counters.expires_at).where(counters.key == key))
        return expires_at if expires_at is not None else time.time()

    def check(self) -> bool:
        """True if the database answers."""
        try:
            with self._reading() as session:
                session.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            logger.exception("rate-limit storage does not answer")
            return False

    def reset(self) -> int | None:
        """Forget every limit; returns how many rows went."""
        with self.db.transaction() as session:
            gone = session.execute(delete(rate_limit_hits)).rowcount
            gone += session.execute(delete(rate_limit_counters)).rowcount
        return gone

    def clear(self, key: str) -> None:
        """Forget one key's limits."""
        with self.db.transaction() as session:
            session.execute(delete(rate_limit_hits).where(rate_limit_hits.c.key == key))
            session.execute(delete(rate_limit_counters).where(rate_limit_counters.c.key == key))

    def close(self) -> None:
        """Close the storage's connections."""
        self.db.dispose()
