"""The agent against the real relay server: commands, redelivery, outage, terminate, cooling."""

from __future__ import annotations

import time

import pytest

from homerelay.agent.agent import memory_scope
from homerelay.agent.memory import CommandMemory
from homerelay.agent.settings import AgentSettings
from homerelay.http_client import RelayClient
from tests.support.polling import eventually


def command(session, server, command_id):
    return session.get(f"{server.url}/api/v1/commands/{command_id}").json()


def finished(session, server, command_id):
    body = command(session, server, command_id)
    return body if body["status"] in ("done", "failed") else None


def devices_on(session, server):
    body = session.get(f"{server.url}/api/v1/devices").json()
    return {(d["room"], d["device"]) for d in body["devices"] if d["state"] == "on"}


@pytest.fixture
def app_session(relay_server):
    with relay_server.app_session() as session:
        yield session


def send(session, server, text):
    response = session.post(f"{server.url}/api/v1/commands", json={"confirm": True, "text": text})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_house_and_devices_uploaded(relay_server, run_agent, app_session, house):
    runner = run_agent(relay_server.url, relay_server.home.agent_token)
    assert runner.agent.online.wait(5)
    assert app_session.get(f"{relay_server.url}/api/v1/house").json() == house.to_mapping()
    states = app_session.get(f"{relay_server.url}/api/v1/devices").json()["devices"]
    assert len(states) == len(house.devices) and {s["state"] for s in states} == {"off"}


def test_command_carried_out_and_acked(relay_server, run_agent, app_session, pin_factory):
    runner = run_agent(relay_server.url, relay_server.home.agent_token)
    assert runner.agent.online.wait(5)
    command_id = send(app_session, relay_server, "turn on the kitchen light and open the door")
    done = eventually(lambda: finished(app_session, relay_server, command_id))
    assert done["status"] == "done"
    assert done["result"] == "kitchen light on, garage door open"
    assert pin_factory.pin(4).state == 1
    assert eventually(lambda: devices_on(app_session, relay_server)) == {
        ("kitchen", "light"), ("garage", "door")}
    listing = send(app_session, relay_server, "what is on")
    assert eventually(lambda: finished(app_session, relay_server, listing))["result"] == (
        "on: kitchen light, garage door")


def test_redelivery_after_lost_ack_is_not_carried_out_twice(
        relay_server, run_agent, app_session, pin_factory, tmp_path):
    command_id = send(app_session, relay_server, "turn on the bedroom fan")
    # A first agent run took the command and carried it out, then died before its ack.
    taker = RelayClient(relay_server.url, relay_server.home.agent_token)
    assert taker.next_command(0)["id"] == command_id
    taker.close()
    scope = memory_scope(AgentSettings(relay_server.url, relay_server.home.agent_token))
    CommandMemory(tmp_path / "agent-state.json", scope=scope).remember(
        command_id, "done", "bedroom fan on")
    # After the lease the server delivers it again; the restarted agent only acknowledges it.
    run_agent(relay_server.url, relay_server.home.agent_token)
    done = eventually(lambda: finished(app_session, relay_server, command_id))
    assert (done["status"], done["result"]) == ("done", "bedroom fan on")
    assert [change.state for change in pin_factory.pin(24).states] == [False, 1]  # never driven low


def test_outage_buffers_readings_and_sends_them_after(relay_server, run_agent, app_session):
    runner = run_agent(relay_server.url, relay_server.home.agent_token)
    assert runner.agent.online.wait(5)
    eventually(lambda: app_session.get(f"{relay_server.url}/api/v1/readings").json()["readings"])
    relay_server.stop()
    eventually(lambda: len(runner.agent.uploader.buffer) >= 5)
    buffered = list(runner.agent.uploader.buffer)
    relay_server.start()  # same database file, same port
    eventually(lambda: not runner.agent.uploader.buffer)

    def stored_times():
        with relay_server.app_session() as session:  # the old connection died with the server
            body = session.get(f"{relay_server.url}/api/v1/readings", params={"limit": 1000}).json()
        return {reading["at"] for reading in body["readings"]}

    times = stored_times()
    assert all(_iso_in(reading.at, times) for reading in buffered)
    # And the agent is back at work.
    with relay_server.app_session() as session:
        command_id = send(session, relay_server, "turn on the bathroom light")
        assert eventually(lambda: finished(session, relay_server, command_id))["status"] == "done"


def _iso_in(moment, stored: set[str]) -> bool:
    from datetime import datetime

    return any(abs((datetime.fromisoformat(s.replace("Z", "+00:00")) - moment).total_seconds())
               < 0.01 for s in stored)


def test_terminate_stops_the_agent(relay_server, run_agent, app_session, pin_factory):
    runner = run_agent(relay_server.url, relay_server.home.agent_token)
    assert runner.agent.online.wait(5)
    send(app_session, relay_server, "turn on the living room fan")
    command_id = send(app_session, relay_server, "terminate")
    runner.thread.join(10)
    assert runner.exit_code == 0
    done = finished(app_session, relay_server, command_id)
    assert done["status"] == "done"
    assert pin_factory.pin(27).state == 0  # released after being switched off
    assert devices_on(app_session, relay_server) == set()


def test_app_token_is_refused(relay_server, run_agent):
    runner = run_agent(relay_server.url, relay_server.home.app_token)
    runner.thread.join(5)
    assert runner.exit_code == 2


def test_simulated_room_drives_the_cooling_rule(relay_server, run_agent, app_session):
    from homerelay.agent.sensor import SimulatedSensor
    from homerelay.agent.thermal import ThermalRoom

    runner = run_agent(relay_server.url, relay_server.home.agent_token,
                       sensor=_LateSensor(), reading_interval=0.1)
    assert runner.agent.online.wait(5)
    # Two simulated minutes per real second: the room heats past 26 °C and the fan cycles.
    room = ThermalRoom(runner.agent.devices.running_fans, time_scale=120.0)
    runner.agent.uploader.sensor = SimulatedSensor(room)

    def automation_commands():
        body = app_session.get(f"{relay_server.url}/api/v1/commands", params={"limit": 50}).json()
        return [c for c in reversed(body["commands"])
                if c["source"] == "automation" and c["status"] == "done"]

    cycle = eventually(lambda: [c["actions"][0]["action"] for c in automation_commands()][:2]
                       == ["on", "off"], timeout=15)
    assert cycle


class _LateSensor:
    """No readings until the test swaps in the simulated room."""

    def read(self):
        return None

    def close(self):
        pass


def test_follows_a_server_that_does_not_long_poll(start_relay_server, home, run_agent, caplog):
    caplog.set_level("INFO", logger="homerelay.agent.agent")
    server = start_relay_server(MAX_WAIT_SECONDS=0)
    runner = run_agent(server.url, home.agent_token, wait=30.0, min_poll_interval=0.5)
    assert runner.agent.online.wait(5)
    time.sleep(1.6)
    assert runner.agent._wait == 0  # asks for what the server allows
    assert 2 <= runner.agent.command_requests <= 5
    assert "it allows 0" in caplog.text
