"""Server-Sent Events carry command, reading, devices and automation changes as they happen."""

from __future__ import annotations

import json
import threading

import requests


def read_events(response, wanted: int, into: list) -> None:
    """Collect `wanted` (name, data) pairs from an SSE stream."""
    name = None
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: ") and name:
            into.append((name, json.loads(line[len("data: "):])))
            name = None
            if len(into) >= wanted:
                return


def test_event_stream_follows_the_home(live_server):
    app_auth = {"Authorization": f"Bearer {live_server.app_token}"}
    agent_auth = {"Authorization": f"Bearer {live_server.agent_token}"}
    stream = requests.get(f"{live_server.url}/api/v1/events?token={live_server.app_token}", stream=True, timeout=10)
    # The view subscribes before it answers: once the headers are here, the stream listens.
    assert stream.status_code == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    events: list = []
    reader = threading.Thread(target=read_events, args=(stream, 7, events))
    reader.start()
    try:
        command = requests.post(f"{live_server.url}/api/v1/commands", json={"text": "turn on the tv"}, headers=app_auth).json()
        requests.post(f"{live_server.url}/api/v1/readings", json={"temperature": 21, "humidity": 45}, headers=agent_auth)
        devices = {"devices": [{"room": "living_room", "device": "tv", "kind": "relay", "state": "on"}]}
        requests.put(f"{live_server.url}/api/v1/devices", json=devices, headers=agent_auth)
        requests.put(f"{live_server.url}/api/v1/automations/cooling", json={"enabled": False, "threshold": 28}, headers=app_auth)
        requests.get(f"{live_server.url}/api/v1/agent/next", headers=agent_auth)
        reader.join(timeout=10)
    finally:
        stream.close()
    # The agent's presence comes first; the agent's first request then brings it online.
    assert events[0][0] == "agent" and events[0][1]["online"] is False
    assert [data["online"] for name, data in events if name == "agent"][:2] == [False, True]
    events = [(name, data) for name, data in events if name != "agent"]
    names = [name for name, _ in events]
    assert names[:4] == ["command", "reading", "devices", "automation"]
    assert events[0][1] == command
    assert events[1][1]["temperature"] == 21
    assert events[2][1]["devices"] == devices["devices"]
    assert events[3][1]["threshold"] == 28 and events[3][1]["enabled"] is False
    assert events[4][0] == "command" and events[4][1]["status"] == "delivered"


def test_events_refuse_a_bad_token(live_server):
    response = requests.get(f"{live_server.url}/api/v1/events?token=nope", timeout=5)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"

