"""A revoked token loses its open connections: event streams end, a waiting long-poll gets 401."""

from __future__ import annotations

import threading
import time

import requests

from homerelay.server.services.homes import identify, revoke_token

HEARTBEAT = 0.3


def test_a_revoked_apps_event_stream_ends_within_a_heartbeat(threaded_server):
    server = threaded_server(SSE_HEARTBEAT_SECONDS=HEARTBEAT)
    db = server.app.extensions["homerelay"].db
    stream = requests.get(f"{server.url}/api/v1/events?token={server.tokens.app_token}", stream=True, timeout=10)
    assert stream.status_code == 200
    ended = threading.Event()

    def read_to_the_end():
        try:
            for _ in stream.iter_content(chunk_size=None):
                pass
        except (requests.RequestException, AttributeError, OSError):
            return  # closed by the test, not by the server
        ended.set()

    threading.Thread(target=read_to_the_end, daemon=True).start()
    revoke_token(db, identify(db, server.tokens.app_token).token_id)
    revoked_at = time.monotonic()
    agent = {"Authorization": f"Bearer {server.tokens.agent_token}"}
    # Events keep coming: the stream must not live on because it is never idle.
    while not ended.is_set() and time.monotonic() - revoked_at < 5:
        requests.post(f"{server.url}/api/v1/readings", json={"temperature": 21, "humidity": 40}, headers=agent, timeout=5)
        time.sleep(0.05)
    stream.close()
    assert ended.is_set()
    assert time.monotonic() - revoked_at < 2 * HEARTBEAT + 1


def test_a_revoked_agents_waiting_long_poll_is_refused_before_any_command_is_claimed(threaded_server):
    server = threaded_server()
    db = server.app.extensions["homerelay"].db
    agent = {"Authorization": f"Bearer {server.tokens.agent_token}"}
    answers = []
    poll = threading.Thread(target=lambda: answers.append(
        requests.get(f"{server.url}/api/v1/agent/next?wait=5", headers=agent, timeout=10)))
    poll.start()
    time.sleep(0.5)
    revoke_token(db, identify(db, server.tokens.agent_token).token_id)
    app = {"Authorization": f"Bearer {server.tokens.app_token}"}
    posted = requests.post(f"{server.url}/api/v1/commands", json={"text": "turn on the tv"}, headers=app, timeout=5).json()
    poll.join()
    assert answers[0].status_code == 401
    assert answers[0].json()["error"] == "unauthorized"
    command = requests.get(f"{server.url}/api/v1/commands/{posted['id']}", headers=app, timeout=5).json()
    assert command["status"] == "pending"
