"""The cooling automation: the fan on at or above the threshold, off below it less the hysteresis."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from homerelay.clock import utcnow
from homerelay.const import (
    ACTION_OFF,
    ACTION_ON,
    EVENT_AUTOMATION,
    INTENT_ALL_OFF,
    INTENT_TERMINATE,
    SOURCE_AUTOMATION,
)
from homerelay.house import label
from homerelay.language import Action
from homerelay.server.fanout.hub import EventHub
from homerelay.server.services.commands import CommandQueue, NewCommand
from homerelay.server.services.devices import DeviceStore
from homerelay.server.services.quotas import QuotaExceededError
from homerelay.server.services.readings import ReadingStore
from homerelay.server.storage.db import Database
from homerelay.server.storage.models import CoolingRule
from homerelay.server.storage.records import Command
from homerelay.server.storage.records import CoolingRule as CoolingRuleRecord
from homerelay.server.storage.serialize import cooling_rule_to_dict

logger = logging.getLogger(__name__)


# Every command and reading looks the rule up: the lookup is prepared once.
RULE_BY_HOME = select(
    CoolingRule.enabled, CoolingRule.threshold, CoolingRule.hysteresis,
    CoolingRule.room, CoolingRule.device, CoolingRule.paused_until,
    CoolingRule.pause_minutes, CoolingRule.paused_because,
).where(CoolingRule.home_id == bindparam("home_id"))
# Why the rule holds off after a person's own command.
BECAUSE_SWITCHED = "you switched the {device} by hand"
BECAUSE_ALL_OFF = "you turned everything off"

@dataclass(frozen=True)
class CoolingSettings:
    """What the user sets: whether the rule runs, its threshold and hysteresis, and its device."""

    enabled: bool = True
    threshold: float = 26.0
    hysteresis: float = 0.5
    room: str = "living_room"
    device: str = "fan"
    # How long a hand switch of the device pauses the rule: 0 never pauses; None: the server's setting.
    pause_minutes: int | None = None


def decide(temperature: float, threshold: float, hysteresis: float, device_is_on: bool) -> str | None:
    """The action the rule wants, or None when the device should stay as it is."""
    too_hot = temperature >= threshold
    cool_enough = temperature < threshold - hysteresis
    logger.debug(
        "cooling: %s °C, threshold %s, hysteresis %s, device on %s -> too hot %s, cool enough %s",
        temperature, threshold, hysteresis, device_is_on, too_hot, cool_enough,
    )
    if too_hot and not device_is_on:
        return ACTION_ON
    if cool_enough and device_is_on:
        return ACTION_OFF
    return None


def foreseen_state(reported: str | None, unfinished: list[Command], room: str, device: str) -> str:
    """The device's state once every queued command has been carried out."""
    state = reported or ACTION_OFF
    for command in unfinished:
        if command.intent in (INTENT_ALL_OFF, INTENT_TERMINATE):
            state = ACTION_OFF
        for action in command.actions:
            if action.room == room and action.device == device:
                state = action.action
    return state


