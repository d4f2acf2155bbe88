"""The original endpoints, replaying the old phone app's and Pi script's exact requests.

`tests/original/` proves the answers against the original's own code; these tests pin down how
they sit on the shared store: the queue, readings, device states and the cooling rule.
"""

from __future__ import annotations

import json

import pytest

from homerelay.server.services.legacy_slot import READ_RESULT, REPLACED_RESULT

TEXT_PLAIN = "text/plain; charset=utf-8"
ENDPOINTS = [
    ("POST", "/set_command", {"data": "turn on the tv"}),
    ("GET", "/get_command", {}),
    ("POST", "/set_data", {"json": json.dumps({"temperature": 21, "humidity": 40})}),
    ("GET", "/get_data", {}),
    ("POST", "/set_threshold", {"data": "27"}),
    ("GET", "/get_threshold", {}),
    ("POST", "/set_devices", {"json": json.dumps({"devices": "null"})}),
    ("GET", "/get_devices", {}),
    ("POST", "/set_inf", {"json": json.dumps({"information": "hello"})}),
]


@pytest.fixture
def phone(client, home):
    """The original phone app, its base URL carrying the app token."""
    return Original(client, f"/t/{home.app_token}")


@pytest.fixture
def pi(client, home):
    """The original Pi script, its base URL carrying the agent token."""
    return Original(client, f"/t/{home.agent_token}")


class Original:
    """Calls of the original app or script, under one `/t/<token>` base."""

    def __init__(self, client, base: str) -> None:
        self.client = client
        self.base = base

    def text(self, path: str) -> str:
        """A GET's bare-text answer (always text/plain)."""
        response = self.client.get(self.base + path)
        assert response.status_code == 200 and response.content_type == TEXT_PLAIN
        return response.get_data(as_text=True)

    def send(self, path: str, text: str):
        """POST a raw text body."""
        return self.client.post(self.base + path, data=text.encode("utf-8"))

    def upload(self, path: str, data: dict):
        """POST JSON as the Pi script does: `json=json.dumps(data)`, a JSON string of the object."""
        return self.client.post(self.base + path, json=json.dumps(data))


def history(client, app_headers) -> list[dict]:
    """The v1 command history, oldest first."""
    return list(reversed(client.get("/api/v1/commands", headers=app_headers).get_json()["commands"]))


@pytest.mark.parametrize("method,path,kwargs", ENDPOINTS, ids=[path for _, path, _ in ENDPOINTS])
@pytest.mark.parametrize("role", ["app", "agent"])
def test_either_token_works_on_every_original_endpoint(client, home, method, path, kwargs, role):
    token = home.app_token if role == "app" else home.agent_token
    assert client.open(f"/t/{token}{path}", method=method, **kwargs).status_code == 200
    assert client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs).status_code == 200


def test_set_command_answers_a_list_and_queues_like_v1(client, phone, app_headers):
    response = phone.send("/set_command", "turn on the living room light")
    assert response.status_code == 200
    assert response.get_data() == b'["turn on the living room light"]\n'
    [command] = history(client, app_headers)
    assert (command["source"], command["status"]) == ("legacy", "pending")
    assert command["actions"] == [{"room": "living_room", "device": "light", "action": "on"}]


def test_get_command_answers_the_latest_text_exactly_as_sent(phone, pi):
    assert pi.text("/get_command") == "null"
    phone.send("/set_command", "  Turn ON the TV  ")
    assert pi.text("/get_command") == "  Turn ON the TV  "
    assert pi.text("/get_command") == "  Turn ON the TV  "
    assert phone.send("/set_command", "").get_data() == b'[""]\n'
    assert pi.text("/get_command") == ""


def test_text_not_understood_is_kept_shown_as_rejected_and_never_delivered(client, phone, pi, app_headers, agent_headers):
    assert phone.send("/set_command", "make me a sandwich").get_data() == b'["make me a sandwich"]\n'
    assert pi.text("/get_command") == "make me a sandwich"
    [command] = history(client, app_headers)
    assert command["status"] == "rejected" and command["result"].startswith("not understood: ")
    assert command["intent"] is None and command["actions"] == []
    assert client.get("/api/v1/agent/next", headers=agent_headers).status_code == 204


