"""The relay: every service over one database, and `current_relay()`, the one way the web reaches them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app

from homerelay.const import INTENT_STATUS, SOURCE_AUTOMATION, STATUS_REJECTED
from homerelay.house import House
from homerelay.language import Action, ParseResult, confirmation, parse
from homerelay.server.fanout.hub import EventHub
from homerelay.server.fanout.postgres import PgEventBridge
from homerelay.server.services.commands import CommandLimits, CommandQueue, NewCommand
from homerelay.server.services.confirmations import ConfirmationNeeded, confirmation_needed, foreseen_states
from homerelay.server.services.cooling import CoolingAutomation
from homerelay.server.services.devices import DeviceStore
from homerelay.server.services.health import StorageHealth
from homerelay.server.services.homes import Homes
from homerelay.server.services.legacy_slot import LegacySlot
from homerelay.server.services.presence import AgentPresence
from homerelay.server.services.questions import answer
from homerelay.server.services.quotas import ReadingAllowance
from homerelay.server.services.readings import ReadingStore
from homerelay.server.storage.db import Database, libpq_url
from homerelay.server.storage.migrate import upgrade_schema
from homerelay.server.storage.models import COMMAND_TEXT_COLUMN, NUL_STAND_IN
from homerelay.server.storage.records import Command, DeviceState, DeviceStates, Reading

logger = logging.getLogger(__name__)

# Where the app keeps its relay (`app.extensions[...]`).
EXTENSION = "homerelay"


@dataclass(frozen=True)
class Submission:
    """The outcome of submitting a sentence: the parse, and the command if one was queued or kept."""

    parsed: ParseResult
    command: Command | None
    created: bool
    # Not queued: it waits for a person's yes (see `services.confirmations`).
    confirmation: ConfirmationNeeded | None = None
    # Not queued: a question, answered from the readings and the device states.
    answer: str | None = None


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
        # Set by `close`: open event streams end instead of reaching for a closed database.
        self.closed = False
        self.homes = Homes(self.db)
        self.health = StorageHealth(self.db)
        self.queue = CommandQueue(
            self.db, self.hub, config["LEASE_SECONDS"], config["COMMAND_TTL_SECONDS"],
            CommandLimits(config["MAX_UNFINISHED_COMMANDS"], config["COMMAND_HISTORY_DAYS"], config["COMMAND_HISTORY_MAX"]),
        )
        allowance = ReadingAllowance(config["READING_BURST"], config["READING_RATE_PER_SECOND"])
        self.readings = ReadingStore(
            self.db, self.hub, config["READING_STALE_SECONDS"], config["READING_RETENTION_DAYS"], allowance
        )
        self.devices = DeviceStore(self.db, self.hub)
        self.presence = AgentPresence(
            self.db, self.hub, config["PRESENCE_GRACE_SECONDS"], config["PRESENCE_SWEEP_SECONDS"]
        )
        self.cooling = CoolingAutomation(
            self.db, self.hub, self.queue, self.devices, self.readings, config["COOLING_PAUSE_SECONDS"]
        )
        self.legacy_slot = LegacySlot(
            self.db, self.hub, self.readings, self.devices, self.cooling, self.submit_text, self.add_readings
        )

    def submit_text(
        self, home_id: int, text: str, source: str, idempotency_key: str | None = None,
        confirmed: bool = True, answer_questions: bool = False, keep_rejected: bool = False,
        heard: tuple[str, float] | None = None,
    ) -> Submission:
        """Parse a sentence against the home's house and queue it if it was understood.

        Unless `confirmed`, a command that needs a person's yes is not queued (`confirmation`
        says why); with `answer_questions`, a question is answered and not queued. The original
        endpoints use neither: they queue what they are sent, as the original server did, and
        with `keep_rejected` a sentence that was not understood is recorded as a `rejected`
        command, since the original app cannot show a refusal: the history then shows it.
        `heard` is what a recogniser heard and its confidence, kept on a spoken command.
        """
        house = self.devices.house(home_id)
        parsed = parse(text, house)
        kept = history_text(text)
        if not parsed.ok and keep_rejected:
            record = NewCommand(kept, source, None, (), status=STATUS_REJECTED, result=f"not understood: {parsed.error}")
            command, _ = self.queue.submit(home_id, record)
            return Submission(parsed, command, True)
        if not parsed.ok:
            return Submission(parsed, None, False)
        if answer_questions and parsed.intent == INTENT_STATUS:
            latest = self.readings.latest(home_id)
            stale = latest is not None and self.readings.is_stale(latest.at)
            reply = answer(parsed, latest, stale, self.devices.states(home_id).devices, house)
            return Submission(parsed, None, False, answer=reply)
        if not confirmed:
            needed = confirmation_needed(parsed, house, self.foreseen_states(home_id, house))
            if needed is not None:
                return Submission(parsed, None, False, confirmation=needed)
        spoken = heard or (None, None)
        new = NewCommand(kept, source, parsed.intent, parsed.actions, idempotency_key, heard=spoken[0], confidence=spoken[1])
        command, created = self._queue(home_id, new)
        return Submission(parsed, command, created)

    def submit_actions(self, home_id: int, actions: list[Action], source: str,
                       idempotency_key: str | None = None) -> tuple[Command, bool]:
        """Queue device switches given as such (no sentence to parse); each must be a device of the
        home's house (UnknownDeviceError otherwise). Returns the command and whether it is new."""
        house = self.devices.house(home_id)
        for action in actions:
            house.device(action.room, action.device)
        return self._queue(home_id, NewCommand.switching(actions, source, idempotency_key))

    def confirmation_for_actions(self, home_id: int, actions: list[Action]) -> ConfirmationNeeded | None:
        """What device switches given as such need a person's yes for (a confirm device), or None."""
        house = self.devices.house(home_id)
        needed = confirmation(actions, house, self.foreseen_states(home_id, house))
        return None if needed is None else ConfirmationNeeded(needed.message, tuple(needed.actions))

    def _queue(self, home_id: int, new: NewCommand) -> tuple[Command, bool]:
        command, created = self.queue.submit(home_id, new)
        if created and new.source != SOURCE_AUTOMATION:
            # A person's own switch of the cooled device holds the rule off for a while.
            self.cooling.note_user_command(home_id, new.intent, new.actions)
        return command, created

    def foreseen_states(self, home_id: int, house: House) -> dict[tuple[str, str], str]:
        """Every device's state as reported, changed by the commands still queued."""
        reported = self.devices.states(home_id)
        unfinished = self.queue.unfinished(home_id, done_after=reported.updated_at)
        return foreseen_states(reported.devices, unfinished, house)

    def report_devices(self, home_id: int, devices: list[DeviceState]) -> DeviceStates:
        """Store the agent's device states; if the cooling rule's device changed, tell the rule's listeners too."""
        before = self.cooling.device_state(home_id)
        snapshot = self.devices.replace_states(home_id, devices)
        if self.cooling.device_state(home_id) != before:
            self.cooling.announce(home_id)
        return snapshot

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
        self.closed = True
        self.presence.close()
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
