"""The cooling rule's pause: a hand switch pauses it for `pause_minutes`; resume, saving, off and on end it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

RULE = "/api/v1/automations/cooling"
HAND_SWITCH = "you switched the living room fan by hand"


def rule(client, app_headers) -> dict:
    return client.get(RULE, headers=app_headers).get_json()


def hand_switch(client, app_headers, text="turn off the living room fan"):
    assert client.post("/api/v1/commands", json={"text": text}, headers=app_headers).status_code == 201


def automation_commands(client, app_headers) -> list[dict]:
    commands = client.get("/api/v1/commands", headers=app_headers).get_json()["commands"]
    return [c for c in commands if c["source"] == "automation"]


def hot_reading(client, agent_headers):
    client.post("/api/v1/readings", json={"temperature": 30, "humidity": 50}, headers=agent_headers)


def test_the_rule_says_its_pause_setting_and_no_pause(client, app_headers):
    body = rule(client, app_headers)
    assert body["pause_minutes"] == 15   # the server's default (HOMERELAY_COOLING_PAUSE, 900 s)
    assert body["paused_until"] is None and body["paused_because"] is None


def test_a_hand_switch_pauses_with_a_reason_for_pause_minutes(client, app_headers, agent_headers):
    client.put(RULE, json={"enabled": True, "threshold": 26, "pause_minutes": 30}, headers=app_headers)
    hand_switch(client, app_headers)
    body = rule(client, app_headers)
    assert body["paused_because"] == HAND_SWITCH
    until = datetime.fromisoformat(body["paused_until"].replace("Z", "+00:00"))
    assert timedelta(minutes=29) < until - datetime.now(timezone.utc) <= timedelta(minutes=30)
    hot_reading(client, agent_headers)
    assert automation_commands(client, app_headers) == []


def test_everything_off_pauses_too(client, app_headers):
    client.post("/api/v1/commands", json={"text": "turn off everything", "confirm": True}, headers=app_headers)
    assert rule(client, app_headers)["paused_because"] == "you turned everything off"


def test_pause_minutes_0_never_pauses(client, app_headers, agent_headers):
    client.put(RULE, json={"enabled": True, "threshold": 26, "pause_minutes": 0}, headers=app_headers)
    hand_switch(client, app_headers)
    assert rule(client, app_headers)["paused_until"] is None
    hot_reading(client, agent_headers)
    assert len(automation_commands(client, app_headers)) == 1


def test_leaving_pause_minutes_out_keeps_it(client, app_headers):
    client.put(RULE, json={"enabled": True, "threshold": 26, "pause_minutes": 5}, headers=app_headers)
    client.put(RULE, json={"enabled": True, "threshold": 27}, headers=app_headers)
    assert rule(client, app_headers)["pause_minutes"] == 5


def test_resume_ends_the_pause_and_acts_at_once(client, app_headers, agent_headers):
    hand_switch(client, app_headers)
    hot_reading(client, agent_headers)
    assert automation_commands(client, app_headers) == []
    response = client.post(f"{RULE}/resume", headers=app_headers)
    assert response.status_code == 200
    assert response.get_json()["paused_until"] is None and response.get_json()["paused_because"] is None
    assert [c["actions"][0]["action"] for c in automation_commands(client, app_headers)] == ["on"]


@pytest.mark.parametrize("save", [
    lambda client, headers: client.put(RULE, json={"enabled": True, "threshold": 26.5}, headers=headers),
    lambda client, headers: client.post("/set_threshold", data="26.5", headers=headers),
    lambda client, headers: (client.put(RULE, json={"enabled": False, "threshold": 26}, headers=headers),
                             client.put(RULE, json={"enabled": True, "threshold": 26}, headers=headers)),
], ids=["v1 save", "original set_threshold", "off and on"])
def test_saving_the_rule_ends_the_pause(client, app_headers, save):
    hand_switch(client, app_headers)
    assert rule(client, app_headers)["paused_until"] is not None
    save(client, app_headers)
    assert rule(client, app_headers)["paused_until"] is None


def test_the_automation_event_carries_the_pause(app, client, app_headers):
    subscription = app.extensions["homerelay"].hub.subscribe(1)
    try:
        hand_switch(client, app_headers)
        event = subscription.get(timeout=2)
        while event is not None and event.name != "automation":
            event = subscription.get(timeout=2)
    finally:
        subscription.close()
    assert event.data["paused_because"] == HAND_SWITCH and event.data["paused_until"] and event.data["pause_minutes"] == 15


def test_the_rule_reads_the_fan_from_the_device_store_and_announces_a_change(app, client, app_headers, agent_headers):
    fan_on = {"devices": [{"room": "living_room", "device": "fan", "kind": "relay", "state": "on"}]}
    subscription = app.extensions["homerelay"].hub.subscribe(1)
    try:
        client.put("/api/v1/devices", json=fan_on, headers=agent_headers)
        names = [subscription.get(timeout=2) for _ in range(3)]
    finally:
        subscription.close()
    automation = next(event.data for event in names if event.name == "automation")
    assert automation["device_state"] == "on" and automation["active"] is True
    assert rule(client, app_headers)["device_state"] == client.get("/api/v1/devices", headers=app_headers).get_json()["devices"][0]["state"]


@pytest.mark.parametrize("body,detail", [
    ({"enabled": True, "threshold": 200}, "The threshold must be between −40 and 85 °C."),
    ({"enabled": True, "threshold": -50}, "The threshold must be between −40 and 85 °C."),
    ({"enabled": True, "threshold": "hot"}, "The threshold must be a number."),
    ({"enabled": True}, "The threshold is missing."),
    ({"enabled": "maybe", "threshold": 25}, "'enabled' must be true or false."),
    ({"enabled": True, "threshold": 25, "hysteresis": 11}, "The hysteresis must be between 0 and 10 °C."),
    ({"enabled": True, "threshold": 25, "pause_minutes": -1}, "The pause must be between 0 and 1440 minutes."),
    ({"enabled": True, "threshold": 25, "pause_minutes": 2.5}, "The pause must be a whole number."),
    ({"enabled": True, "threshold": 25, "colour": "red"}, "'colour' is not a field of this request."),
    ({"enabled": True, "threshold": 25, "room": "kitchen", "device": "light"},
     "The cooling rule can only switch a fan or another relay-switched device; the kitchen light is an LED."),
    ({"enabled": True, "threshold": 25, "room": "garage", "device": "door"},
     "The cooling rule cannot switch the garage door: it needs a person's yes each time."),
    ({"enabled": True, "threshold": 25, "room": "garden", "device": "fan"},
     "The cooling rule's device must be in the house: there is no fan in the garden."),
])
def test_refusals_are_sentences(client, app_headers, body, detail):
    response = client.put(RULE, json=body, headers=app_headers)
    assert response.status_code == 400
    assert response.get_json()["detail"] == detail


def test_the_bedroom_fan_is_a_fine_cooling_device(client, app_headers):
    response = client.put(RULE, json={"enabled": True, "threshold": 25, "room": "bedroom", "device": "fan"}, headers=app_headers)
    assert response.status_code == 200 and response.get_json()["room"] == "bedroom"


@pytest.mark.parametrize("path,body,detail", [
    ("/api/v1/readings", {"temperature": 90, "humidity": 40}, "The temperature must be between −40 and 85 °C."),
    ("/api/v1/readings", {"temperature": 20, "humidity": 140}, "The humidity must be between 0 and 100 %."),
    ("/api/v1/commands", {"text": "x" * 201}, "The command text may have at most 200 characters."),
    ("/api/v1/commands", {"text": "open the door", "confirm": "yes"}, "'confirm' must be true or false."),
])
def test_other_refusals_are_sentences_too(client, app_headers, agent_headers, path, body, detail):
    headers = agent_headers if "readings" in path else app_headers
    assert client.post(path, json=body, headers=headers).get_json()["detail"] == detail
