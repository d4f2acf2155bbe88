"""Sensor readings: history with a retention limit, the latest one, and staleness."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, insert, select

from homerelay.const import EVENT_READING
from homerelay.server.storage.db import Database
from homerelay.server.fanout.hub import EventHub
from homerelay.server.services.quotas import ReadingAllowance
from homerelay.server.storage.models import Reading, utcnow
from homerelay.server.storage.serialize import reading_to_dict, to_iso

logger = logging.getLogger(__name__)

# Prune old readings every this many inserts (per process), not on every one.
PRUNE_EVERY = 200
INSERT_READING = insert(Reading.__table__)
# Found through ix_readings_at: no scan of every home's readings while holding the write lock.
PRUNE_READINGS = delete(Reading).where(Reading.at < bindparam("cutoff"))


class ReadingStore:
    """Keeps each home's readings for `retention` and answers chart and latest queries."""

    def __init__(self, db: Database, hub: EventHub, stale_after_seconds: float, retention_days: float,
                 allowance: ReadingAllowance | None = None) -> None:
        self.db = db
        self.allowance = allowance
        self.hub = hub
        self.stale_after = timedelta(seconds=stale_after_seconds)
        self.retention = timedelta(days=retention_days)
        self._inserts = 0

    def add(self, home_id: int, readings: list[tuple[float, float, datetime]]) -> list[dict]:
        """Store readings (one, or a batch buffered while offline); returns them, oldest first."""
        if self.allowance is not None:
            self.allowance.take(home_id, len(readings))
        ordered = sorted(readings, key=lambda r: r[2])
        rows = [{"home_id": home_id, "temperature": t, "humidity": h, "at": at} for t, h, at in ordered]
        if rows:
            # One Core executemany: ORM objects cost ten times the insert for a day's backlog.
            with self.db.writing(durable=False) as connection:
                connection.execute(INSERT_READING, rows)
        stored = [{"temperature": t, "humidity": h, "at": to_iso(at)} for t, h, at in ordered]
        if stored:
            # One event per batch, not per reading: a day's backlog would otherwise flood every
            # open stream. `count` > 1 tells the app to reload its chart.
            self.hub.publish(home_id, EVENT_READING, {**stored[-1], "count": len(stored)})
        self._inserts += len(rows)
        if self._inserts >= PRUNE_EVERY:
            self._inserts = 0
            self.prune()
        return stored

    def latest(self, home_id: int) -> dict:
        """The newest reading with its staleness; nulls when there is none yet."""
        with self.db.reading() as session:
            row = session.scalars(
                select(Reading).where(Reading.home_id == home_id).order_by(Reading.at.desc(), Reading.id.desc()).limit(1)
            ).first()
        if row is None:
            return {"temperature": None, "humidity": None, "at": None, "stale": True}
        return {**reading_to_dict(row), "stale": self.is_stale(row.at)}

    def latest_fresh(self, home_id: int) -> Reading | None:
        """The newest reading if it is not stale (only those may drive the automation)."""
        with self.db.reading() as session:
            row = session.scalars(
                select(Reading).where(Reading.home_id == home_id).order_by(Reading.at.desc(), Reading.id.desc()).limit(1)
            ).first()
        return row if row is not None and not self.is_stale(row.at) else None

    def is_stale(self, at: datetime) -> bool:
        """Whether a reading taken at `at` is too old to trust."""
        return utcnow() - at > self.stale_after

    def history(self, home_id: int, since: datetime | None, limit: int) -> list[dict]:
        """The newest `limit` readings after `since`, oldest first (ready for a chart)."""
        query = select(Reading).where(Reading.home_id == home_id)
        if since is not None:
            query = query.where(Reading.at >= since)
        query = query.order_by(Reading.at.desc(), Reading.id.desc()).limit(limit)
        with self.db.reading() as session:
            rows = list(session.scalars(query))
        return [reading_to_dict(row) for row in reversed(rows)]

    def prune(self) -> int:
        """Delete readings older than the retention; returns how many went."""
        cutoff = utcnow() - self.retention
        with self.db.transaction() as session:
            removed = session.execute(PRUNE_READINGS, {"cutoff": cutoff}).rowcount or 0
        if removed:
            logger.info("pruned %d readings older than %s", removed, cutoff)
        return removed

    def count(self, home_id: int) -> int:
        """How many readings the home has."""
        with self.db.reading() as session:
            return session.scalar(select(func.count()).select_from(Reading).where(Reading.home_id == home_id)) or 0