def test_a_long_text_is_answered_whole_and_kept_short_in_the_history(client, phone, pi, app_headers):
    text = "turn on the kitchen light " + "please " * 120 + " "
    phone.send("/set_command", text)
    assert pi.text("/get_command") == text
    [command] = history(client, app_headers)
    assert len(command["text"]) == 500 and command["text"].endswith("…")
    phone.send("/set_command", "turn off the kitchen light")
    assert pi.text("/get_command") == "turn off the kitchen light"


def test_terminate_is_answered_once_to_either_token(phone, pi):
    phone.send("/set_command", "terminate")
    assert phone.text("/get_command") == "terminate"
    assert pi.text("/get_command") == "null"
    phone.send("/set_command", "Terminate")
    assert pi.text("/get_command") == "Terminate"
    assert pi.text("/get_command") == "null"
    # The original compared the whole text: with a space after it, it is answered every time.
    phone.send("/set_command", "terminate ")
    assert [pi.text("/get_command") for _ in range(2)] == ["terminate ", "terminate "]


def test_what_the_script_read_is_carried_out_and_what_it_missed_is_replaced(client, phone, pi, app_headers, agent_headers):
    phone.send("/set_command", "turn on the tv")
    assert pi.text("/get_command") == "turn on the tv"
    phone.send("/set_command", "turn on the kitchen light")
    phone.send("/set_command", "turn off the tv")
    assert pi.text("/get_command") == "turn off the tv"
    assert [(c["text"], c["status"], c["result"]) for c in history(client, app_headers)] == [
        ("turn on the tv", "done", READ_RESULT),
        ("turn on the kitchen light", "replaced", REPLACED_RESULT),
        ("turn off the tv", "done", READ_RESULT),
    ]
    assert all(c["done_at"] for c in history(client, app_headers))
    # Nothing is left for a homerelay agent to carry out a second time.
    assert client.get("/api/v1/agent/next", headers=agent_headers).status_code == 204


def test_pi_script_double_encoded_set_data_and_its_numbers_as_sent(client, pi, phone, app_headers):
    assert phone.text("/get_data") == "temperature: 0.0°C  humidity: 0.0%"
    assert pi.upload("/set_data", {"temperature": 24, "humidity": 55}).get_data() == b"[24,55]\n"
    assert phone.text("/get_data") == "temperature: 24°C  humidity: 55%"
    latest = client.get("/api/v1/readings/latest", headers=app_headers).get_json()
    assert (latest["temperature"], latest["humidity"]) == (24, 55)
    pi.upload("/set_data", {"temperature": 24.0, "humidity": 0.0})
    assert phone.text("/get_data") == "temperature: 24.0°C  humidity: 0.0%"


def test_a_v1_reading_is_printed_as_the_original_printed_floats(client, phone, agent_headers):
    client.post("/api/v1/readings", json={"temperature": 21, "humidity": 40.5}, headers=agent_headers)
    assert phone.text("/get_data") == "temperature: 21.0°C  humidity: 40.5%"


def test_plain_object_set_data_is_accepted(pi):
    assert pi.client.post(f"{pi.base}/set_data", json={"temperature": 21.5, "humidity": 40}).get_json() == [21.5, 40]


@pytest.mark.parametrize("body", ['"{not json"', '"[1, 2]"', '{"temperature": 500, "humidity": 1}', '{"humidity": 1}',
                                  '{"temperature": true, "humidity": 1}', "nope"])
