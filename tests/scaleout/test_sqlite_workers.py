"""`homerelay serve --workers 2` on one SQLite file: wake-ups, events, delivery and limits cross the workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from homerelay.server.storage.db import Database
from homerelay.server.services.homes import HomeTokens, create_home
from tests.scaleout.conftest import ServerProcess, free_port, wait_until_up

# A command posted on one worker reaches an agent waiting on either within this time.
CROSS_PROCESS_WAKE_SECONDS = 0.25
# Long enough that an answer that only came when the wait ran out cannot pass for a wake-up.
LONG_POLL_WAIT = 10
ROUNDS = 30


def bearer(token: str, **headers: str) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory):
    return tmp_path_factory.mktemp("workers") / "homerelay.db"


def start_workers(sqlite_file, log_name: str = "serve.log") -> ServerProcess:
    """`homerelay serve --workers 2` on a SQLite file, limits on, behind one trusted proxy; both joined."""
    port = free_port()
    log = sqlite_file.parent / log_name
    env = {
        **os.environ,
        "HOMERELAY_LIMITS": "on",
        "HOMERELAY_RATE_LIMITS": "200 per minute",
        "HOMERELAY_SIGNIN_LIMIT": "6 per minute",
        "HOMERELAY_TRUSTED_PROXIES": "1",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "homerelay", "serve", "--workers", "2", "--host", "127.0.0.1",
             "--port", str(port), "--db", f"sqlite:///{sqlite_file}"],
            stdout=output, stderr=subprocess.STDOUT, env=env,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log)
    wait_until_up(server)
    assert wait_for(lambda: len(worker_sockets(sqlite_file)) == 2), log.read_text()  # both workers joined
    return server


def worker_sockets(sqlite_file) -> list[str]:
    """The event sockets in the database's folder, one per worker (named `<pid>-<random>.sock`)."""
    return sorted(os.listdir(f"{sqlite_file}.events"))


