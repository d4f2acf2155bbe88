"""Faults: the server killed mid-load and restarted, the agent killed before its ack, the network cut."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import pytest
import requests

from homerelay.agent.memory import CommandMemory

from tests.support.homes import home_in, relay_of

from .conftest import FINISHED, AppSession, eventually
from .test_delivery import SENTENCES, assert_carried_out_once_in_order


def submit_until_answered(session: AppSession, text: str, key: str, deadline: float) -> int:
    """Post one command, retrying with the same Idempotency-Key while the server is down."""
    while time.monotonic() < deadline:
        try:
            response = session.post("/api/v1/commands", json={"confirm": True, "text": text}, headers={"Idempotency-Key": key})
        except requests.RequestException:
            time.sleep(0.05)
            continue
        if response.status_code in (200, 201):
            return response.json()["id"]
        assert response.status_code >= 500, response.text
        time.sleep(0.05)
    raise AssertionError(f"command {key} was never answered")


@pytest.mark.slow
def test_server_killed_at_random_moments_loses_no_accepted_command(
        server_process, database_url, run_agent, recorded):
    tokens = home_in(database_url, "reliability")
    server = server_process(env={"HOMERELAY_LEASE_SECONDS": "1"})
    run_agent(server.url, tokens.agent_token, backoff_max=0.3)
    senders, per_sender = 3, 15
    sent: list[list[int]] = [[] for _ in range(senders)]
    deadline = time.monotonic() + 90
    sending = threading.Event()
    sending.set()

    def sender(index: int) -> None:
        rng = random.Random(index)
        with AppSession(server.url, tokens.app_token) as session:
            for n in range(per_sender):
                sent[index].append(submit_until_answered(session, rng.choice(SENTENCES), f"{index}-{n}", deadline))
                time.sleep(rng.uniform(0.0, 0.08))

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    rng = random.Random(42)
    kills = 0
    while any(thread.is_alive() for thread in threads) or kills < 2:
        time.sleep(rng.uniform(0.2, 0.8))
        server.kill()
        kills += 1
        server.start()
        if kills >= 4:
            break
    for thread in threads:
        thread.join(60)
    assert sum(map(len, sent)) == senders * per_sender

    with AppSession(server.url, tokens.app_token) as session:
        def all_finished():
            commands = session.all_commands()
            return commands if all(c["status"] in FINISHED for c in commands) else None

        commands = eventually(all_finished, timeout=60, step=0.2)
    assert server.starts == kills + 1 >= 3
    # Idempotency keys turned every retry of a command whose answer was lost into that same command.
    assert len(commands) == senders * per_sender
    assert {c["status"] for c in commands} == {"done"}
    assert_carried_out_once_in_order(sent, recorded)


@pytest.mark.slow
def test_network_cut_and_restored_agent_resumes_and_buffered_readings_arrive(
        threaded_server, link_proxy, run_agent, recorded):
    server = threaded_server(LEASE_SECONDS=0.5)
    link = link_proxy(server.port)
    run = run_agent(link.url, server.tokens.agent_token, reading_interval=0.1, backoff_max=0.2)
    assert run.agent.online.wait(10)
    with AppSession(server.url, server.tokens.app_token) as session:
        eventually(lambda: session.get("/api/v1/readings/latest").json()["at"])

        link.cut()
        cut_at = datetime.now(timezone.utc)
        eventually(lambda: not run.agent.online.is_set(), timeout=10)
        time.sleep(1.0)
        # Commands keep coming while the Pi is cut off; they wait on the server.
        during = session.post("/api/v1/commands", json={"confirm": True, "text": "turn on the bedroom fan"}).json()["id"]
        time.sleep(0.5)
        buffered = len(run.agent.uploader.buffer)
        assert buffered >= 5, "the agent should have kept readings while offline"
        assert session.command(during)["status"] == "pending"
        restored_at = datetime.now(timezone.utc)
        link.restore()

        assert eventually(lambda: session.command(during)["status"] == "done", timeout=15)
        assert run.agent.online.wait(5)
        eventually(lambda: not run.agent.uploader.buffer, timeout=10)
        since = cut_at.isoformat().replace("+00:00", "Z")
        history = session.get("/api/v1/readings", params={"since": since, "limit": 5000}).json()["readings"]
        taken_offline = [r for r in history if r["at"] < restored_at.isoformat().replace("+00:00", "Z")]
        assert len(taken_offline) >= buffered
    assert recorded == [during]


@pytest.mark.slow
def test_agent_process_killed_before_its_ack_recognises_the_redelivery(threaded_server, link_proxy, tmp_path):
    server = threaded_server(LEASE_SECONDS=1.0)
    link = link_proxy(server.port)
    state_file = tmp_path / "agent-state.json"
    link.swallow = b"POST /api/v1/commands/"

    def start_agent(log_name: str) -> subprocess.Popen:
        with open(tmp_path / log_name, "wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "homerelay", "agent", "--server", link.url,
                 "--token", server.tokens.agent_token, "--simulate", "--state-file", str(state_file),
                 "--wait", "30", "--reading-interval", "30"],
                stdout=log, stderr=subprocess.STDOUT,
            )

    first = start_agent("agent-1.log")
    try:
        with AppSession(server.url, server.tokens.app_token) as session:
            command_id = session.post("/api/v1/commands", json={"confirm": True, "text": "open the garage door"}).json()["id"]

            def remembered():
                # Read the file as a restarted agent would.
                return CommandMemory(state_file).outcome(command_id) is not None

            # Carried out and written down; its ack is held by the link: kill the process now.
            eventually(remembered, timeout=20)
            assert link.swallowed.wait(5)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            assert session.command(command_id)["status"] == "delivered"
            link.swallow = None

            second = start_agent("agent-2.log")
            try:
                done = eventually(lambda: (c := session.command(command_id))["status"] == "done" and c, timeout=30)
            finally:
                second.send_signal(signal.SIGTERM)
                second.wait(15)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(5)
    first_log = (tmp_path / "agent-1.log").read_text()
    second_log = (tmp_path / "agent-2.log").read_text()
    assert f"Command {command_id} 'open the garage door': done" in first_log
    assert f"Command {command_id} was carried out before" in second_log
    assert f"Command {command_id} 'open the garage door'" not in second_log
    assert done["result"] == "garage door open"


def test_sqlite_is_opened_for_durable_commits(make_app):
    # What the power-loss promise rests on: a write-ahead log, and a commit synced to disk before 201.
    db = relay_of(make_app()).db
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
