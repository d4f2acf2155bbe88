"""409 until confirmed for confirm devices, "turn on everything" and terminate; questions answered, never queued."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from homerelay.server.services.confirmations import TERMINATE_DETAIL

ALL_OFF = [
    {"room": room, "device": device, "kind": kind, "state": "off"}
    for room, device, kind in [
        ("living_room", "light", "led"), ("living_room", "fan", "relay"), ("living_room", "tv", "relay"),
        ("kitchen", "light", "led"), ("kitchen", "oven", "led"), ("bedroom", "light", "led"),
        ("bedroom", "fan", "relay"), ("bathroom", "light", "led"), ("garage", "light", "led"),
        ("garage", "door", "servo"),
    ]
]


def post(client, headers, body, query=""):
    return client.post(f"/api/v1/commands{query}", json=body, headers=headers)


def queued(client, app_headers) -> list[dict]:
    return client.get("/api/v1/commands", headers=app_headers).get_json()["commands"]


@pytest.mark.parametrize("text,detail,actions", [
    ("open the garage door", "This will open the garage door.", [{"room": "garage", "device": "door", "action": "on"}]),
    ("turn on the oven", "This will turn on the kitchen oven.", [{"room": "kitchen", "device": "oven", "action": "on"}]),
    ("turn on the kitchen light and open the door", "This will open the garage door.",
     [{"room": "garage", "device": "door", "action": "on"}]),
    ("terminate", TERMINATE_DETAIL, []),
])
def test_needs_a_yes_and_queues_nothing(client, app_headers, text, detail, actions):
    response = post(client, app_headers, {"text": text})
    assert response.status_code == 409
    assert response.get_json() == {"error": "confirmation_required", "detail": detail, "actions": actions}
    assert queued(client, app_headers) == []


def test_turn_on_everything_names_what_would_change(client, app_headers, agent_headers):
    client.put("/api/v1/devices", json={"devices": [{**d, "state": "on"} if d["device"] == "light" else d for d in ALL_OFF]},
               headers=agent_headers)
    body = post(client, app_headers, {"text": "turn on everything"}).get_json()
    assert body["error"] == "confirmation_required"
    # The lights are on already: only what would change is named.
    changing = {(a["room"], a["device"]) for a in body["actions"]}
    assert changing == {("living_room", "fan"), ("living_room", "tv"), ("kitchen", "oven"), ("bedroom", "fan"), ("garage", "door")}
    assert body["detail"].startswith("This will turn on the living room fan") and body["detail"].endswith("open the garage door.")


@pytest.mark.parametrize("text", ["open the garage door", "turn on everything", "terminate"])
@pytest.mark.parametrize("how", ["body", "query"])
def test_confirmed_is_queued(client, app_headers, text, how):
    body = {"text": text, "confirm": True} if how == "body" else {"text": text}
    response = post(client, app_headers, body, "?confirm=true" if how == "query" else "")
    assert response.status_code == 201
    assert response.get_json()["text"] == text and response.get_json()["source"] == "app"


def test_a_change_that_changes_nothing_needs_no_yes(client, app_headers, agent_headers):
    client.put("/api/v1/devices", json={"devices": ALL_OFF}, headers=agent_headers)
    assert post(client, app_headers, {"text": "close the garage door"}).status_code == 201
    assert post(client, app_headers, {"text": "turn on the kitchen light"}).status_code == 201


def test_a_queued_opening_counts_when_asking_again(client, app_headers, agent_headers):
    client.put("/api/v1/devices", json={"devices": ALL_OFF}, headers=agent_headers)
    assert post(client, app_headers, {"text": "open the garage door", "confirm": True}).status_code == 201
    # Once the queued command has run the door is open: closing it is a change again.
    assert post(client, app_headers, {"text": "close the garage door"}).status_code == 409


def test_the_original_endpoints_ask_nothing(client, app_headers):
    assert client.post("/set_command", data="open the door", headers=app_headers).get_json() == ["open the door"]
    assert queued(client, app_headers)[0]["text"] == "open the door"


@pytest.mark.parametrize("text,answer", [
    ("how warm is it", "It is 24.0 °C and 55 % humidity."),
    ("what is the humidity", "The humidity is 55 % and it is 24.0 °C."),
    ("is the kitchen light on", "The kitchen light is on."),
    ("is the garage door open", "The garage door is closed."),
    ("are any lights on", "The kitchen light is on."),
])
def test_questions_are_answered_from_the_reading_and_the_devices(client, app_headers, agent_headers, text, answer):
    client.post("/api/v1/readings", json={"temperature": 24, "humidity": 55}, headers=agent_headers)
    client.put("/api/v1/devices", json={"devices": [{**d, "state": "on"} if (d["room"], d["device"]) == ("kitchen", "light")
                                                    else d for d in ALL_OFF]}, headers=agent_headers)
    response = post(client, app_headers, {"text": text})
    assert response.status_code == 200
    body = response.get_json()
    assert body["intent"] == "status" and body["text"] == text and body["answer"] == answer
    assert body["actions"] and all(action["action"] == "status" for action in body["actions"])
    assert queued(client, app_headers) == []
    assert client.get("/api/v1/agent/next?wait=0", headers=agent_headers).status_code == 204


@pytest.mark.parametrize("text,answer", [
    ("how warm is it", "There is no reading yet: the Pi has not sent a temperature and humidity."),
    ("is the tv on", "The Pi has not reported its devices yet, so I do not know."),
])
def test_a_question_before_anything_is_known_says_so(client, app_headers, text, answer):
    assert post(client, app_headers, {"text": text}).get_json()["answer"] == answer


def test_a_stale_reading_is_answered_as_old(client, app_headers, agent_headers):
    # Stale, yet within the days of history kept (older readings are refused).
    two_days_ago = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()
    client.post("/api/v1/readings", json={"temperature": 21.5, "humidity": 40, "at": two_days_ago},
                headers=agent_headers)
    answer = post(client, app_headers, {"text": "how warm is it"}).get_json()["answer"]
    assert answer.startswith("The sensor has not reported for ") and answer.endswith("was 21.5 °C and 40 % humidity.")


def test_the_openapi_document_has_the_409_and_the_answer(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/commands"]["post"]
    assert {"200", "201", "409", "422"} <= set(operation["responses"])
