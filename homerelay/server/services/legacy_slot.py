"""The original server's one slot, kept over homerelay's store: what its endpoints answer, in its words.

The original kept one command, one reading, one threshold and one device list, as text. homerelay
keeps a queue, numbers and device states; this service answers from those, and keeps beside them
only what they cannot say back exactly: a command longer than the history keeps, the numbers as
the Pi printed them, the threshold as the phone typed it, and the device list as the Pi wrote it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from collections.abc import Callable

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from homerelay.const import ACTION_OFF, ACTION_ON, EVENT_COMMAND, SOURCE_LEGACY, STATUS_DONE, STATUS_PENDING, STATUS_REPLACED
from homerelay.clock import utcnow
from homerelay.server.fanout.hub import EventHub
from homerelay.server.services.cooling import CoolingAutomation
from homerelay.server.services.devices import DeviceStore
from homerelay.server.services.readings import ReadingStore
from homerelay.server.storage.db import Database
from homerelay.server.storage.models import COMMAND_TEXT_COLUMN, NUL_STAND_IN, Command, LegacyValue
from homerelay.server.storage.records import Command as CommandRecord
from homerelay.server.storage.records import DeviceState
from homerelay.server.storage.serialize import command_to_dict, to_iso

logger = logging.getLogger(__name__)

# What the original answered for an empty slot, and for a reading it never had.
NULL = "null"
NO_READING = "0.0"
# The one command the original answered only once (compared as the original did: lowercased, whole).
TERMINATE = "terminate"
READ_RESULT = "read by the original Pi script, which cannot confirm that it carried it out"
REPLACED_RESULT = "replaced by a later command before the original Pi script read it"

# Keys of `legacy_values`, each holding JSON (so any text fits, NUL included, on PostgreSQL too).
KEY_COMMAND = "command"  # {"command_id", "text"}: a command text the history could not keep whole
KEY_READING = "reading"  # {"at", "temperature", "humidity"}: the numbers as the Pi sent them
KEY_THRESHOLD = "threshold"  # {"text", "value"}: the threshold as the phone typed it
KEY_DEVICES = "device_list"  # the device list as the Pi wrote it

COMMANDS = Command.__table__
VALUES = LegacyValue.__table__
# The Pi script asks every second: its question is one prepared read.
LATEST_COMMAND = (
    select(COMMANDS.c.id, COMMANDS.c.text, COMMANDS.c.status, COMMANDS.c.legacy_served)
    .where(COMMANDS.c.home_id == bindparam("home_id"))
    .order_by(COMMANDS.c.id.desc())
    .limit(1)
)
COMMAND_FOR_UPDATE = select(COMMANDS).where(COMMANDS.c.id == bindparam("command_id")).with_for_update()
PENDING_BEFORE = (
    select(COMMANDS)
    .where(
        COMMANDS.c.home_id == bindparam("home_id"),
        COMMANDS.c.status == STATUS_PENDING,
        COMMANDS.c.id < bindparam("command_id"),
    )
    .with_for_update()
)
VALUE = select(VALUES.c.value).where(VALUES.c.home_id == bindparam("home_id"), VALUES.c.key == bindparam("key"))


class LegacySlot:
    """The original endpoints' view of a home: its one slot, read and written over the shared store."""

    def __init__(
        self,
        db: Database,
        hub: EventHub,
        readings: ReadingStore,
        devices: DeviceStore,
        cooling: CoolingAutomation,
        submit_text: Callable,
        add_readings: Callable,
    ) -> None:
        """`submit_text` and `add_readings` are the relay's own, so that the original endpoints' commands
        and readings take the same path (parse, queue, cooling) as every other."""
        self.db = db
        self.hub = hub
        self.readings = readings
        self.devices = devices
        self.cooling = cooling
        self._submit_text = submit_text
        self._add_readings = add_readings
        upsert = postgresql.insert if self.db.is_postgresql else sqlite.insert
        statement = upsert(VALUES)
        self._upsert = statement.on_conflict_do_update(
            index_elements=[VALUES.c.home_id, VALUES.c.key],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )

    # -- the command --------------------------------------------------------------------------

    def submit_command(self, home_id: int, text: str):
        """Queue the text like any command, or keep it as `rejected` if it is not understood."""
        submission = self._submit_text(home_id, text, SOURCE_LEGACY, keep_rejected=True)
        if submission.command.text != text:
            # The history keeps the start of a long text (without NULs); the slot answers it whole.
            self._store(home_id, KEY_COMMAND, {"command_id": submission.command.id, "text": text})
        return submission

    def read_command(self, home_id: int) -> str:
        """What `get_command` answers: the latest command's text as sent, or `null`.

        The original Pi script never acknowledges, so its first read of a command settles it: the
        command counts as carried out, and those a later one replaced before it read them as
        replaced. A `terminate` is answered once, then `null`, as the original did.
        """
        latest = self.db.read_row(LATEST_COMMAND, {"home_id": home_id})
        if latest is None:
            return NULL
        text = self._whole_text(home_id, latest)
        terminate = text.lower() == TERMINATE
        if latest.legacy_served:
            return NULL if terminate else text
        first_read = self._settle(home_id, latest.id)
        return NULL if terminate and not first_read else text

    def _whole_text(self, home_id: int, latest) -> str:
        if len(latest.text) < COMMAND_TEXT_COLUMN and NUL_STAND_IN not in latest.text:
            return latest.text
        kept = self._load(home_id, KEY_COMMAND)
        return kept["text"] if kept and kept["command_id"] == latest.id else latest.text

    def _settle(self, home_id: int, command_id: int) -> bool:
        """Mark the command read (done, if no homerelay agent had it) and the pending ones before
        it replaced; False if another read got there first."""
        now = utcnow()
        changed: list[CommandRecord] = []
        with self.db.writing(durable=False) as connection:
            command = connection.execute(COMMAND_FOR_UPDATE, {"command_id": command_id}).first()
            if command is None or command.legacy_served:
                return False
            replaced = connection.execute(PENDING_BEFORE, {"home_id": home_id, "command_id": command_id}).all()
            if replaced:
                connection.execute(
                    update(COMMANDS)
                    .where(COMMANDS.c.id.in_([row.id for row in replaced]))
                    .values(status=STATUS_REPLACED, result=REPLACED_RESULT, done_at=now)
                )
                changed += [
                    replace(CommandRecord.from_row(row), status=STATUS_REPLACED, result=REPLACED_RESULT, done_at=now)
                    for row in replaced
                ]
            values: dict = {"legacy_served": True}
            if command.status == STATUS_PENDING:
                values.update(status=STATUS_DONE, result=READ_RESULT, delivered_at=now, done_at=now)
                changed.append(replace(
                    CommandRecord.from_row(command), status=STATUS_DONE, result=READ_RESULT, delivered_at=now, done_at=now
                ))
            connection.execute(update(COMMANDS).where(COMMANDS.c.id == command_id).values(**values))
        for item in changed:
            self.hub.publish(home_id, EVENT_COMMAND, command_to_dict(item))
        return True

    # -- the reading --------------------------------------------------------------------------

    def add_reading(self, home_id: int, temperature: float, humidity: float, shown: tuple[str, str]) -> None:
        """Store a reading from the original Pi script, and how it printed its numbers (`24`, `24.0`)."""
        stored = self._add_readings(home_id, [(temperature, humidity, utcnow())])
        self._store(home_id, KEY_READING, {"at": to_iso(stored[-1].at), "temperature": shown[0], "humidity": shown[1]})

    def data_text(self, home_id: int) -> str:
        """What `get_data` answers: the latest reading, its numbers printed as the Pi sent them."""
        latest = self.readings.latest(home_id)
        if latest is None:
            temperature = humidity = NO_READING
        else:
            printed = self._load(home_id, KEY_READING)
            if printed and printed["at"] == to_iso(latest.at):
                temperature, humidity = printed["temperature"], printed["humidity"]
            else:
                # A homerelay agent's reading: printed as the original printed the floats it got.
                temperature, humidity = str(latest.temperature), str(latest.humidity)
        return f"temperature: {temperature}°C  humidity: {humidity}%"

    # -- the threshold ------------------------------------------------------------------------

    def set_threshold(self, home_id: int, threshold: float | None, text: str) -> None:
        """A number turns the cooling rule on at it; None (the original's `null`) turns it off."""
        self.cooling.set_threshold(home_id, threshold)
        if threshold is not None:
            self._store(home_id, KEY_THRESHOLD, {"text": text, "value": threshold})

    def threshold_text(self, home_id: int) -> str:
        """What `get_threshold` answers: the threshold as it was typed, or `null` while cooling is off."""
        settings, _, saved = self.cooling.settings(home_id)
        if not saved or not settings.enabled:
            return NULL
        typed = self._load(home_id, KEY_THRESHOLD)
        if typed and typed["value"] == settings.threshold:
            return typed["text"]
        # Set in the v1 API: as a person would have typed it.
        value = settings.threshold
        return str(int(value)) if value.is_integer() else str(value)

    # -- the device list ----------------------------------------------------------------------

    def set_devices(self, home_id: int, listing: str) -> None:
        """Take the original Pi script's list of what is on (`| kitchen light | `, or `null`) as
        every device's state: those it names on, the rest off."""
        house = self.devices.house(home_id)
        named = named_devices(listing)
        known = {(device.room, device.name) for device in house.devices}
        if named - known:
            logger.info("the original Pi script named devices the house does not have: %s", sorted(named - known))
        states = [
            DeviceState(device.room, device.name, device.kind,
                        ACTION_ON if (device.room, device.name) in named else ACTION_OFF)
            for device in house.devices
        ]
        self.devices.replace_states(home_id, states)
        self._store(home_id, KEY_DEVICES, listing)

    def devices_text(self, home_id: int) -> str:
        """What `get_devices` answers: the list as the Pi wrote it, while it still tells the truth;
        else the devices that are on, in its format; `null` when none is."""
        listing = self._load(home_id, KEY_DEVICES)
        states = self.devices.states(home_id).devices
        if not states:
            return listing if listing is not None else NULL
        on = {(d.room, d.device) for d in states if d.state == ACTION_ON}
        known = {(d.room, d.device) for d in states}
        if listing is not None and named_devices(listing) & known == on:
            return listing
        return device_listing([f"{d.room} {d.device}" for d in states if d.state == ACTION_ON])

    # -- storage ------------------------------------------------------------------------------

    def _store(self, home_id: int, key: str, value) -> None:
        # Not synced to disk before the answer: a value lost in a power cut only changes how the
        # next answer is printed (the command, reading and rule themselves are stored as ever).
        row = {"home_id": home_id, "key": key, "value": json.dumps(value), "updated_at": utcnow()}
        with self.db.writing(durable=False) as connection:
            connection.execute(self._upsert, row)

    def _load(self, home_id: int, key: str):
        row = self.db.read_row(VALUE, {"home_id": home_id, "key": key})
        return json.loads(row.value) if row is not None else None


def named_devices(listing: str) -> set[tuple[str, str]]:
    """The (room, device) pairs a device list names: `| living_room fan | ` -> {("living_room", "fan")}."""
    named = set()
    for entry in listing.split("|"):
        words = entry.split()
        if len(words) >= 2:
            named.add(("_".join(words[:-1]), words[-1]))
    return named


def device_listing(names: list[str]) -> str:
    """The original's device list: `| living_room light | kitchen oven | `, or `null` when empty."""
    if not names:
        return NULL
    return "| " + "".join(f"{name} | " for name in names)
