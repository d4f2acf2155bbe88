"""Which commands need a person's yes before they are queued: confirm devices, "turn on everything", terminate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from homerelay.const import ACTION_OFF, ACTIONS, INTENT_ALL_OFF, INTENT_CONTROL, INTENT_TERMINATE
from homerelay.house import House
from homerelay.language import Action, ParseResult, confirmation
from homerelay.language.phrasing import sentence
from homerelay.language.vocabulary import default_vocabulary
from homerelay.server.storage.records import Command, DeviceState

TERMINATE_DETAIL = (
    "This stops the Pi agent; start it again on the Pi with `homerelay agent …` (or its systemd service)."
)

States = Mapping[tuple[str, str], str]


@dataclass(frozen=True)
class ConfirmationNeeded:
    """Why a command waits for a yes: the sentence to show, and the actions that need it."""

    detail: str
    actions: tuple[Action, ...]


def foreseen_states(
    reported: list[DeviceState], unfinished: list[Command], house: House
) -> dict[tuple[str, str], str]:
    """Every device's state once the queued commands have been carried out (what a new command changes)."""
    states = {(device.room, device.device): device.state for device in reported}
    for command in unfinished:
        if command.intent in (INTENT_ALL_OFF, INTENT_TERMINATE):
            states.update({(spec.room, spec.name): ACTION_OFF for spec in house.devices})
        for action in command.actions:
            if action.action in ACTIONS:
                states[(action.room, action.device)] = action.action
    return states


def confirmation_needed(parsed: ParseResult, house: House, states: States) -> ConfirmationNeeded | None:
    """What a parsed command needs a yes for, or None when it may be queued as it is."""
    if parsed.intent == INTENT_TERMINATE:
        return ConfirmationNeeded(TERMINATE_DETAIL, ())
    if parsed.intent not in (INTENT_CONTROL, INTENT_ALL_OFF):
        return None
    changing = tuple(
        action for action in parsed.actions
        if action.action in ACTIONS and states.get((action.room, action.device)) != action.action
    )
    if _turns_on_everything(parsed, house) and len(changing) > 1:
        return ConfirmationNeeded(
            f"This will {sentence(changing, default_vocabulary(), house)}.", changing
        )
    needed = confirmation(parsed.actions, house, states)
    if needed is None:
        return None
    return ConfirmationNeeded(needed.message, tuple(needed.actions))


def _turns_on_everything(parsed: ParseResult, house: House) -> bool:
    """A sweeping "turn on everything": every device of the house, on."""
    wanted = {(action.room, action.device) for action in parsed.actions if action.action == "on"}
    return len(house.devices) > 1 and wanted == {(spec.room, spec.name) for spec in house.devices}
