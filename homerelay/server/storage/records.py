"""What the services hand out: small frozen records, built from database rows (ORM or Core alike)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from homerelay.language import Action


@dataclass(frozen=True)
class Command:
    """A stored command: what it asks for and how far it got."""

    id: int
    text: str
    source: str
    intent: str | None
    actions: tuple[Action, ...]
    status: str
    result: str | None
    created_at: datetime
    delivered_at: datetime | None
    done_at: datetime | None
    # The original endpoints answer a `terminate` once (see `CommandQueue.mark_legacy_served`).
    legacy_served: bool = False

    @classmethod
    def from_row(cls, row) -> Command:
        """The record of a `commands` row."""
        return cls(
            row.id, row.text, row.source, row.intent, actions_from_json(row.actions), row.status, row.result,
            row.created_at, row.delivered_at, row.done_at, bool(row.legacy_served),
        )


@dataclass(frozen=True)
class Reading:
    """One temperature and humidity reading, and when it was taken."""

    temperature: float
    humidity: float
    at: datetime


@dataclass(frozen=True)
class DeviceState:
    """One device's state as the agent last reported it."""

    room: str
    device: str
    kind: str
    state: str


@dataclass(frozen=True)
class DeviceStates:
    """Every device's state of a home, and when the agent reported them (None before any report)."""

    devices: tuple[DeviceState, ...]
    updated_at: datetime | None

    def state_of(self, room: str, device: str) -> str | None:
        """The reported state of one device, or None when the report does not name it."""
        for state in self.devices:
            if state.room == room and state.device == device:
                return state.state
        return None


@dataclass(frozen=True)
class CoolingRule:
    """A home's cooling rule as set, whether it now holds its device on, its device's reported state,
    and until when (and why) a person paused it."""

    enabled: bool
    threshold: float
    hysteresis: float
    room: str
    device: str
    pause_minutes: int
    active: bool
    device_state: str | None
    paused_until: datetime | None
    paused_because: str | None


def actions_from_json(actions) -> tuple[Action, ...]:
    """The actions of a command's JSON column (`[{"room", "device", "action"}]`)."""
    return tuple(Action(a["room"], a["device"], a["action"]) for a in actions or ())


def actions_to_json(actions) -> list[dict]:
    """The JSON column's form of a command's actions."""
    return [action.to_dict() for action in actions]