def wait_for(condition, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return condition()


@pytest.fixture(scope="module")
def two_workers(sqlite_file):
    """The module's server: two workers on one SQLite file."""
    server = start_workers(sqlite_file)
    yield server
    server.stop()
    assert worker_sockets(sqlite_file) == []  # each worker removed its socket on the way out


def make_home(sqlite_file, name: str = "flat") -> HomeTokens:
    """A new home (fresh tokens, so rate limits start afresh) in a SQLite file."""
    db = Database(f"sqlite:///{sqlite_file}")
    try:
        return create_home(db, name)
    finally:
        db.dispose()


@pytest.fixture
def new_home(sqlite_file):
    """A new home in the module's workers' database."""
    return lambda name="flat": make_home(sqlite_file, name)


def post_command(server, tokens, text: str) -> dict:
    # No session: every request is a new connection, which either worker may accept.
    response = requests.post(f"{server.url}/api/v1/commands", json={"text": text}, headers=bearer(tokens.app_token), timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def test_every_command_reaches_a_long_polling_agent_at_once_once_and_in_order(two_workers, new_home):
    tokens = new_home()
    delivered: list[tuple[dict, float]] = []
    arrived = threading.Condition()
    done = threading.Event()

    def agent():
        while not done.is_set():
            response = requests.get(f"{two_workers.url}/api/v1/agent/next?wait={LONG_POLL_WAIT}",
                                    headers=bearer(tokens.agent_token), timeout=LONG_POLL_WAIT + 5)
            if response.status_code != 200:
                continue
            command = response.json()
            with arrived:
                delivered.append((command, time.monotonic()))
                arrived.notify_all()
            ack = requests.post(f"{two_workers.url}/api/v1/commands/{command['id']}/ack", json={"status": "done"},
                                headers=bearer(tokens.agent_token), timeout=5)
            assert ack.status_code == 200

    thread = threading.Thread(target=agent, daemon=True)
    thread.start()
    posted, latencies, after_answer = [], [], []
    for i in range(ROUNDS):
        time.sleep(0.05)  # the agent is parked in a long-poll on one worker or the other
        sent_at = time.monotonic()
        command = post_command(two_workers, tokens, ("turn on the kitchen light", "turn off the kitchen light")[i % 2])
        answered_at = time.monotonic()
        posted.append(command["id"])
        with arrived:
            assert arrived.wait_for(lambda: len(delivered) == len(posted), timeout=LONG_POLL_WAIT + 5)
        latencies.append(delivered[-1][1] - sent_at)  # from the phone's POST to the agent's answer
        # From the POST's answer: the command is committed then, and the other worker hears of it.
        after_answer.append(delivered[-1][1] - answered_at)
    # A burst while the agent is busy: still each once, in order.
    posted += [post_command(two_workers, tokens, "open the garage door")["id"] for _ in range(10)]
    with arrived:
        assert arrived.wait_for(lambda: len(delivered) >= len(posted), timeout=20)
    done.set()
    post_command(two_workers, tokens, "close the garage door")  # lets the agent's last long-poll end
    thread.join(timeout=LONG_POLL_WAIT + 5)
    ids = [command["id"] for command, _ in delivered]
    assert ids[:len(posted)] == posted  # every command, once, in order
    assert len(set(ids)) == len(ids)
    latencies.sort()
    after_answer.sort()
    print(f"POST to agent: median {latencies[len(latencies) // 2] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms; "
          f"after the POST's answer: max {after_answer[-1] * 1000:.1f} ms")
    assert after_answer[-1] < CROSS_PROCESS_WAKE_SECONDS, after_answer


def test_an_event_stream_sees_every_command_whichever_worker_took_it(two_workers, new_home):
    tokens = new_home()
    with requests.get(f"{two_workers.url}/api/v1/events", headers=bearer(tokens.app_token), stream=True, timeout=10) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines).startswith("retry:")
        posted = [post_command(two_workers, tokens, "turn on the bedroom fan")["id"] for _ in range(10)]
        seen: list[int] = []
        for line in lines:
            if line == "event: command":
                event = json.loads(next(lines).removeprefix("data: "))
                if event["status"] == "pending":
                    seen.append(event["id"])
                if len(seen) == len(posted):
                    break
    assert seen == posted


def test_failed_sign_ins_are_throttled_across_workers(two_workers, new_home):
    tokens = new_home()
    address = {"X-Forwarded-For": "203.0.113.78"}
    for _ in range(6):
        wrong = requests.get(f"{two_workers.url}/api/v1/commands", headers=bearer("wrong-token", **address), timeout=5)
        assert wrong.status_code == 401
    # Six failures in all, on whichever workers: every worker now refuses this address, even with
    # the right token (a worker counting alone would have let at least one of these through).
    for _ in range(12):
        refused = requests.get(f"{two_workers.url}/api/v1/commands", headers=bearer(tokens.app_token, **address), timeout=5)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
    other_client = requests.get(f"{two_workers.url}/api/v1/commands", headers=bearer(tokens.app_token), timeout=5)
    assert other_client.status_code == 200


def test_a_tokens_rate_limit_is_shared_by_the_workers(two_workers, new_home):
    tokens = new_home()
    statuses = [
        requests.get(f"{two_workers.url}/api/v1/commands?limit=1", headers=bearer(tokens.app_token), timeout=5).status_code
        for _ in range(210)
    ]
    # "200 per minute" in all: each worker counting alone would have allowed 200 of its own.
    assert statuses.count(200) == 200
    assert statuses[200:] == [429] * 10


def test_a_killed_worker_is_replaced_and_wake_ups_still_cross(tmp_path):
    sqlite_file = tmp_path / "homerelay.db"
    server = start_workers(sqlite_file, "restart.log")
    try:
        tokens = make_home(sqlite_file)
        killed = worker_sockets(sqlite_file)[0]
        os.kill(int(killed.split("-")[0]), signal.SIGKILL)  # no chance to remove its socket
        # gunicorn starts another worker; its hello finds the dead socket refused and removes it.
        assert wait_for(lambda: len(worker_sockets(sqlite_file)) == 2 and killed not in worker_sockets(sqlite_file)), \
            server.log.read_text()
        for i in range(10):
            received = {}

            def agent():
                response = requests.get(f"{server.url}/api/v1/agent/next?wait={LONG_POLL_WAIT}",
                                        headers=bearer(tokens.agent_token), timeout=LONG_POLL_WAIT + 5)
                received["at"], received["command"] = time.monotonic(), response.json()

            thread = threading.Thread(target=agent)
            thread.start()
            time.sleep(0.1)
            command = post_command(server, tokens, "turn on the kitchen light")
            answered_at = time.monotonic()
            thread.join(timeout=LONG_POLL_WAIT + 5)
            assert received["command"]["id"] == command["id"]
            assert received["at"] - answered_at < CROSS_PROCESS_WAKE_SECONDS
            acked = requests.post(f"{server.url}/api/v1/commands/{command['id']}/ack", json={"status": "done"},
                                  headers=bearer(tokens.agent_token), timeout=5)
            assert acked.status_code == 200
    finally:
        server.stop()
