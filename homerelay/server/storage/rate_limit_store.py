"""A `limits` storage in homerelay's own database, so rate limits hold across server processes."""

from __future__ import annotations

import itertools
import logging
import time

from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, bindparam, delete, func, literal, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from homerelay.server.storage.db import Database
from homerelay.server.storage.models import Base

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


# The reads the throttle and the limits make on every request, prepared once.
MOVING_WINDOW = select(func.min(rate_limit_hits.c.expires_at), func.count()).where(
    rate_limit_hits.c.key == bindparam("key"), rate_limit_hits.c.expires_at > bindparam("now")
)
COUNTER = select(rate_limit_counters.c.count, rate_limit_counters.c.expires_at).where(
    rate_limit_counters.c.key == bindparam("key")
)
ANSWERS = select(literal(1))


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
        # A hit lost in a power cut costs nothing, so on SQLite its commit does not wait for the
        # disk (one sync per request otherwise); on PostgreSQL asking would cost a round trip.
        self._durable = not self.db.is_sqlite

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
        # One SELECT, no transaction: it never waits for a writer in another process.
        oldest, taken = self.db.read_row(MOVING_WINDOW, {"key": key, "now": now})
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
        row = self.db.read_row(COUNTER, {"key": key})
        return row.count if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        """When a fixed-window counter's window ends (now if there is none)."""
        row = self.db.read_row(COUNTER, {"key": key})
        return row.expires_at if row is not None else time.time()

    def check(self) -> bool:
        """True if the database answers."""
        try:
            self.db.read_row(ANSWERS)
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
