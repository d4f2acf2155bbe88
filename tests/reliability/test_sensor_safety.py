"""Sensor safety end to end: absurd or stale readings never drive the cooling fan, and the app sees `stale`."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from .conftest import AppSession, eventually


class ScriptedSensor:
    """A sensor reading whatever the test sets (None: the sensor gives nothing)."""

    def __init__(self) -> None:
        self.value: tuple[float, float] | None = None
        self.reads = 0

    def read(self):
        """The scripted reading, now."""
        from homerelay.agent.sensor import Reading
        from homerelay.clock import utcnow

        self.reads += 1
        return None if self.value is None else Reading(self.value[0], self.value[1], utcnow())

    def close(self) -> None:
        """Nothing to release."""


def fan_state(run) -> str:
    """The living room fan as the agent's devices have it."""
    return next(d["state"] for d in run.agent.devices.states() if (d["room"], d["device"]) == ("living_room", "fan"))


def automation(session: AppSession) -> list[dict]:
    """Commands the cooling rule queued."""
    return [c for c in session.all_commands() if c["source"] == "automation"]


def hold(sensor: ScriptedSensor, value, reads: int = 4) -> None:
    """Let the agent read `value` a few times."""
    sensor.value = value
    start = sensor.reads
    eventually(lambda: sensor.reads >= start + reads, timeout=10)


@pytest.mark.slow
def test_absurd_and_stale_readings_never_drive_the_fan(threaded_server, run_agent):
    server = threaded_server(READING_STALE_SECONDS=1.0, COOLING_PAUSE_SECONDS=0)
    sensor = ScriptedSensor()
    run = run_agent(server.url, server.tokens.agent_token, sensor=sensor, reading_interval=0.05)
    assert run.agent.online.wait(10)
    with AppSession(server.url, server.tokens.app_token) as session:
        rule = {"enabled": True, "threshold": 26, "hysteresis": 0.5, "room": "living_room", "device": "fan"}
        assert session.put("/api/v1/automations/cooling", json=rule).status_code == 200

        # A broken sensor's absurd values: the agent drops them, and the server refuses them from
        # any client (an older agent, the original script); none reaches the rule.
        agent = {"Authorization": f"Bearer {server.tokens.agent_token}", "Content-Type": "application/json"}
        for absurd in ((150.0, 40.0), (-90.0, 40.0), (float("nan"), 40.0), (float("inf"), 40.0), (30.0, 250.0)):
            hold(sensor, absurd)
            body = '{"temperature": %r, "humidity": %r}' % absurd
            body = body.replace("nan", "NaN").replace("inf", "Infinity")
            assert session.post("/api/v1/readings", data=body, headers=agent).status_code == 400, body
            legacy = session.post("/set_data", data=body, headers=agent)
            assert legacy.status_code == 400, body
        latest = session.get("/api/v1/readings/latest").json()
        assert latest == {"temperature": None, "humidity": None, "at": None, "stale": True}
        assert automation(session) == [] and fan_state(run) == "off"

        # A real hot reading does drive it (so the refusals above mean something), even right after
        # a NaN, which cannot be sent as JSON and must not block the readings behind it.
        hold(sensor, (30.0, 40.0))
        first = eventually(lambda: automation(session))
        eventually(lambda: session.command(first[0]["id"])["status"] == "done")
        assert fan_state(run) == "on"

        # The sensor falls silent: the app is told the reading is stale, and a rule change that
        # the old 30 °C would answer with "fan off" does nothing.
        sensor.value = None
        latest = eventually(lambda: (body := session.get("/api/v1/readings/latest").json())["stale"] and body, timeout=5)
        assert latest["temperature"] == 30.0
        assert session.put("/api/v1/automations/cooling", json={**rule, "threshold": 35}).status_code == 200
        hold(sensor, (150.0, 40.0))
        # Readings from long ago (an old backlog) are stored for the chart but never drive the fan.
        old = datetime.now(timezone.utc) - timedelta(minutes=10)
        backlog = [{"temperature": 15.0, "humidity": 40.0, "at": (old + timedelta(seconds=i)).isoformat()}
                   for i in range(3)]
        assert session.post("/api/v1/readings", json=backlog, headers=agent).status_code == 201
        time.sleep(0.3)
        assert len(automation(session)) == 1, automation(session)
        assert fan_state(run) == "on"
        assert session.get("/api/v1/readings/latest").json()["stale"] is True


def test_a_reading_from_a_fast_clock_goes_stale_on_time(make_home):
    # An agent whose clock runs a minute ahead must not keep its last reading "fresh" (able to drive
    # the fan) for a minute longer after the sensor stops.
    home = make_home(READING_STALE_SECONDS=0.5, COOLING_PAUSE_SECONDS=0)
    client, agent, phone = home.client, home.agent_headers, home.app_headers
    ahead = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()
    assert client.post("/api/v1/readings", json={"temperature": 20, "humidity": 40, "at": ahead},
                       headers=agent).status_code == 201
    time.sleep(0.7)
    assert client.get("/api/v1/readings/latest", headers=phone).get_json()["stale"] is True
    rule = {"enabled": True, "threshold": 15, "hysteresis": 0.5, "room": "living_room", "device": "fan"}
    client.put("/api/v1/automations/cooling", json=rule, headers=phone)
    assert [c for c in client.get("/api/v1/commands", headers=phone).get_json()["commands"]] == []


def test_a_reading_between_ack_and_device_report_does_not_queue_the_fan_again(make_home):
    # The agent acknowledges a command, then reports its devices in a separate request. A reading
    # that arrives in between must not make the rule switch the fan on a second time.
    home = make_home(COOLING_PAUSE_SECONDS=0)
    client, agent, phone = home.client, home.agent_headers, home.app_headers
    fan_off = [{"room": "living_room", "device": "fan", "kind": "relay", "state": "off"}]
    client.put("/api/v1/devices", json={"devices": fan_off}, headers=agent)
    rule = {"enabled": True, "threshold": 26, "hysteresis": 0.5, "room": "living_room", "device": "fan"}
    client.put("/api/v1/automations/cooling", json=rule, headers=phone)
    client.post("/api/v1/readings", json={"temperature": 30, "humidity": 40}, headers=agent)
    command = client.get("/api/v1/agent/next", headers=agent).get_json()
    assert command["actions"] == [{"room": "living_room", "device": "fan", "action": "on"}]
    client.post(f"/api/v1/commands/{command['id']}/ack", json={"status": "done", "result": "on"}, headers=agent)
    client.post("/api/v1/readings", json={"temperature": 30.5, "humidity": 40}, headers=agent)
    commands = client.get("/api/v1/commands", headers=phone).get_json()["commands"]
    assert [c["id"] for c in commands] == [command["id"]], commands
