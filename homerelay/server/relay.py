"""The relay's services wired together: what every API surface calls."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from homerelay.const import INTENT_STATUS, SOURCE_AUTOMATION
from homerelay.language import ParseResult, parse
from homerelay.server.services.cooling import CoolingAutomation
from homerelay.server.storage.db import Database, libpq_url
from homerelay.server.services.devices import DeviceStore
from homerelay.server.fanout.hub import EventHub
from homerelay.server.fanout.postgres import PgEventBridge
from homerelay.server.services.commands import CommandLimits, CommandQueue, NewCommand
from homerelay.server.services.confirmations import ConfirmationNeeded, confirmation_needed, foreseen_states
from homerelay.server.services.presence import AgentPresence
from homerelay.server.services.questions import answer
from homerelay.server.services.quotas import ReadingAllowance
from homerelay.server.services.readings import ReadingStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """The outcome of submitting a sentence: the parse, and the command if one was queued."""

    parsed: ParseResult
    command: dict | None
    created: bool
    # Not queued: it waits for a person's yes (see `services.confirmations`).
    confirmation: ConfirmationNeeded | None = None
    # Not queued: a question, answered from the readings and the device states.
    answer: str | None = None


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
        self.presence = AgentPresence(
            self.db, self.hub, config["PRESENCE_GRACE_SECONDS"], config["PRESENCE_SWEEP_SECONDS"]
        )
        self.cooling = CoolingAutomation(
            self.db, self.hub, self.queue, self.devices, self.readings, config["COOLING_PAUSE_SECONDS"]
        )

    def submit_text(
        self, home_id: int, text: str, source: str, idempotency_key: str | None = None,
        confirmed: bool = True, answer_questions: bool = False,
    ) -> Submission:
        """Parse a sentence against the home's house and queue it if it was understood.

        Unless `confirmed`, a command that needs a person's yes is not queued (`confirmation`
        says why); with `answer_questions`, a question is answered and not queued. The original
        endpoints use neither: they queue what they are sent, as the original server did.
        """
        house = self.devices.house(home_id)
        parsed = parse(text, house)
        if not parsed.ok:
            return Submission(parsed, None, False)
        if answer_questions and parsed.intent == INTENT_STATUS:
            reply = answer(parsed, self.readings.latest(home_id), self.devices.states(home_id)["devices"], house)
            return Submission(parsed, None, False, answer=reply)
        if not confirmed:
            needed = confirmation_needed(parsed, house, self.foreseen_states(home_id))
            if needed is not None:
                return Submission(parsed, None, False, confirmation=needed)
        actions = [action.to_dict() for action in parsed.actions]
        command, created = self.queue.submit(
            home_id, NewCommand(text, source, parsed.intent, actions, idempotency_key)
        )
        if created and source != SOURCE_AUTOMATION:
            self.cooling.note_user_command(home_id, parsed.intent, actions)
        return Submission(parsed, command, created)

    def foreseen_states(self, home_id: int) -> dict[tuple[str, str], str]:
        """Every device's state as reported, changed by the commands still queued."""
        reported = self.devices.states(home_id)
        done_after = datetime.fromisoformat(reported["updated_at"]) if reported["updated_at"] else None
        unfinished = self.queue.unfinished(home_id, done_after=done_after)
        return foreseen_states(reported["devices"], unfinished, self.devices.house(home_id))

    def report_devices(self, home_id: int, devices: list[dict]) -> dict:
        """Store the agent's device states; if the cooling rule's device changed, tell the rule's listeners too."""
        before = self.cooling.device_state(home_id)
        snapshot = self.devices.replace_states(home_id, devices)
        if self.cooling.device_state(home_id) != before:
            self.cooling.announce(home_id)
        return snapshot

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
        self.presence.close()
        if self.bridge is not None:
            self.bridge.stop()
        for closer in self._closers:
            closer()
        self.db.dispose()
