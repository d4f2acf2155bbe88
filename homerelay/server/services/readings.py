"""Sensor readings: history with a retention limit, the latest one, and staleness."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select

from homerelay.clock import utcnow
from homerelay.const import EVENT_READING
from homerelay.server.fanout.hub import EventHub
from homerelay.server.services.quotas import ReadingAllowance
from homerelay.server.storage.db import Database
from homerelay.server.storage.models import Reading as ReadingRow
from homerelay.server.storage.records import Reading
from homerelay.server.storage.serialize import reading_to_dict

logger = logging.getLogger(__name__)

# Prune old readings every this many inserts (per process), not on every one.
PRUNE_EVERY = 200
READINGS = ReadingRow.__table__
# Every reading and every dashboard asks for the newest one: the lookup is prepared once.
NEWEST = (
    select(READINGS.c.temperature, READINGS.c.humidity, READINGS.c.at)
    .where(READINGS.c.home_id == bindparam("home_id"))
    .order_by(READINGS.c.at.desc(), READINGS.c.id.desc())
    .limit(1)
)
INSERT_READING = insert(READINGS)
# Found through ix_readings_at: no scan of every home's readings while holding the write lock.
PRUNE_READINGS = delete(READINGS).where(READINGS.c.at < bindparam("cutoff"))


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

    def add(self, home_id: int, readings: list[tuple[float, float, datetime]]) -> list[Reading]:
        """Store readings (one, or a batch buffered while offline); returns them, oldest first."""
        if self.allowance is not None:
            self.allowance.take(home_id, len(readings))
        stored = [Reading(t, h, at) for t, h, at in sorted(readings, key=lambda r: r[2])]
        if stored:
            # One Core executemany: ORM objects cost ten times the insert for a day's backlog.
            rows = [{"home_id": home_id, "temperature": r.temperature, "humidity": r.humidity, "at": r.at} for r in stored]
            with self.db.writing(durable=False) as connection:
                connection.execute(INSERT_READING, rows)
            # One event per batch, not per reading: a day's backlog would otherwise flood every
            # open stream. `count` > 1 tells the app to reload its chart.
            self.hub.publish(home_id, EVENT_READING, {**reading_to_dict(stored[-1]), "count": len(stored)})
        self._inserts += len(rows)
        if self._inserts >= PRUNE_EVERY:
            self._inserts = 0
            self.prune()
        return stored

    def latest(self, home_id: int) -> Reading | None:
        """The newest reading, or None when there is none yet."""
        row = self.db.read_row(NEWEST, {"home_id": home_id})
        return Reading(row.temperature, row.humidity, row.at) if row is not None else None

    def latest_fresh(self, home_id: int) -> Reading | None:
        """The newest reading if it is not stale (only those may drive the automation)."""
        reading = self.latest(home_id)
        return reading if reading is not None and not self.is_stale(reading.at) else None

    def is_stale(self, at: datetime) -> bool:
        """Whether a reading taken at `at` is too old to trust."""
        return utcnow() - at > self.stale_after

    def history(self, home_id: int, since: datetime | None, limit: int) -> list[Reading]:
        """The newest `limit` readings after `since`, oldest first (ready for a chart)."""
        query = select(READINGS.c.temperature, READINGS.c.humidity, READINGS.c.at).where(READINGS.c.home_id == home_id)
        if since is not None:
            query = query.where(READINGS.c.at >= since)
        query = query.order_by(READINGS.c.at.desc(), READINGS.c.id.desc()).limit(limit)
        with self.db.reading() as session:
            rows = list(session.execute(query))
        return [Reading(row.temperature, row.humidity, row.at) for row in reversed(rows)]

    def prune(self) -> int:
        """Delete readings older than the retention; returns how many went."""
        cutoff = utcnow() - self.retention
        with self.db.transaction() as session:
            removed = session.execute(PRUNE_READINGS, {"cutoff": cutoff}).rowcount or 0
        if removed:
            logger.info("pruned %d readings older than %s", removed, cutoff)
        return removed
