"""Two server processes on one PostgreSQL (two `homerelay serve`s, or two workers of one): wake-ups, events,
delivery and limits cross over."""

from __future__ import annotations

import json
import threading
import time

import requests

from tests.support.homes import bearer

# A command posted on one process reaches an agent waiting on the other within this time.
CROSS_PROCESS_WAKE_SECONDS = 0.25


def post_command(server, tokens, text: str) -> dict:
    response = requests.post(f"{server.url}/api/v1/commands", json={"confirm": True, "text": text}, headers=bearer(tokens.app_token), timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_command_posted_on_one_process_wakes_an_agent_waiting_on_the_other(two_servers, new_home):
    waiting_on, posted_on = two_servers
    tokens = new_home()
    received = {}

    def agent():
        response = requests.get(f"{waiting_on.url}/api/v1/agent/next?wait=20", headers=bearer(tokens.agent_token), timeout=30)
        received["at"] = time.monotonic()
        received["response"] = response

    thread = threading.Thread(target=agent)
    thread.start()
    time.sleep(0.5)  # the long-poll is parked on process A
    command = post_command(posted_on, tokens, "turn on the kitchen light")
    # Counted from B's answer: the command is committed then, and A hears of it by NOTIFY.
    answered_at = time.monotonic()
    thread.join(timeout=10)
    assert received["response"].status_code == 200
    assert received["response"].json()["id"] == command["id"]
    assert received["at"] - answered_at < CROSS_PROCESS_WAKE_SECONDS


def test_an_event_stream_on_one_process_sees_a_command_posted_on_the_other(two_servers, new_home):
    streaming_on, posted_on = two_servers
    tokens = new_home()
    with requests.get(f"{streaming_on.url}/api/v1/events", headers=bearer(tokens.app_token), stream=True, timeout=10) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines).startswith("retry:")
        command = post_command(posted_on, tokens, "open the garage door")
        event = None
        for line in lines:
            if line == "event: command":
                event = json.loads(next(lines).removeprefix("data: "))
                break
    assert event is not None and event["id"] == command["id"] and event["status"] == "pending"


def test_two_agents_racing_on_two_processes_get_each_command_once_and_in_order(two_servers, new_home):
    tokens = new_home()
    texts = ["turn on the kitchen light", "turn off the kitchen light"] * 6
    delivered: list[dict] = []
    lock = threading.Lock()
    done = threading.Event()

    def agent(server):
        with requests.Session() as session:
            take_commands(server, session)

    def take_commands(server, session):
        while not done.is_set():
            response = session.get(f"{server.url}/api/v1/agent/next?wait=1", headers=bearer(tokens.agent_token), timeout=10)
            if response.status_code != 200:
                continue
            command = response.json()
            with lock:
                delivered.append(command)
            ack = session.post(f"{server.url}/api/v1/commands/{command['id']}/ack", json={"status": "done"},
                               headers=bearer(tokens.agent_token), timeout=10)
            assert ack.status_code == 200

    agents = [threading.Thread(target=agent, args=(server,)) for server in two_servers]
    for thread in agents:
        thread.start()
    posted = [post_command(two_servers[i % 2], tokens, text)["id"] for i, text in enumerate(texts)]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(delivered) < len(posted):
        time.sleep(0.05)
    done.set()
    for thread in agents:
        thread.join(timeout=10)
    ids = [command["id"] for command in delivered]
    assert sorted(ids) == posted  # every command, none twice
    by_delivery = sorted(delivered, key=lambda command: command["delivered_at"])
    assert [command["id"] for command in by_delivery] == posted  # in order


def test_a_tokens_rate_limit_is_shared_by_the_processes(two_servers, new_home):
    tokens = new_home()
    statuses = []
    for i in range(70):
        server = two_servers[i % 2]
        response = requests.get(f"{server.url}/api/v1/commands?limit=1", headers=bearer(tokens.app_token), timeout=5)
        statuses.append(response.status_code)
    # "60 per minute" in all: each process counting alone would have allowed 60 of its own.
    assert statuses.count(200) == 60
    assert statuses[60:] == [429] * 10


def test_failed_sign_ins_are_throttled_across_processes(two_servers, new_home):
    tokens = new_home()
    address = {"X-Forwarded-For": "203.0.113.77"}
    for i in range(20):
        # One token repeated (a misconfigured device) counts once, whichever process hears it.
        repeated = requests.get(f"{two_servers[i % 2].url}/api/v1/commands", headers=bearer("wrong-token", **address), timeout=5)
        assert repeated.status_code == 401
    for i in range(5):
        wrong = requests.get(f"{two_servers[i % 2].url}/api/v1/commands", headers=bearer(f"guess-{i}", **address), timeout=5)
        assert wrong.status_code == 401
    # Six distinct wrong tokens, on both processes: both now refuse even the right token.
    for server in two_servers:
        refused = requests.get(f"{server.url}/api/v1/commands", headers=bearer(tokens.app_token, **address), timeout=5)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
    other_client = requests.get(f"{two_servers[0].url}/api/v1/commands", headers=bearer(tokens.app_token), timeout=5)
    assert other_client.status_code == 200
