"""What the language makes of a sentence: actions, an intent, or why it was refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Action:
    """Switch one device of one room on or off (a door: on = open, off = close), or ask.

    A question (intent "status") has action "status"; asking for a reading names it as the
    device ("temperature", "humidity") with no room: the house has one sensor.
    """

    room: str | None
    device: str
    action: str

    def to_dict(self) -> dict[str, str | None]:
        """The JSON shape used everywhere: {"room", "device", "action"}."""
        return {"room": self.room, "device": self.device, "action": self.action}


@dataclass(frozen=True)
class ParseResult:
    """The outcome of parsing one sentence; `error` is None when it was understood."""

    text: str
    intent: str | None
    actions: tuple[Action, ...]
    error: str | None
    # Complete sentences the user may have meant, offered when the text was ambiguous.
    suggestions: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the sentence was understood."""
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """{"text", "intent", "actions", "error"} exactly as `homerelay parse --json` prints."""
        return {
            "text": self.text,
            "intent": self.intent,
            "actions": [action.to_dict() for action in self.actions],
            "error": self.error,
        }