class CoolingAutomation:
    """Keeps each home's cooling rule and queues `automation` commands when its device should switch."""

    def __init__(
        self,
        db: Database,
        hub: EventHub,
        queue: CommandQueue,
        devices: DeviceStore,
        readings: ReadingStore,
        pause_seconds: float,
    ) -> None:
        self.db = db
        self.hub = hub
        self.queue = queue
        self.devices = devices
        self.readings = readings
        self.pause = timedelta(seconds=pause_seconds)
        # Two readings arriving together must not both queue the same switch.
        self._lock = threading.Lock()

    def settings(self, home_id: int) -> tuple[CoolingSettings, datetime | None, bool]:
        """The rule's settings, its pause end, and whether it was ever saved."""
        row = self.db.read_row(RULE_BY_HOME, {"home_id": home_id})
        if row is None:
            return CoolingSettings(), None, False
        settings = CoolingSettings(row.enabled, row.threshold, row.hysteresis, row.room, row.device, row.pause_minutes)
        return settings, row.paused_until, True

    def pause_for(self, settings: CoolingSettings) -> timedelta:
        """How long a hand switch pauses this rule."""
        return self.pause if settings.pause_minutes is None else timedelta(minutes=settings.pause_minutes)

    def rule(self, home_id: int) -> CoolingRuleRecord:
        """The rule: its settings, whether it now holds its device on, and its pause.

        The device's state is read from the device store now, the same one the devices list
        shows, so the rule never says off while the devices say on.
        """
        row = self.db.read_row(RULE_BY_HOME, {"home_id": home_id})
        settings, paused_until, _ = self.settings(home_id)
        paused = paused_until is not None and paused_until > utcnow()
        state = self._reported_state(home_id, settings)[0]
        return CoolingRuleRecord(
            **{**asdict(settings), "pause_minutes": int(self.pause_for(settings).total_seconds() // 60)},
            active=settings.enabled and not paused and state == ACTION_ON,
            device_state=state,
            paused_until=paused_until if paused else None,
            paused_because=row.paused_because if paused and row is not None else None,
        )

    def update(self, home_id: int, settings: CoolingSettings) -> CoolingRuleRecord:
        """Save new settings (which ends a pause: saving is the person's latest word on cooling),
        tell listeners, and apply them to the latest reading."""
        with self.db.transaction() as session:
            row = session.get(CoolingRule, home_id)
            if row is None:
                row = CoolingRule(home_id=home_id)
                session.add(row)
            # A person who saves the rule wants it to act now, whatever they switched before.
            row.paused_until, row.paused_because = None, None
            row.enabled, row.threshold, row.hysteresis = settings.enabled, settings.threshold, settings.hysteresis
            row.room, row.device = settings.room, settings.device
            row.pause_minutes = settings.pause_minutes
            row.updated_at = utcnow()
        self.evaluate(home_id)
        return self.announce(home_id)

    def resume(self, home_id: int) -> CoolingRuleRecord:
        """End a pause now and apply the rule to the latest reading; returns the rule."""
        with self.db.transaction() as session:
            row = session.get(CoolingRule, home_id)
            if row is not None:
                row.paused_until, row.paused_because = None, None
        self.evaluate(home_id)
        return self.announce(home_id)

    def device_state(self, home_id: int) -> str | None:
        """The rule's device as last reported (to tell listeners when a report changes it)."""
        settings, _, _ = self.settings(home_id)
        return self._reported_state(home_id, settings)[0]

    def set_threshold(self, home_id: int, threshold: float | None) -> CoolingRuleRecord:
        """The original API's threshold: a number turns the rule on at it, None turns the rule off."""
        settings, _, _ = self.settings(home_id)
        if threshold is None:
            return self.update(home_id, replace(settings, enabled=False))
        return self.update(home_id, replace(settings, enabled=True, threshold=threshold))

    def announce(self, home_id: int) -> CoolingRuleRecord:
        """Send the rule to event listeners; returns it."""
        rule = self.rule(home_id)
        self.hub.publish(home_id, EVENT_AUTOMATION, cooling_rule_to_dict(rule))
        return rule

    def note_user_command(self, home_id: int, intent: str | None, actions: tuple[Action, ...]) -> None:
        """A person switched the rule's device: leave it alone for the pause time."""
        settings, _, _ = self.settings(home_id)
        everything = intent in (INTENT_ALL_OFF, INTENT_TERMINATE)
        touches = everything or any(a.room == settings.room and a.device == settings.device for a in actions)
        pause = self.pause_for(settings)
        if not touches or pause <= timedelta(0):
            return
        until = utcnow() + pause
        with self.db.transaction() as session:
            row = session.get(CoolingRule, home_id)
            if row is None:
                row = CoolingRule(home_id=home_id, **asdict(settings))
                session.add(row)
            row.paused_until = until
            row.paused_because = (
                BECAUSE_ALL_OFF if everything else BECAUSE_SWITCHED.format(device=label(settings.room, settings.device))
            )
        logger.info("cooling of home %s paused until %s by a user command", home_id, until)
        self.announce(home_id)

    def evaluate(self, home_id: int) -> Command | None:
        """Queue the command the latest fresh reading calls for; returns it, if any."""
        with self._lock:
            settings, paused_until, _ = self.settings(home_id)
            if not settings.enabled or (paused_until is not None and paused_until > utcnow()):
                return None
            reading = self.readings.latest_fresh(home_id)
            if reading is None:
                # A stale or missing sensor must never drive a device.
                return None
            reported, reported_at = self._reported_state(home_id, settings)
            # Between an ack and the agent's next device report, the report is behind the ack.
            queued = self.queue.unfinished_touching(home_id, settings.room, settings.device, done_after=reported_at)
            state = foreseen_state(reported, queued, settings.room, settings.device)
            action = decide(reading.temperature, settings.threshold, settings.hysteresis, state == ACTION_ON)
            if action is None:
                return None
            # A structured switch, as the Devices screen sends: the history shows the language's sentence.
            new = NewCommand.switching([Action(settings.room, settings.device, action)], SOURCE_AUTOMATION)
            try:
                command, _ = self.queue.submit(home_id, new)
            except QuotaExceededError:
                # The reading itself is stored; the rule tries again with the next one.
                logger.warning("cooling of home %s: the queue is full; %s not queued", home_id, new.text)
                return None
            logger.info("cooling of home %s: %s °C -> %s", home_id, reading.temperature, new.text)
        self.announce(home_id)
        return command

    def _reported_state(self, home_id: int, settings: CoolingSettings) -> tuple[str | None, datetime | None]:
        """The rule's device as the agent last reported it, and when that report came."""
        states = self.devices.states(home_id)
        reported = states.state_of(settings.room, settings.device)
        return (reported, states.updated_at) if reported is not None else (None, None)
