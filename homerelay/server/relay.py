"""The relay's services wired together: what every API surface calls."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from homerelay.const import SOURCE_AUTOMATION
from homerelay.language import ParseResult, parse
from homerelay.server.services.cooling import CoolingAutomation
from homerelay.server.storage.db import Database, libpq_url
from homerelay.server.services.devices import DeviceStore
from homerelay.server.fanout.hub import EventHub
from homerelay.server.fanout.postgres import PgEventBridge
from homerelay.server.services.commands import CommandLimits, CommandQueue, NewCommand
from homerelay.server.services.quotas import ReadingAllowance
from homerelay.server.services.readings import ReadingStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """The outcome of submitting a sentence: the parse, and the command if one was queued."""

    parsed: ParseResult
    command: dict | None
    created: bool


def start_bridge(db: Database, hub: EventHub) -> PgEventBridge | None:
    """Join the hub to the other server processes on the same PostgreSQL database by LISTEN/NOTIFY;
    None on SQLite, where the server runs one process."""
    if not db.is_postgresql:
        return None
    bridge = PgEventBridge(libpq_url(db.url), hub)
    bridge.start()
    hub.attach(bridge)
    return bridge


class Relay:
    """Storage, queue, readings, devices and cooling of the server, over one database."""

    def __init__(self, config: dict) -> None:
        self.db = Database(config["DATABASE_URL"])
        if config.get("MIGRATE_ON_START", True):
            self.db.create_schema()
        self.hub = EventHub()
        # Several processes sharing a PostgreSQL database join their hubs (see `start_bridge`).
        self.bridge = start_bridge(self.db, self.hub)
        self._closers: list = []
        # Set by `close`: open event streams end instead of reaching for a closed database.
        self.closed = False
        self.queue = CommandQueue(
            self.db, self.hub, config["LEASE_SECONDS"], config["COMMAND_TTL_SECONDS"],
            CommandLimits(config["MAX_UNFINISHED_COMMANDS"], config["COMMAND_HISTORY_DAYS"], config["COMMAND_HISTORY_MAX"]),
        )
        allowance = ReadingAllowance(config["READING_BURST"], config["READING_RATE_PER_SECOND"])
        self.readings = ReadingStore(
            self.db, self.hub, config["READING_STALE_SECONDS"], config["READING_RETENTION_DAYS"], allowance
        )
        self.devices = DeviceStore(self.db, self.hub)
        self.cooling = CoolingAutomation(
            self.db, self.hub, self.queue, self.devices, self.readings, config["COOLING_PAUSE_SECONDS"]
        )

    def submit_text(self, home_id: int, text: str, source: str, idempotency_key: str | None = None) -> Submission:
        """Parse a sentence against the home's house and queue it if it was understood."""
        parsed = parse(text, self.devices.house(home_id))
        if not parsed.ok:
            return Submission(parsed, None, False)
        actions = [action.to_dict() for action in parsed.actions]
        command, created = self.queue.submit(
            home_id, NewCommand(text, source, parsed.intent, actions, idempotency_key)
        )
        if created and source != SOURCE_AUTOMATION:
            self.cooling.note_user_command(home_id, parsed.intent, actions)
        return Submission(parsed, command, created)

    def add_readings(self, home_id: int, readings: list[tuple[float, float, datetime]]) -> list[dict]:
        """Store readings and let the cooling rule look at the newest."""
        stored = self.readings.add(home_id, readings)
        self.cooling.evaluate(home_id)
        return stored

    def on_close(self, closer) -> None:
        """Call `closer()` when the relay closes (e.g. a rate-limit storage's own connections)."""
        self._closers.append(closer)

    def close(self) -> None:
        """Stop the cross-process bridge and release the database."""
        self.closed = True
        if self.bridge is not None:
            self.bridge.stop()
        for closer in self._closers:
            closer()
        self.db.dispose()
