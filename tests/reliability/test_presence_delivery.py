"""Delivery never waits out a lease for a lost ack or a restarted agent; presence follows the agent's process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from homerelay.http_client import RelayClient

from .conftest import AppSession, eventually

# Measured delays, printed with -s (and reported in docs/guarantees.md).
MEASURED: dict[str, float] = {}


class SilentlyLostAckClient(RelayClient):
    """The agent's client whose first acknowledgement never reaches the server, and the agent never knows."""

    lost: list = []

    def ack(self, command_id, status, result):
        if not self.lost:
            self.lost.append(command_id)
            return
        super().ack(command_id, status, result)


def finished(session: AppSession, command_id: int):
    command = session.command(command_id)
    return command if command["status"] in ("done", "failed", "expired") else None


def test_a_lost_ack_costs_one_poll_not_the_lease(threaded_server, run_agent, recorded):
    server = threaded_server(LEASE_SECONDS=30)
    SilentlyLostAckClient.lost = []
    runner = run_agent(server.url, server.tokens.agent_token, client_class=SilentlyLostAckClient)
    assert runner.agent.online.wait(5)
    with AppSession(server.url, server.tokens.app_token) as session:
        began = time.monotonic()
        command_id = session.post("/api/v1/commands", json={"text": "open the garage door", "confirm": True}).json()["id"]
        done = eventually(lambda: finished(session, command_id), timeout=10)
        took = time.monotonic() - began
    MEASURED["lost ack -> done"] = took
    assert SilentlyLostAckClient.lost == [command_id]
    assert done["status"] == "done" and took < 2.0, f"{took:.2f} s"
    # Handed out twice, carried out once: the agent recognised the redelivery from its memory.
    assert recorded.count(command_id) == 1


def start_agent(server, tmp_path, name: str) -> subprocess.Popen:
    """A real `homerelay agent --simulate` process with its own log."""
    log = open(tmp_path / f"{name}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "homerelay", "agent", "--server", server.url, "--token", server.tokens.agent_token,
         "--simulate", "--state-file", str(tmp_path / "agent-state.json"), "--wait", "30", "--reading-interval", "30"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def presence(session: AppSession) -> dict:
    return session.get("/api/v1/agent").json()


def test_an_agent_killed_while_idle_is_offline_at_once_and_its_successor_gets_the_next_command(threaded_server, tmp_path):
    server = threaded_server()
    first = start_agent(server, tmp_path, "agent-1")
    second = None
    try:
        with AppSession(server.url, server.tokens.app_token) as session:
            online = eventually(lambda: (p := presence(session))["online"] and p, timeout=20)
            assert online["simulated"] is True and online["version"] and online["instances"] == 1
            time.sleep(1.0)   # idle in GET /agent/next
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            killed = time.monotonic()
            eventually(lambda: not presence(session)["online"], timeout=15, step=0.1)
            MEASURED["killed agent -> offline"] = time.monotonic() - killed
            assert MEASURED["killed agent -> offline"] <= 15

            second = start_agent(server, tmp_path, "agent-2")
            eventually(lambda: presence(session)["online"], timeout=20)
            time.sleep(0.5)   # the new process is parked in its long-poll
            began = time.monotonic()
            command_id = session.post("/api/v1/commands", json={"text": "turn on the kitchen light"}).json()["id"]
            done = eventually(lambda: finished(session, command_id), timeout=30, step=0.02)
            MEASURED["restarted agent -> next command done"] = time.monotonic() - began
            assert done["status"] == "done" and MEASURED["restarted agent -> next command done"] < 2.0
            assert presence(session)["instances"] == 1
    finally:
        stop(first)
        if second is not None:
            stop(second)


def test_an_agent_killed_and_restarted_at_once_is_not_stalled_by_its_dead_poll(threaded_server, tmp_path):
    server = threaded_server()
    first = start_agent(server, tmp_path, "agent-1")
    second = None
    try:
        with AppSession(server.url, server.tokens.app_token) as session:
            eventually(lambda: presence(session)["online"], timeout=20)
            time.sleep(1.0)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            # Restarted before the server can have noticed: the dead poll is still parked.
            second = start_agent(server, tmp_path, "agent-2")
            eventually(lambda: "Connected to" in (tmp_path / "agent-2.log").read_text(), timeout=20)
            time.sleep(0.3)
            began = time.monotonic()
            command_id = session.post("/api/v1/commands", json={"text": "turn on the tv"}).json()["id"]
            done = eventually(lambda: finished(session, command_id), timeout=40, step=0.02)
            took = time.monotonic() - began
            MEASURED["killed + restarted at once -> next command done"] = took
            assert done["status"] == "done" and took < 2.0, f"{took:.2f} s"
    finally:
        stop(first)
        if second is not None:
            stop(second)
    assert "Command" in (tmp_path / "agent-2.log").read_text()


def test_two_agent_processes_on_one_token_are_seen_and_the_queue_stays_exact(threaded_server, run_agent, recorded, caplog):
    server = threaded_server(LEASE_SECONDS=30)
    runners = [run_agent(server.url, server.tokens.agent_token) for _ in range(2)]
    assert all(runner.agent.online.wait(5) for runner in runners)
    with AppSession(server.url, server.tokens.app_token) as session:
        assert eventually(lambda: presence(session)["instances"] == 2, timeout=10)
        texts = ["turn on the kitchen light", "turn off the kitchen light", "turn on the tv", "turn off the tv"] * 5
        ids = [session.post("/api/v1/commands", json={"text": text}).json()["id"] for text in texts]
        eventually(lambda: all(finished(session, command_id) for command_id in ids), timeout=30)
        statuses = {session.command(command_id)["status"] for command_id in ids}
    assert statuses == {"done"}
    assert sorted(recorded) == sorted(ids), "a command was carried out twice, or not at all"
    assert recorded == sorted(recorded), "commands were carried out out of order"
    warnings = [r for r in caplog.records if "agent processes are using one token" in r.getMessage()]
    assert len(warnings) == 1


def test_under_gunicorn_and_gevent_a_killed_agent_is_offline_within_seconds(server_process, database_url, tmp_path):
    from tests.support.homes import home_in

    tokens = home_in(database_url)
    serving = server_process()

    class Served:
        url = serving.url

    Served.tokens = tokens
    agent = start_agent(Served, tmp_path, "agent-gevent")
    try:
        with AppSession(serving.url, tokens.app_token) as session:
            eventually(lambda: presence(session)["online"], timeout=20)
            time.sleep(1.0)
            agent.send_signal(signal.SIGKILL)
            agent.wait(10)
            killed = time.monotonic()
            eventually(lambda: not presence(session)["online"], timeout=15, step=0.1)
            MEASURED["killed agent -> offline (gunicorn, gevent)"] = time.monotonic() - killed
    finally:
        stop(agent)


def test_report_measured_delays():
    """Prints what the tests above measured (run with -s)."""
    for name, seconds in MEASURED.items():
        print(f"{name}: {seconds:.2f} s")
