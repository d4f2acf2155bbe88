"""Event fan-out under load: a batch is one event, a slow listener is closed, streams and long-polls are capped."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from datetime import timedelta

import pytest
import requests

from homerelay.server.fanout.hub import SUBSCRIBER_BACKLOG, EventHub
from homerelay.server.services.homes import issue_token
from homerelay.server.storage.db import Database
from homerelay.clock import utcnow

from tests.support.homes import home_in
from tests.support.polling import eventually

STREAMS = 500
BATCH = 1000
STREAMS_PER_TOKEN = 20


def open_stream(port: int, token: str) -> socket.socket:
    """An event stream on a raw socket (500 of them cost little), once the server has answered it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"GET /api/v1/events?token={token} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    return sock


def read_until(sock: socket.socket, marker: bytes, timeout: float = 10.0) -> bytes:
    """What the stream sent until `marker` appeared."""
    sock.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def sse_events(data: bytes) -> list[tuple[str, dict]]:
    """The (name, data) pairs in a piece of an event stream."""
    events, name = [], None
    for line in data.decode().splitlines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: ") and name:
            events.append((name, json.loads(line[6:])))
    return events


@pytest.mark.slow
def test_a_batch_with_500_streams_open_is_quick_and_quiet(server_process, database_url):
    tokens = home_in(database_url)
    db = Database(database_url)
    try:
        app_tokens = [issue_token(db, 1, "app").token for _ in range(STREAMS // STREAMS_PER_TOKEN)]
    finally:
        db.dispose()
    server = server_process()
    streams = [open_stream(server.port, app_tokens[i % len(app_tokens)]) for i in range(STREAMS)]
    try:
        log_before = len(server.log())
        now = utcnow()
        batch = [{"temperature": 20 + (i % 10) / 10, "humidity": 40.0,
                  "at": (now - timedelta(seconds=10 * (BATCH - i))).strftime("%Y-%m-%dT%H:%M:%SZ")} for i in range(BATCH)]
        agent = {"Authorization": f"Bearer {tokens.agent_token}", "Content-Type": "application/json"}
        body = json.dumps(batch, separators=(",", ":"))  # 1,000 readings fit the 64 KiB body limit
        started = time.perf_counter()
        answer = requests.post(f"{server.url}/api/v1/readings", data=body, headers=agent, timeout=30)
        post_seconds = time.perf_counter() - started
        assert answer.status_code == 201, answer.text
        health = []
        for _ in range(10):
            started = time.perf_counter()
            assert requests.get(f"{server.url}/healthz", timeout=30).status_code == 200
            health.append(time.perf_counter() - started)
        received = read_until(streams[0], b"event: reading")
        time.sleep(0.5)
        received += streams[0].recv(65536) if _readable(streams[0]) else b""
        log_growth = len(server.log()) - log_before
    finally:
        for sock in streams:
            sock.close()
    print(f"batch POST {post_seconds * 1000:.0f} ms, healthz max {max(health) * 1000:.0f} ms, log +{log_growth} B")
    readings = [data for name, data in sse_events(received) if name == "reading"]
    assert len(readings) == 1
    assert readings[0]["count"] == BATCH
    assert readings[0]["at"] == batch[-1]["at"].replace("Z", ".000Z")
    assert post_seconds < 0.2
    assert max(health) < 0.1
    assert log_growth < 10_000


def _readable(sock: socket.socket) -> bool:
    sock.settimeout(0.2)
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except (TimeoutError, BlockingIOError):
        return False


def test_a_listener_that_falls_behind_is_closed_with_one_log_line(caplog):
    hub = EventHub()
    subscription = hub.subscribe(7)
    with caplog.at_level(logging.INFO, logger="homerelay.server.fanout.hub"):
        for n in range(SUBSCRIBER_BACKLOG * 3):
            hub.publish(7, "command", {"n": n})
    assert subscription.fell_behind
    # Closed, not just muted: the hub no longer holds it (it would grow with every dead phone).
    assert 7 not in hub._subscriptions
    assert len(caplog.records) == 1


def test_the_hub_counts_the_agents_waiting_on_a_home_until_a_command_wakes_them():
    hub = EventHub()
    woken = []
    waiter = threading.Thread(target=lambda: woken.append(hub.wait_for_queue_change(7, hub.queue_version(7), 10)))
    waiter.start()
    eventually(lambda: hub.waiting_agents(7) == 1)
    assert hub.waiting_agents(8) == 0
    hub.notify_queue_changed(7)
    waiter.join(timeout=10)
    assert woken == [True]
    assert hub.waiting_agents(7) == 0


def test_event_streams_and_long_polls_are_capped_per_token(threaded_server):
    server = threaded_server(SSE_HEARTBEAT_SECONDS=0.2)
    app_token, agent_token = server.tokens.app_token, server.tokens.agent_token
    streams = [requests.get(f"{server.url}/api/v1/events?token={app_token}", stream=True, timeout=10)
               for _ in range(STREAMS_PER_TOKEN)]
    try:
        assert all(stream.status_code == 200 for stream in streams)
        refused = requests.get(f"{server.url}/api/v1/events?token={app_token}", timeout=10)
        assert refused.status_code == 429
        assert "event streams" in refused.json()["detail"]
        streams.pop().close()
        _eventually_accepted(f"{server.url}/api/v1/events?token={app_token}", streams)
    finally:
        for stream in streams:
            stream.close()

    import threading

    agent = {"Authorization": f"Bearer {agent_token}"}
    waiting = [threading.Thread(target=requests.get, args=(f"{server.url}/api/v1/agent/next?wait=2",),
                                kwargs={"headers": agent, "timeout": 10}) for _ in range(4)]
    for thread in waiting:
        thread.start()
    time.sleep(0.5)
    refused = requests.get(f"{server.url}/api/v1/agent/next?wait=2", headers=agent, timeout=10)
    for thread in waiting:
        thread.join()
    assert refused.status_code == 429
    assert "long-polls" in refused.json()["detail"]
    assert requests.get(f"{server.url}/api/v1/agent/next?wait=0.1", headers=agent, timeout=10).status_code == 204


def _eventually_accepted(url: str, streams: list) -> None:
    """A stream closed by its client frees its place (the server notices at the next write)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        stream = requests.get(url, stream=True, timeout=10)
        if stream.status_code == 200:
            streams.append(stream)
            return
        time.sleep(0.2)
    raise AssertionError("a closed stream never freed its place")
