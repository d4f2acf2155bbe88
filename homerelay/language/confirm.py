"""Which actions need a yes first (devices with `confirm: true`), and the question to ask."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from homerelay import const
from homerelay.house import House
from homerelay.language.phrasing import sentence
from homerelay.language.result import Action
from homerelay.language.vocabulary import default_vocabulary


@dataclass(frozen=True)
class Confirmation:
    """Actions that switch confirm devices, and the sentence that asks: "This will open…"."""

    actions: tuple[Action, ...]
    message: str


def confirmation(actions: Iterable[Action], house: House,
                 states: Mapping[tuple[str, str], str] | None = None) -> Confirmation | None:
    """The confirmation a command needs before it may run, or None when it needs none.

    `states` maps (room, device) to its current "on"/"off": an action that leaves a device as
    it is ("close the door" with the door closed) needs no yes. Questions never do.
    """
    states = states or {}
    needed = tuple(
        action for action in actions
        if action.action in const.ACTIONS
        and (spec := house.find(action.room, action.device)) is not None and spec.confirm
        and states.get((action.room, action.device)) != action.action
    )
    if not needed:
        return None
    return Confirmation(needed, f"This will {sentence(needed, default_vocabulary(), house)}.")
