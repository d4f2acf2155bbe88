"""The cooling rule: decisions, hysteresis, queued automation commands, pause, stale readings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from homerelay.clock import utcnow
from homerelay.server.services.cooling import decide, foreseen_state
from homerelay.server.storage.records import Command, actions_from_json


@pytest.mark.parametrize(
    "temperature,device_on,expected",
    [
        (26.0, False, "on"),  # at the threshold: too hot
        (30.0, False, "on"),
        (30.0, True, None),  # already on
        (25.7, True, None),  # inside the hysteresis band: stay on
        (25.7, False, None),  # inside the band: stay off
        (25.5, True, None),  # exactly threshold - hysteresis is not yet cool enough
        (25.4, True, "off"),
        (20.0, False, None),  # already off
    ],
)
def test_decide(temperature, device_on, expected):
    assert decide(temperature, threshold=26.0, hysteresis=0.5, device_is_on=device_on) == expected


def queued_commands(*commands: dict) -> list[Command]:
    """Pending command records from their JSON shape's intent and actions."""
    return [Command(n, "", "app", c["intent"], actions_from_json(c["actions"]), "pending", None, utcnow(), None, None)
            for n, c in enumerate(commands, 1)]


def test_foreseen_state_applies_queued_commands_in_order():
    queued = queued_commands(
        {"intent": "control", "actions": [{"room": "living_room", "device": "fan", "action": "on"}]},
        {"intent": "control", "actions": [{"room": "kitchen", "device": "light", "action": "on"}]},
    )
    assert foreseen_state("off", queued, "living_room", "fan") == "on"
    assert foreseen_state("on", queued + queued_commands({"intent": "all_off", "actions": []}), "living_room", "fan") == "off"
    assert foreseen_state(None, [], "living_room", "fan") == "off"


def reading(client, headers, temperature, at=None):
    body = {"temperature": temperature, "humidity": 50}
    if at is not None:
        body["at"] = at.isoformat()
    assert client.post("/api/v1/readings", json=body, headers=headers).status_code == 201


def automation_commands(client, headers):
    commands = client.get("/api/v1/commands", headers=headers).get_json()["commands"]
    return [c for c in commands if c["source"] == "automation"]


def report_fan(client, headers, state):
    client.put(
        "/api/v1/devices",
        json={"devices": [{"room": "living_room", "device": "fan", "kind": "relay", "state": state}]},
        headers=headers,
    )


def test_hot_reading_queues_the_fan_once(client, app_headers, agent_headers):
    reading(client, agent_headers, 27)
    reading(client, agent_headers, 27.5)
    queued = automation_commands(client, app_headers)
    assert len(queued) == 1
    assert queued[0]["actions"] == [{"room": "living_room", "device": "fan", "action": "on"}]
    assert queued[0]["intent"] == "control"


def test_fan_goes_off_only_below_the_hysteresis_band(client, app_headers, agent_headers):
    report_fan(client, agent_headers, "on")
    reading(client, agent_headers, 25.8)
    assert automation_commands(client, app_headers) == []
    reading(client, agent_headers, 25.0)
    queued = automation_commands(client, app_headers)
    assert [c["actions"][0]["action"] for c in queued] == ["off"]


def test_disabled_rule_does_nothing(client, app_headers, agent_headers):
    client.put("/api/v1/automations/cooling", json={"enabled": False, "threshold": 26}, headers=app_headers)
    reading(client, agent_headers, 35)
    assert automation_commands(client, app_headers) == []


def test_changing_the_rule_applies_to_the_latest_reading(client, app_headers, agent_headers):
    reading(client, agent_headers, 24)
    assert automation_commands(client, app_headers) == []
    rule = client.put(
        "/api/v1/automations/cooling",
        json={"enabled": True, "threshold": 23.5, "hysteresis": 1, "room": "bedroom", "device": "fan"},
        headers=app_headers,
    ).get_json()
    assert rule["threshold"] == 23.5 and rule["room"] == "bedroom" and rule["hysteresis"] == 1
    queued = automation_commands(client, app_headers)
    assert queued[0]["actions"] == [{"room": "bedroom", "device": "fan", "action": "on"}]
    assert client.get("/api/v1/automations/cooling", headers=app_headers).get_json()["threshold"] == 23.5


def test_stale_reading_never_drives_the_fan(client, app_headers, agent_headers):
    old = datetime.now(timezone.utc) - timedelta(minutes=10)
    reading(client, agent_headers, 40, at=old)
    assert automation_commands(client, app_headers) == []


def test_a_users_own_command_pauses_the_rule(client, app_headers, agent_headers):
    assert client.post("/api/v1/commands", json={"text": "turn off the living room fan"}, headers=app_headers).status_code == 201
    rule = client.get("/api/v1/automations/cooling", headers=app_headers).get_json()
    assert rule["paused_until"] is not None
    reading(client, agent_headers, 30)
    assert automation_commands(client, app_headers) == []


def test_a_command_for_another_device_does_not_pause(client, app_headers, agent_headers):
    client.post("/api/v1/commands", json={"text": "turn on the kitchen light"}, headers=app_headers)
    reading(client, agent_headers, 30)
    assert len(automation_commands(client, app_headers)) == 1


def test_pause_ends_after_its_time(make_home):
    home = make_home(COOLING_PAUSE_SECONDS=0)
    client, app_headers = home.client, home.app_headers
    client.post("/api/v1/commands", json={"text": "turn off the living room fan"}, headers=app_headers)
    reading(client, home.agent_headers, 30)
    assert len(automation_commands(client, app_headers)) == 1


def test_rule_reports_when_it_holds_the_fan_on(client, app_headers, agent_headers):
    assert client.get("/api/v1/automations/cooling", headers=app_headers).get_json()["active"] is False
    report_fan(client, agent_headers, "on")
    rule = client.get("/api/v1/automations/cooling", headers=app_headers).get_json()
    assert rule == {
        "enabled": True, "threshold": 26.0, "hysteresis": 0.5, "room": "living_room", "device": "fan",
        "pause_minutes": 15, "active": True, "device_state": "on", "paused_until": None, "paused_because": None,
    }
