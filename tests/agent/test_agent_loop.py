"""The agent's loop against a fake relay server that records every call."""

from __future__ import annotations

import random
import time

from homerelay.agent.backoff import Backoff
from tests.support.polling import poll

LIGHT_ON = {"id": 1, "text": "turn on the kitchen light", "intent": "control",
            "actions": [{"room": "kitchen", "device": "light", "action": "on"}]}
TERMINATE = {"id": 9, "text": "terminate", "intent": "terminate", "actions": []}


def state_of(report, room, device):
    return next(d["state"] for d in report if d["room"] == room and d["device"] == device)


def test_connect_uploads_house_and_devices(fake_relay, run_agent, house):
    runner = run_agent(fake_relay.url, fake_relay.token)
    assert fake_relay.wait_for(lambda: fake_relay.device_reports and fake_relay.polls)
    assert fake_relay.houses == [house.to_mapping()]
    first = fake_relay.device_reports[0]
    assert len(first) == len(house.devices)
    assert {d["state"] for d in first} == {"off"}
    assert runner.agent.online.is_set()


def test_command_carried_out_acked_and_state_reported(fake_relay, run_agent, pin_factory):
    run_agent(fake_relay.url, fake_relay.token)
    fake_relay.push(LIGHT_ON)
    assert fake_relay.wait_for(lambda: len(fake_relay.device_reports) >= 2)
    assert fake_relay.acks == [(1, {"status": "done", "result": "kitchen light on"})]
    assert pin_factory.pin(4).state == 1
    assert state_of(fake_relay.device_reports[-1], "kitchen", "light") == "on"


def test_redelivery_is_acked_without_acting_twice(fake_relay, run_agent, pin_factory, tmp_path):
    runner = run_agent(fake_relay.url, fake_relay.token)
    fake_relay.push(LIGHT_ON)
    assert fake_relay.wait_for(lambda: len(fake_relay.acks) == 1)
    changes = len(pin_factory.pin(4).states)  # the mock pin's history of levels
    fake_relay.push(LIGHT_ON)
    assert fake_relay.wait_for(lambda: len(fake_relay.acks) == 2)
    assert fake_relay.acks[1] == (1, {"status": "done", "result": "kitchen light on"})
    assert len(pin_factory.pin(4).states) == changes
    runner.stop()
    # A restarted agent remembers it too (the state file): the light stays off after the
    # stop left the house safe, because the redelivered command is not carried out again.
    run_agent(fake_relay.url, fake_relay.token)
    fake_relay.push(LIGHT_ON)
    assert fake_relay.wait_for(lambda: len(fake_relay.acks) == 3)
    assert fake_relay.acks[2][1]["status"] == "done"
    assert pin_factory.pin(4).state == 0


def test_readings_uploaded(fake_relay, run_agent):
    run_agent(fake_relay.url, fake_relay.token)
    assert fake_relay.wait_for(lambda: len(fake_relay.readings) >= 2)
    assert fake_relay.readings[0] == {"temperature": 24.0, "humidity": 50.0}


def test_outage_buffers_readings_and_sends_a_batch(fake_relay, run_agent):
    runner = run_agent(fake_relay.url, fake_relay.token)
    assert fake_relay.wait_for(lambda: fake_relay.readings)
    fake_relay.stop()
    uploader = runner.agent.uploader
    assert poll(lambda: len(uploader.buffer) >= 3, timeout=5)
    assert not runner.agent.online.is_set() or poll(lambda: not runner.agent.online.is_set(), timeout=5)
    sent_before = len(fake_relay.readings)
    reports_before = len(fake_relay.device_reports)
    fake_relay.start()  # same port
    assert fake_relay.wait_for(
        lambda: any(isinstance(body, list) for body in fake_relay.readings[sent_before:]), 10
    )
    batch = next(b for b in fake_relay.readings[sent_before:] if isinstance(b, list))
    assert len(batch) >= 3
    assert all(set(r) == {"temperature", "humidity", "at"} for r in batch)
    assert [r["at"] for r in batch] == sorted(r["at"] for r in batch)
    # The agent reconnected: house and devices uploaded again, and it polls for commands.
    assert fake_relay.wait_for(lambda: len(fake_relay.device_reports) > reports_before, 10)
    fake_relay.push(LIGHT_ON)
    assert fake_relay.wait_for(lambda: fake_relay.acks, 10)


def test_terminate_acks_then_exits_0_and_only_once(fake_relay, run_agent, pin_factory):
    runner = run_agent(fake_relay.url, fake_relay.token)
    fake_relay.push(LIGHT_ON)
    fake_relay.push(TERMINATE)
    runner.thread.join(5)
    assert not runner.thread.is_alive() and runner.exit_code == 0
    assert fake_relay.acks[-1] == (9, {"status": "done",
                                       "result": "everything is off; the agent stops"})
    assert pin_factory.pin(4).state == 0
    # A restarted agent that gets the same terminate again does not stop again.
    again = run_agent(fake_relay.url, fake_relay.token)
    fake_relay.push(TERMINATE)
    assert fake_relay.wait_for(lambda: len(fake_relay.acks) == 3)
    assert again.thread.is_alive()


def test_wrong_token_exits_non_zero(fake_relay, run_agent, caplog):
    runner = run_agent(fake_relay.url, "wrong-token")
    runner.thread.join(5)
    assert runner.exit_code == 2
    assert "refused the token" in caplog.text


def test_stop_leaves_devices_safe(fake_relay, run_agent, pin_factory):
    runner = run_agent(fake_relay.url, fake_relay.token)
    fake_relay.push({**LIGHT_ON, "actions": [{"room": "living_room", "device": "fan",
                                              "action": "on"}]})
    assert fake_relay.wait_for(lambda: fake_relay.acks)
    assert pin_factory.pin(27).state == 0
    runner.stop()
    assert runner.exit_code == 0
    # The fan was switched off (active-low relay: pin high) before its pin was released.
    levels = [change.state for change in pin_factory.pin(27).states]
    assert levels[-2:] == [1, 0] and pin_factory.pin(27).function == "input"


def test_idle_agent_paces_its_polls_when_the_server_does_not_wait(fake_relay, run_agent):
    fake_relay.max_wait = 0  # like HOMERELAY_MAX_WAIT=0: every poll answered at once
    run_agent(fake_relay.url, fake_relay.token, min_poll_interval=0.5, wait=30.0)
    assert fake_relay.wait_for(lambda: fake_relay.polls)
    time.sleep(1.6)
    assert 2 <= fake_relay.polls <= 5


def test_backoff_is_capped_with_jitter():
    backoff = Backoff(1.0, 30.0, random.Random(3))
    delays = [backoff.next_delay() for _ in range(10)]
    assert 0.5 <= delays[0] <= 1.0
    assert all(d <= 30.0 for d in delays) and max(delays) >= 15.0
    assert len(set(delays)) == len(delays)
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_backoff_survives_a_very_long_outage():
    backoff = Backoff(1.0, 30.0, random.Random(3))
    for _ in range(5000):
        assert backoff.next_delay() <= 30.0
