"""Human wording for the language's answers: lists of rooms, suggested sentences."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from homerelay.house import House, label, spoken
from homerelay.language.result import Action
from homerelay.language.vocabulary import Vocabulary


def and_list(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def the_rooms(rooms: Iterable[str]) -> str:
    """"the living room and the bedroom"."""
    return and_list([f"the {spoken(room)}" for room in rooms])


def quote(text: str, limit: int = 40) -> str:
    """Text in quotes, shortened when long."""
    text = " ".join(text.split())
    return f'"{text if len(text) <= limit else text[:limit - 1] + "…"}"'


def sentence(actions: Sequence[Action], vocabulary: Vocabulary, house: House | None = None) -> str:
    """A command that says these actions: "turn on the kitchen light and open the garage door".

    The verb comes from the device's name ("door"), else from its kind in `house` (a servo
    "gate" opens too), else "turn on"/"turn off".
    """
    parts: list[str] = []
    previous_verb = None
    for action in actions:
        spec = house.find(action.room, action.device) if house is not None else None
        verbs = vocabulary.device_verbs.get(action.device) or (
            vocabulary.kind_verbs.get(spec.kind, {}) if spec is not None else {})
        verb = verbs.get(action.action, f"turn {action.action}")
        target = f"the {label(action.room, action.device)}"
        parts.append(target if verb == previous_verb else f"{verb} {target}")
        previous_verb = verb
    return and_list(parts) if len(parts) < 3 else " and ".join(parts)