def test_bad_set_data_is_a_json_400(pi, body):
    response = pi.client.post(f"{pi.base}/set_data", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_threshold_accepts_decimals_and_drives_cooling_through_the_slot(client, phone, pi, app_headers):
    assert phone.text("/get_threshold") == "null"
    pi.upload("/set_data", {"temperature": 24, "humidity": 50})
    assert phone.send("/set_threshold", "22.5").get_data() == b'"22.5"\n'
    assert phone.text("/get_threshold") == "22.5"
    rule = client.get("/api/v1/automations/cooling", headers=app_headers).get_json()
    assert (rule["enabled"], rule["threshold"]) == (True, 22.5)
    # The Pi script learns of the cooling command through its slot, in words it understands.
    assert pi.text("/get_command") == "turn on the living room fan"


@pytest.mark.parametrize("text", ["hot", "", " 25", "-3", "½"])
def test_a_threshold_that_is_no_number_switches_cooling_off(client, phone, app_headers, text):
    phone.send("/set_threshold", "25")
    response = phone.send("/set_threshold", text)
    assert response.status_code == 200 and response.get_json() == text
    assert phone.text("/get_threshold") == "null"
    assert client.get("/api/v1/automations/cooling", headers=app_headers).get_json()["enabled"] is False
    phone.send("/set_threshold", "025")
    assert phone.text("/get_threshold") == "025"


@pytest.mark.parametrize("text", ["1000", "99.5"])
def test_a_threshold_beyond_the_sensor_is_refused(phone, text):
    response = phone.send("/set_threshold", text)
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert phone.text("/get_threshold") == "null"


def test_a_threshold_set_in_v1_is_answered_as_typed(client, phone, app_headers):
    client.put("/api/v1/automations/cooling", json={"enabled": True, "threshold": 27}, headers=app_headers)
    assert phone.text("/get_threshold") == "27"
    client.put("/api/v1/automations/cooling", json={"enabled": True, "threshold": 26.5}, headers=app_headers)
    assert phone.text("/get_threshold") == "26.5"
    client.put("/api/v1/automations/cooling", json={"enabled": False, "threshold": 26.5}, headers=app_headers)
    assert phone.text("/get_threshold") == "null"


@pytest.mark.parametrize("save", ["original", "v1"])
def test_saving_a_threshold_ends_a_manual_pause(client, phone, app_headers, save):
    client.post("/api/v1/commands", json={"text": "turn off the living room fan"}, headers=app_headers)
    assert client.get("/api/v1/automations/cooling", headers=app_headers).get_json()["paused_until"] is not None
    if save == "original":
        phone.send("/set_threshold", "26")
    else:
        client.put("/api/v1/automations/cooling", json={"enabled": True, "threshold": 26}, headers=app_headers)
    assert client.get("/api/v1/automations/cooling", headers=app_headers).get_json()["paused_until"] is None


def test_the_pi_scripts_device_list_becomes_the_device_states(client, phone, pi, app_headers, agent_headers):
    assert phone.text("/get_devices") == "null"
    listing = "| kitchen light | living_room fan | "
    assert pi.upload("/set_devices", {"devices": listing}).get_data() == json.dumps(listing).encode() + b"\n"
    assert phone.text("/get_devices") == listing
    states = client.get("/api/v1/devices", headers=app_headers).get_json()["devices"]
    assert len(states) == 10
    assert {(d["room"], d["device"]) for d in states if d["state"] == "on"} == {("kitchen", "light"), ("living_room", "fan")}
    assert client.get("/api/v1/automations/cooling", headers=app_headers).get_json()["active"] is True

    pi.upload("/set_devices", {"devices": "null"})
    assert phone.text("/get_devices") == "null"
    assert {d["state"] for d in client.get("/api/v1/devices", headers=app_headers).get_json()["devices"]} == {"off"}

    # A homerelay agent's report: the list follows it, in the original's format.
    client.put("/api/v1/devices", headers=agent_headers, json={"devices": [
        {"room": "kitchen", "device": "light", "kind": "led", "state": "on"},
        {"room": "bedroom", "device": "fan", "kind": "relay", "state": "off"},
    ]})
    assert phone.text("/get_devices") == "| kitchen light | "


def test_set_devices_needs_a_text(pi):
    response = pi.upload("/set_devices", {"devices": ["kitchen light"]})
    assert response.status_code == 400


def test_set_inf_echoes_information(pi):
    assert pi.upload("/set_inf", {"information": "agent started"}).get_data() == b'"agent started"\n'


def test_uploaded_text_is_never_served_as_html(phone, pi):
    pi.upload("/set_devices", {"devices": "<script>alert(1)</script>"})
    response = phone.client.get(f"{phone.base}/get_devices")
    assert response.content_type == TEXT_PLAIN
    assert response.headers["X-Content-Type-Options"] == "nosniff"
