"""Carrying out one command (already parsed by the server) on the house's devices."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from homerelay import const
from homerelay.errors import UnknownDeviceError
from homerelay.house import said

logger = logging.getLogger(__name__)

EVERYTHING_OFF = "everything is off"


@dataclass(frozen=True)
class Outcome:
    """What carrying out a command came to: the ack's status and result, and whether to stop."""

    status: str
    result: str
    terminate: bool = False


class Executor:
    """Turns a command's intent and actions into device switches."""

    def __init__(self, devices):
        self.devices = devices

    def carry_out(self, command: dict) -> Outcome:
        """Carry out one command; never raises for a bad command (it becomes a failed outcome)."""
        intent = command.get("intent")
        actions = command.get("actions") or []
        try:
            if intent == const.INTENT_LIST:
                return Outcome(const.STATUS_DONE, self.describe())
            if intent == const.INTENT_ALL_OFF:
                self.devices.all_off()
                return Outcome(const.STATUS_DONE, EVERYTHING_OFF)
            if intent == const.INTENT_TERMINATE:
                self.devices.all_off()
                return Outcome(const.STATUS_DONE, f"{EVERYTHING_OFF}; the agent stops", True)
            if actions:
                return Outcome(const.STATUS_DONE, self._switch(actions))
            return Outcome(const.STATUS_FAILED, "nothing to carry out")
        except (UnknownDeviceError, ValueError, KeyError, TypeError) as error:
            logger.warning("Command %s failed: %s", command.get("id"), error)
            return Outcome(const.STATUS_FAILED, str(error))

    def _switch(self, actions: list[dict]) -> str:
        # Check every action before switching anything, so a bad one leaves the house untouched.
        wanted = []
        for action in actions:
            room, name, verb = action["room"], action["device"], action["action"]
            if verb not in const.ACTIONS:
                raise ValueError(f"unknown action {verb!r}")
            wanted.append((self.devices.get(room, name), room, name, verb))
        for _, room, name, verb in wanted:
            self.devices.set(room, name, verb)
        return ", ".join(_say(device, room, name, verb) for device, room, name, verb in wanted)

    def describe(self) -> str:
        """What is on right now, e.g. ``on: living room light, garage door``."""
        names = self.devices.names_on()
        return f"on: {', '.join(names)}" if names else EVERYTHING_OFF


def _say(device, room: str, name: str, verb: str) -> str:
    return said(room, name, verb, device.spec.kind)
