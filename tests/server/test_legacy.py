"""The original endpoints, replaying the old phone app's and Pi script's exact requests."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def app_prefix(home):
    return f"/t/{home.app_token}"


@pytest.fixture
def pi_prefix(home):
    return f"/t/{home.agent_token}"


def test_set_command_answers_a_list_and_queues_like_v1(client, app_prefix, app_headers):
    response = client.post(f"{app_prefix}/set_command", data="turn on the living room light", content_type="text/plain")
    assert response.status_code == 200
    assert response.get_data() == b'["turn on the living room light"]\n'
    commands = client.get("/api/v1/commands", headers=app_headers).get_json()["commands"]
    assert commands[0]["source"] == "legacy"
    assert commands[0]["actions"] == [{"room": "living_room", "device": "light", "action": "on"}]


def test_header_token_at_the_root_works_too(client, app_headers):
    response = client.post("/set_command", data="open the door", headers=app_headers)
    assert response.get_json() == ["open the door"]


def test_get_command_returns_the_latest_text_or_null(client, app_prefix, pi_prefix):
    assert client.get(f"{pi_prefix}/get_command").get_data() == b"null\n"
    client.post(f"{app_prefix}/set_command", data="turn on the tv")
    client.post(f"{app_prefix}/set_command", data="turn off the tv")
    # Nothing is lost: both are queued, and the one slot shows the latest.
    assert client.get(f"{pi_prefix}/get_command").get_json() == "turn off the tv"


def test_terminate_is_answered_once(client, app_prefix, pi_prefix):
    client.post(f"{app_prefix}/set_command", data="terminate")
    assert client.get(f"{pi_prefix}/get_command").get_json() == "terminate"
    assert client.get(f"{pi_prefix}/get_command").get_data() == b"null\n"


def test_pi_script_double_encoded_set_data(client, pi_prefix, app_prefix, app_headers):
    # The Pi script does requests.post(url, json=json.dumps(data)).
    data = {"temperature": 24, "humidity": 55}
    response = client.post(f"{pi_prefix}/set_data", json=json.dumps(data))
    assert response.get_data() == b"[24,55]\n"
    assert client.get(f"{app_prefix}/get_data").get_data(as_text=True) == "temperature: 24°C  humidity: 55%"
    latest = client.get("/api/v1/readings/latest", headers=app_headers).get_json()
    assert (latest["temperature"], latest["humidity"]) == (24, 55)


def test_plain_object_set_data_is_accepted(client, pi_prefix):
    assert client.post(f"{pi_prefix}/set_data", json={"temperature": 21.5, "humidity": 40}).get_json() == [21.5, 40]


@pytest.mark.parametrize("body", ['"{not json"', '"[1, 2]"', '{"temperature": 500, "humidity": 1}', '{"humidity": 1}', "nope"])
def test_bad_set_data_is_a_json_400(client, pi_prefix, body):
    response = client.post(f"{pi_prefix}/set_data", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_get_data_before_any_reading_is_null(client, app_prefix):
    assert client.get(f"{app_prefix}/get_data").get_data() == b"null\n"


def test_threshold_accepts_decimals_and_drives_cooling(client, app_prefix, pi_prefix, app_headers):
    assert client.get(f"{app_prefix}/get_threshold").get_data() == b"null\n"
    response = client.post(f"{app_prefix}/set_threshold", data="25.5")
    assert response.get_data() == b'"25.5"\n'
    assert client.get(f"{pi_prefix}/get_threshold").get_data(as_text=True) == "25.5"
    assert client.get("/api/v1/automations/cooling", headers=app_headers).get_json()["threshold"] == 25.5


@pytest.mark.parametrize("text", ["hot", "", "1e9", "nan"])
def test_bad_threshold_is_refused(client, app_prefix, text):
    response = client.post(f"{app_prefix}/set_threshold", data=text)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_devices_round_trip_and_follow_v1_state(client, app_prefix, pi_prefix, agent_headers):
    assert client.get(f"{app_prefix}/get_devices").get_data() == b"null\n"
    listing = "| living_room light | kitchen oven | "
    response = client.post(f"{pi_prefix}/set_devices", json=json.dumps({"devices": listing}))
    assert response.get_json() == {"devices": listing}
    assert client.get(f"{app_prefix}/get_devices").get_data(as_text=True) == listing
    client.put(
        "/api/v1/devices",
        json={"devices": [
            {"room": "kitchen", "device": "light", "kind": "led", "state": "on"},
            {"room": "bedroom", "device": "fan", "kind": "relay", "state": "off"},
        ]},
        headers=agent_headers,
    )
    assert client.get(f"{app_prefix}/get_devices").get_data(as_text=True) == "| kitchen light | "


def test_set_inf_echoes_information(client, pi_prefix):
    response = client.post(f"{pi_prefix}/set_inf", json=json.dumps({"information": "agent started"}))
    assert response.get_json() == "agent started"
