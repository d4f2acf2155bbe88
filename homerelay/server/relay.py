"""The relay: every service over one database, and `current_relay()`, the one way the web reaches them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app

from homerelay.const import SOURCE_AUTOMATION, STATUS_REJECTED
from homerelay.language import Action, ParseResult, parse
from homerelay.server.fanout.hub import EventHub
from homerelay.server.fanout.postgres import PgEventBridge
from homerelay.server.services.commands import CommandQueue, NewCommand
from homerelay.server.services.cooling import CoolingAutomation
from homerelay.server.services.devices import DeviceStore
from homerelay.server.services.homes import Homes
from homerelay.server.services.legacy_slot import LegacySlot
from homerelay.server.services.readings import ReadingStore
from homerelay.server.storage.db import Database, libpq_url
from homerelay.server.storage.migrate import upgrade_schema
from homerelay.server.storage.models import COMMAND_TEXT_COLUMN, NUL_STAND_IN
from homerelay.server.storage.records import Command, Reading

logger = logging.getLogger(__name__)

# Where the app keeps its relay (`app.extensions[...]`).
EXTENSION = "homerelay"


@dataclass(frozen=True)
class Submission:
    """The outcome of submitting a sentence: the parse, and the command if one was queued or kept."""

    parsed: ParseResult
    command: Command | None
    created: bool


def history_text(text: str) -> str:
    """The text as the command history can keep it: without NULs, and only its start if it is too long."""
    text = text.replace("\x00", NUL_STAND_IN)
    if len(text) <= COMMAND_TEXT_COLUMN:
        return text
    return text[: COMMAND_TEXT_COLUMN - 1] + "…"


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
    """Homes, queue, readings, devices and cooling of the server, over one database."""

    def __init__(self, config: dict) -> None:
        self.db = Database(config["DATABASE_URL"])
        if config.get("MIGRATE_ON_START", True):
            upgrade_schema(self.db)
        self.hub = EventHub()
        # Several processes sharing a PostgreSQL database join their hubs (see `start_bridge`).
        self.bridge = start_bridge(self.db, self.hub)
        self._closers: list = []
        self.homes = Homes(self.db)
        self.queue = CommandQueue(self.db, self.hub, config["LEASE_SECONDS"], config["COMMAND_TTL_SECONDS"])
        self.readings = ReadingStore(self.db, self.hub, config["READING_STALE_SECONDS"], config["READING_RETENTION_DAYS"])
        self.devices = DeviceStore(self.db, self.hub)
        self.cooling = CoolingAutomation(
            self.db, self.hub, self.queue, self.devices, self.readings, config["COOLING_PAUSE_SECONDS"]
        )
        self.legacy_slot = LegacySlot(
            self.db, self.hub, self.readings, self.devices, self.cooling, self.submit_text, self.add_readings
        )

    def submit_text(
        self, home_id: int, text: str, source: str, idempotency_key: str | None = None, keep_rejected: bool = False
    ) -> Submission:
        """Parse a sentence against the home's house and queue it if it was understood.

        `keep_rejected` records a sentence that was not understood as a `rejected` command, for
        clients that cannot show a refusal (the original app): the history then shows it.
        """
        parsed = parse(text, self.devices.house(home_id))
        kept = history_text(text)
        if not parsed.ok and keep_rejected:
            record = NewCommand(kept, source, None, (), status=STATUS_REJECTED, result=f"not understood: {parsed.error}")
            command, _ = self.queue.submit(home_id, record)
            return Submission(parsed, command, True)
        if not parsed.ok:
            return Submission(parsed, None, False)
        command, created = self._queue(home_id, NewCommand(kept, source, parsed.intent, parsed.actions, idempotency_key))
        return Submission(parsed, command, created)

    def submit_actions(self, home_id: int, actions: list[Action], source: str,
                       idempotency_key: str | None = None) -> tuple[Command, bool]:
        """Queue device switches given as such (no sentence to parse); each must be a device of the
        home's house (UnknownDeviceError otherwise). Returns the command and whether it is new."""
        house = self.devices.house(home_id)
        for action in actions:
            house.device(action.room, action.device)
        return self._queue(home_id, NewCommand.switching(actions, source, idempotency_key))

    def _queue(self, home_id: int, new: NewCommand) -> tuple[Command, bool]:
        command, created = self.queue.submit(home_id, new)
        if created and new.source != SOURCE_AUTOMATION:
            # A person's own switch of the cooled device holds the rule off for a while.
            self.cooling.note_user_command(home_id, new.intent, new.actions)
        return command, created

    def add_readings(self, home_id: int, readings: list[tuple[float, float, datetime]]) -> list[Reading]:
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


def init_app(app: Flask) -> Relay:
    """Build the app's relay from its config and keep it with the app (flaskr's `init_app`)."""
    relay = Relay(app.config)
    app.extensions[EXTENSION] = relay
    return relay


def current_relay() -> Relay:
    """The relay of the app in context: the one way requests, hooks and tools reach the services."""
    return current_app.extensions[EXTENSION]
