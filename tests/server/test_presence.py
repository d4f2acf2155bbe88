"""`GET /api/v1/agent` and the `agent` event: online while a long-poll is open, offline when it closes or goes quiet."""

from __future__ import annotations

import json
import socket
import threading
import time

import requests

from tests.support import polling

AGENT_KEYS = {"online", "since", "last_seen", "simulated", "version", "instances"}


def agent_header(instance: str, version: str = "0.1.0", simulated: int = 1) -> dict:
    return {"X-Homerelay-Agent": f"instance={instance}; version={version}; simulated={simulated}"}


def presence(client, app_headers) -> dict:
    response = client.get("/api/v1/agent", headers=app_headers)
    assert response.status_code == 200
    return response.get_json()


def test_an_agent_never_seen_is_offline_since_the_home_was_made(client, app_headers):
    body = presence(client, app_headers)
    assert set(body) == AGENT_KEYS
    assert body["online"] is False and body["instances"] == 0
    assert body["last_seen"] is None and body["simulated"] is None and body["version"] is None
    assert body["since"].endswith("Z")


def test_the_agent_token_may_not_read_it(client, agent_headers):
    assert client.get("/api/v1/agent", headers=agent_headers).status_code == 403


def test_online_while_long_polling_with_its_version_and_simulation(client, app_headers, agent_headers):
    headers = {**agent_headers, **agent_header("a1", "9.9.9", 1)}
    poll = threading.Thread(target=client.get, args=("/api/v1/agent/next?wait=1.5",), kwargs={"headers": headers})
    poll.start()
    try:
        body = polling.eventually(lambda: (b := presence(client, app_headers))["online"] and b)
        assert body["instances"] == 1 and body["version"] == "9.9.9" and body["simulated"] is True
    finally:
        poll.join(5)


def test_other_agent_requests_count_as_heard_from(client, app_headers, agent_headers):
    client.post("/api/v1/readings", json={"temperature": 20, "humidity": 40}, headers={**agent_headers, **agent_header("r1")})
    assert presence(client, app_headers)["online"] is True


def test_an_agent_without_the_header_is_one_anonymous_process(client, app_headers, agent_headers):
    assert client.get("/api/v1/agent/next?wait=0", headers=agent_headers).status_code == 204
    body = presence(client, app_headers)
    assert body["online"] is True and body["instances"] == 1 and body["version"] is None and body["simulated"] is None


def test_two_processes_on_one_token_are_counted_and_logged_once(client, app_headers, agent_headers, caplog):
    for instance in ("first", "second", "second", "first"):
        client.get("/api/v1/agent/next?wait=0", headers={**agent_headers, **agent_header(instance)})
    assert presence(client, app_headers)["instances"] == 2
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "agent processes" in r.getMessage()]
    assert len(warnings) == 1


def test_quiet_agent_goes_offline_after_the_grace_and_the_event_says_so(make_home):
    # A grace long enough that a slow machine still asks within it (at 0.3 s, CI once asked
    # after the sweep had already found the agent quiet).
    home = make_home(PRESENCE_GRACE_SECONDS=2.0, PRESENCE_SWEEP_SECONDS=0.1)
    relay = home.app.extensions["homerelay"]
    subscription = relay.hub.subscribe(1)
    try:
        home.client.put("/api/v1/devices", json={"devices": []}, headers={**home.agent_headers, **agent_header("q1")})
        assert presence(home.client, home.app_headers)["online"] is True
        seen = [subscription.get(timeout=5) for _ in range(3)]
    finally:
        subscription.close()
    agent_events = [event.data for event in seen if event is not None and event.name == "agent"]
    assert [data["online"] for data in agent_events] == [True, False]
    assert set(agent_events[-1]) == AGENT_KEYS


def test_a_closed_long_poll_is_offline_at_once_and_claims_nothing(live_server):
    app = {"Authorization": f"Bearer {live_server.app_token}"}
    host, port = live_server.url.removeprefix("http://").split(":")
    raw = socket.create_connection((host, int(port)))
    raw.sendall(
        f"GET /api/v1/agent/next?wait=30 HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {live_server.agent_token}\r\n"
        "X-Homerelay-Agent: instance=killed\r\n\r\n".encode()
    )
    polling.eventually(lambda: requests.get(f"{live_server.url}/api/v1/agent", headers=app, timeout=5).json()["online"])
    raw.close()   # what a killed agent's kernel does
    closed = time.monotonic()
    polling.eventually(lambda: not requests.get(f"{live_server.url}/api/v1/agent", headers=app, timeout=5).json()["online"],
                       timeout=5)
    assert time.monotonic() - closed < 3
    # A command sent now is still pending: the dead poll left without it.
    command = requests.post(f"{live_server.url}/api/v1/commands", json={"text": "turn on the tv"}, headers=app, timeout=5).json()
    time.sleep(1.5)
    assert requests.get(f"{live_server.url}/api/v1/commands/{command['id']}", headers=app, timeout=5).json()["status"] == "pending"


def test_the_event_stream_opens_with_the_agent(live_server):
    stream = requests.get(f"{live_server.url}/api/v1/events?token={live_server.app_token}", stream=True, timeout=10)
    try:
        lines = stream.iter_lines(decode_unicode=True)
        first = next(line for line in lines if line.startswith("event: "))
        data = json.loads(next(lines).removeprefix("data: "))
    finally:
        stream.close()
    assert first == "event: agent" and set(data) == AGENT_KEYS and data["online"] is False
