"""The relay's services wired together: what every API surface calls."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from homerelay.const import SOURCE_AUTOMATION
from homerelay.language import ParseResult, parse
from homerelay.server.cooling import CoolingAutomation
from homerelay.server.db import Database
from homerelay.server.devices import DeviceStore
from homerelay.server.events import EventHub
from homerelay.server.bridges import start_bridge
from homerelay.server.queue import CommandQueue, NewCommand
from homerelay.server.readings import ReadingStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """The outcome of submitting a sentence: the parse, and the command if one was queued."""

    parsed: ParseResult
    command: dict | None
    created: bool


class Relay:
    """Storage, queue, readings, devices and cooling of the server, over one database."""

    def __init__(self, config: dict) -> None:
        self.db = Database(config["DATABASE_URL"])
        if config.get("MIGRATE_ON_START", True):
            self.db.create_schema()
        self.hub = EventHub()
        # Several processes sharing the database join their hubs (see `bridges.start_bridge`).
        self.bridge = start_bridge(self.db, self.hub, config.get("CROSS_PROCESS_EVENTS", False))
        self._closers: list = []
        self.queue = CommandQueue(self.db, self.hub, config["LEASE_SECONDS"], config["COMMAND_TTL_SECONDS"])
        self.readings = ReadingStore(self.db, self.hub, config["READING_STALE_SECONDS"], config["READING_RETENTION_DAYS"])
        self.devices = DeviceStore(self.db, self.hub)
        self.cooling = CoolingAutomation(
            self.db, self.hub, self.queue, self.devices, self.readings, config["COOLING_PAUSE_SECONDS"]
        )

    def submit_text(self, home_id: int, text: str, source: str, idempotency_key: str | None = None,
                    heard: tuple[str, float] | None = None) -> Submission:
        """Parse a sentence against the home's house and queue it if it was understood (`heard`: words, confidence)."""
        parsed = parse(text, self.devices.house(home_id))
        if not parsed.ok:
            return Submission(parsed, None, False)
        actions = [action.to_dict() for action in parsed.actions]
        command, created = self.queue.submit(
            home_id, NewCommand(text, source, parsed.intent, actions, idempotency_key, *(heard or (None, None)))
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
        if self.bridge is not None:
            self.bridge.stop()
        for closer in self._closers:
            closer()
        self.db.dispose()
