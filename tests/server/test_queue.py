"""The command queue over HTTP: order, long-poll wake-up, lease and redelivery, idempotent ack, restart."""

from __future__ import annotations

import threading
import time

import pytest

from tests.support.homes import add_home, relay_of


def post(client, headers, text):
    # Yes to what needs it (the garage door): these tests are about the queue.
    return client.post("/api/v1/commands", json={"text": text, "confirm": True}, headers=headers)


def next_command(client, headers, wait=0):
    return client.get(f"/api/v1/agent/next?wait={wait}", headers=headers)


def test_command_is_parsed_and_queued(client, app_headers):
    response = post(client, app_headers, "turn on the kitchen light")
    assert response.status_code == 201
    command = response.get_json()
    assert command["text"] == "turn on the kitchen light"
    assert command["source"] == "app"
    assert command["intent"] == "control"
    assert command["actions"] == [{"room": "kitchen", "device": "light", "action": "on"}]
    assert command["status"] == "pending"
    assert command["created_at"].endswith("Z")
    assert command["delivered_at"] is None and command["done_at"] is None


def test_not_understood_is_422_with_suggestions(client, app_headers):
    response = post(client, app_headers, "turn off the fan")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "not_understood"
    assert "fan" in body["detail"]
    assert len(body["suggestions"]) == 2
    assert client.get("/api/v1/commands", headers=app_headers).get_json() == {"commands": []}


def test_commands_are_never_overwritten_and_delivered_oldest_first(client, app_headers, agent_headers):
    texts = ["turn on the kitchen light", "open the garage door", "turn off the bedroom fan"]
    ids = [post(client, app_headers, text).get_json()["id"] for text in texts]
    delivered = []
    for _ in texts:
        command = next_command(client, agent_headers).get_json()
        delivered.append(command["id"])
        assert command["status"] == "delivered"
        ack = client.post(f"/api/v1/commands/{command['id']}/ack", json={"status": "done", "result": "ok"}, headers=agent_headers)
        assert ack.status_code == 200
    assert delivered == ids
    assert next_command(client, agent_headers).status_code == 204
    listed = client.get("/api/v1/commands?limit=10", headers=app_headers).get_json()["commands"]
    assert [c["id"] for c in listed] == list(reversed(ids))
    assert all(c["status"] == "done" and c["done_at"] for c in listed)


def test_long_poll_wakes_within_milliseconds(app, home, agent_headers, app_headers):
    received = {}

    def agent():
        started = time.monotonic()
        response = app.test_client().get("/api/v1/agent/next?wait=10", headers=agent_headers)
        received["status"] = response.status_code
        received["at"] = time.monotonic()
        received["waited"] = received["at"] - started

    thread = threading.Thread(target=agent)
    thread.start()
    time.sleep(0.3)
    posted_at = time.monotonic()
    assert post(app.test_client(), app_headers, "turn on the tv").status_code == 201
    thread.join(timeout=5)
    assert received["status"] == 200
    assert received["at"] - posted_at < 0.25
    assert received["waited"] >= 0.3


def test_long_poll_times_out_with_204(client, agent_headers):
    started = time.monotonic()
    response = next_command(client, agent_headers, wait=0.3)
    assert response.status_code == 204
    assert 0.25 <= time.monotonic() - started < 2


def test_unacknowledged_command_is_delivered_again_after_its_lease(make_home):
    home = make_home(LEASE_SECONDS=0.3)
    client = home.client
    # Two agent processes on one token: the one that has the command is still connected.
    agent = {**home.agent_headers, "X-Homerelay-Agent": "instance=first"}
    other = {**home.agent_headers, "X-Homerelay-Agent": "instance=second"}
    first = post(client, home.app_headers, "turn on the kitchen light").get_json()
    post(client, home.app_headers, "turn off the kitchen light")
    assert next_command(client, agent).get_json()["id"] == first["id"]
    # While the lease runs, nothing behind it is handed out: order is kept.
    assert next_command(client, other).status_code == 204
    again = next_command(client, other, wait=2).get_json()
    assert again["id"] == first["id"]


def test_ack_is_idempotent(client, app_headers, agent_headers):
    command = post(client, app_headers, "turn on the kitchen light").get_json()
    next_command(client, agent_headers)
    url = f"/api/v1/commands/{command['id']}/ack"
    first = client.post(url, json={"status": "done", "result": "kitchen light on"}, headers=agent_headers).get_json()
    second = client.post(url, json={"status": "failed", "result": "again"}, headers=agent_headers).get_json()
    assert first == second
    assert second["status"] == "done" and second["result"] == "kitchen light on"


