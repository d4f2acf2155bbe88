"""Input that once made the server fail is a clear JSON 400, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest

from .test_hostile_input import assert_refusal_is_json

DEEP = "[" * 1000 + "]" * 1000
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
TV_ON = {"room": "living_room", "device": "tv", "kind": "relay", "state": "on"}

# (method, path, role, body as sent, Content-Type)
REFUSED = [
    *[(method, path, role, DEEP, "application/json") for method, path, role in (
        ("POST", "/api/v1/commands", "app"), ("POST", "/api/v1/readings", "agent"),
        ("PUT", "/api/v1/devices", "agent"), ("PUT", "/api/v1/house", "agent"),
        ("PUT", "/api/v1/automations/cooling", "app"), ("POST", "/set_data", "agent"),
        ("POST", "/set_devices", "agent"), ("POST", "/set_inf", "app"))],
    ("POST", "/set_data", "agent", json.dumps(json.dumps({"temperature": DEEP, "humidity": 1})[:-1] + '"'), "application/json"),
    ("POST", "/api/v1/readings", "agent", json.dumps({"temperature": 20, "humidity": 40, "at": "0001-01-01T00:00:00+23:59"}), "application/json"),
    ("GET", "/api/v1/readings?since=9999-12-31T23:59:59-23:59", "app", None, None),
    ("POST", "/set_data", "agent", '{"temperature": ' + "9" * 401 + ', "humidity": 3}', "application/json"),
    ("POST", "/set_devices", "agent", '{"devices": "| \\ud800 | "}', "application/json"),
    ("POST", "/set_data", "agent", '{"temperature": true, "humidity": false}', "application/json"),
    ("POST", "/set_data", "agent", json.dumps(json.dumps({"temperature": "٢٥", "humidity": "40"})), "application/json"),
    ("POST", "/set_data", "agent", '{"temperature": "2_5", "humidity": 40}', "application/json"),
    ("POST", "/api/v1/commands", "app", json.dumps({"text": "turn on the tv\u0000"}), "application/json"),
    ("POST", "/api/v1/commands", "app", json.dumps({"text": "turn on the \u202etv"}), "application/json"),
    ("POST", "/api/v1/commands", "app", json.dumps({"text": "turn on the tv\u2066"}), "application/json"),
    ("PUT", "/api/v1/devices", "agent", json.dumps({"devices": [{**TV_ON, "room": "living_room\u0000"}]}), "application/json"),
    ("PUT", "/api/v1/devices", "agent", json.dumps({"devices": [{**TV_ON, "room": "attic"}]}), "application/json"),
    ("PUT", "/api/v1/house", "agent", json.dumps({"rooms": ["hall\u0000"], "devices": []}), "application/json"),
    ("PUT", "/api/v1/automations/cooling", "app", json.dumps({"enabled": True, "threshold": 25, "room": "x\u0000"}), "application/json"),
    ("POST", "/set_devices", "agent", json.dumps({"devices": "| kitchen light\u0000 | "}), "application/json"),
]


@BOTH
@pytest.mark.parametrize("method, path, role, body, content_type", REFUSED,
                         ids=[f"{m} {p} {i}" for i, (m, p, *_rest) in enumerate(REFUSED)])
def test_input_that_broke_the_server_is_a_json_400(make_home, method, path, role, body, content_type):
    home = make_home()
    headers = home.app_headers if role == "app" else home.agent_headers
    answer = home.client.open(path, method=method, data=body, content_type=content_type, headers=headers)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert_refusal_is_json(answer)
    # Nothing was stored on the way.
    assert home.client.get("/api/v1/readings/latest", headers=home.app_headers).get_json()["at"] is None
    assert home.client.get("/api/v1/commands", headers=home.app_headers).get_json()["commands"] == []


@BOTH
def test_an_ack_with_a_nul_is_refused_and_the_command_can_still_be_acknowledged(make_home):
    home = make_home()
    posted = home.client.post("/api/v1/commands", json={"text": "turn on the tv"}, headers=home.app_headers).get_json()
    home.client.get("/api/v1/agent/next", headers=home.agent_headers)
    ack = f"/api/v1/commands/{posted['id']}/ack"
    refused = home.client.post(ack, json={"status": "done", "result": "ok\u0000"}, headers=home.agent_headers)
    assert refused.status_code == 400
    assert home.client.post(ack, json={"status": "done", "result": "ok"}, headers=home.agent_headers).get_json()["status"] == "done"


@BOTH
@pytest.mark.parametrize("text", ["2_5", "٢٥", "２５"])
def test_a_threshold_in_other_digits_is_no_number_as_for_the_original(make_home, text):
    # The original answered such a text 200 with its echo and took it as no threshold (`null`),
    # though `float()` would read 25 in each: nothing here may drive the cooling rule at 25 °C.
    home = make_home()
    answer = home.client.post("/set_threshold", data=text.encode(), content_type="text/plain", headers=home.app_headers)
    assert answer.status_code == 200 and answer.get_json() == text
    assert home.client.get("/get_threshold", headers=home.app_headers).get_data() == b"null"
    rule = home.client.get("/api/v1/automations/cooling", headers=home.app_headers).get_json()
    assert rule["enabled"] is False


def test_the_original_app_gets_its_plain_answer_for_a_command_that_cannot_be_queued(make_home):
    home = make_home()
    for text in ("turn on the tv\u0000", "turn on the \u202etv"):
        answer = home.client.post("/set_command", data=text.encode(), headers=home.app_headers)
        assert answer.status_code == 200
        assert answer.get_json() == [text]
    assert home.client.get("/api/v1/commands", headers=home.app_headers).get_json()["commands"] == []
