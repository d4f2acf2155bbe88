"""JSON shapes of the services' records, exactly as the API contract names them (used at the web edge,
and for events, which carry the same objects as the matching GET)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone

from homerelay.server.storage.records import (
    Command,
    CoolingRule,
    DeviceState,
    DeviceStates,
    Reading,
    actions_to_json,
)


def to_iso(moment: datetime | None) -> str | None:
    """ISO-8601 in UTC with milliseconds and a `Z`, or None."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def command_to_dict(command: Command) -> dict:
    """A command as the API returns it."""
    return {
        "id": command.id,
        "text": command.text,
        "source": command.source,
        "intent": command.intent,
        "actions": actions_to_json(command.actions),
        "status": command.status,
        "result": command.result,
        "created_at": to_iso(command.created_at),
        "delivered_at": to_iso(command.delivered_at),
        "done_at": to_iso(command.done_at),
    }


def cooling_rule_to_dict(rule: CoolingRule) -> dict:
    """The cooling rule as the API returns it."""
    return {**asdict(rule), "paused_until": to_iso(rule.paused_until)}


def reading_to_dict(reading: Reading) -> dict:
    """A reading as the API returns it."""
    return {"temperature": reading.temperature, "humidity": reading.humidity, "at": to_iso(reading.at)}


def device_to_dict(state: DeviceState) -> dict:
    """A device state as the API returns it."""
    return {"room": state.room, "device": state.device, "kind": state.kind, "state": state.state}


def device_states_to_dict(states: DeviceStates) -> dict:
    """`{"devices": [...], "updated_at"}` as the API returns it."""
    return {"devices": [device_to_dict(state) for state in states.devices], "updated_at": to_iso(states.updated_at)}


def presence_to_dict(presence) -> dict:
    """The agent's presence as `GET /api/v1/agent` and the `agent` event give it."""
    return {
        "online": presence.online,
        "since": to_iso(presence.since),
        "last_seen": to_iso(presence.last_seen),
        "simulated": presence.simulated,
        "version": presence.version,
        "instances": presence.instances,
    }