def test_ack_of_unknown_command_is_404(client, agent_headers):
    response = client.post("/api/v1/commands/999/ack", json={"status": "done"}, headers=agent_headers)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_queue_survives_a_restart_on_the_same_file(make_app):
    first_app = make_app()
    tokens = add_home(first_app, "h")
    app_headers = {"Authorization": f"Bearer {tokens.app_token}"}
    ids = [post(first_app.test_client(), app_headers, t).get_json()["id"] for t in ("turn on the tv", "open the door")]
    relay_of(first_app).close()

    second_app = make_app()
    agent = {"Authorization": f"Bearer {tokens.agent_token}"}
    client = second_app.test_client()
    got = []
    for _ in ids:
        command = next_command(client, agent).get_json()
        got.append(command["id"])
        client.post(f"/api/v1/commands/{command['id']}/ack", json={"status": "done"}, headers=agent)
    assert got == ids


def test_command_past_its_time_to_live_expires_and_is_never_delivered(make_home):
    home = make_home(COMMAND_TTL_SECONDS=0.2)
    client, agent = home.client, home.agent_headers
    command = post(client, home.app_headers, "open the garage door").get_json()
    time.sleep(0.3)
    assert next_command(client, agent).status_code == 204
    stored = client.get(f"/api/v1/commands/{command['id']}", headers=agent).get_json()
    assert stored["status"] == "expired"


def test_idempotency_key_returns_the_first_result(client, app_headers):
    headers = {**app_headers, "Idempotency-Key": "abc-1"}
    first = client.post("/api/v1/commands", json={"text": "turn on the tv"}, headers=headers)
    again = client.post("/api/v1/commands", json={"text": "turn on the tv"}, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"]
    other = client.post("/api/v1/commands", json={"text": "turn off the tv"}, headers=headers)
    assert other.status_code == 422
    assert other.get_json()["error"] == "idempotency_conflict"
    assert len(client.get("/api/v1/commands", headers=app_headers).get_json()["commands"]) == 1


def test_max_wait_caps_the_long_poll(make_home):
    home = make_home(MAX_WAIT_SECONDS=0)
    started = time.monotonic()
    response = home.client.get("/api/v1/agent/next?wait=30", headers=home.agent_headers)
    assert response.status_code == 204
    assert response.headers["X-Homerelay-Max-Wait"] == "0"
    assert time.monotonic() - started < 1


def test_device_switches_are_queued_as_given_with_the_languages_sentence(client, app_headers, agent_headers):
    switches = [{"room": "kitchen", "device": "light", "action": "on"}, {"room": "garage", "device": "door", "action": "on"}]
    # The garage door asks for a yes, given as switches just as in a sentence.
    asked = client.post("/api/v1/commands", json={"actions": switches}, headers=app_headers)
    assert asked.status_code == 409 and asked.get_json()["error"] == "confirmation_required"
    assert asked.get_json()["actions"] == [switches[1]]
    assert client.get("/api/v1/agent/next", headers=agent_headers).status_code == 204
    response = client.post("/api/v1/commands", json={"actions": switches, "confirm": True}, headers=app_headers)
    assert response.status_code == 201
    command = response.get_json()
    assert command["actions"] == switches
    assert command["intent"] == "control" and command["source"] == "app"
    assert command["text"] == "turn on the kitchen light and open the garage door"
    delivered = client.get("/api/v1/agent/next", headers=agent_headers).get_json()
    assert delivered["id"] == command["id"] and delivered["actions"] == switches


@pytest.mark.parametrize(("body", "status"), [
    ({"actions": [{"room": "kitchen", "device": "fan", "action": "on"}]}, 422),  # not in the house
    ({"actions": []}, 400),
    ({"actions": [{"room": "kitchen", "device": "light", "action": "dim"}]}, 400),
    ({"text": "turn on the tv", "actions": [{"room": "kitchen", "device": "light", "action": "on"}]}, 400),
    ({}, 400),
])
def test_device_switches_are_checked(client, app_headers, body, status):
    response = client.post("/api/v1/commands", json=body, headers=app_headers)
    assert response.status_code == status, response.get_json()
    assert client.get("/api/v1/commands", headers=app_headers).get_json()["commands"] == []
