"""Carrying out commands: actions, list, all off, terminate, bad commands."""

from __future__ import annotations

import pytest

from homerelay.agent.devices import HouseDevices
from homerelay.agent.executor import Executor


@pytest.fixture
def executor(pin_factory, house):
    with HouseDevices(house, pin_factory, servo_move_seconds=0.01) as devices:
        yield Executor(devices)


def control(*actions):
    return {"id": 1, "intent": "control",
            "actions": [{"room": r, "device": d, "action": a} for r, d, a in actions]}


def test_actions_are_carried_out(executor, pin_factory):
    outcome = executor.carry_out(control(("kitchen", "light", "on"), ("bedroom", "fan", "on")))
    assert (outcome.status, outcome.result) == ("done", "kitchen light on, bedroom fan on")
    assert pin_factory.pin(4).state == 1 and pin_factory.pin(24).state == 0
    assert not outcome.terminate


def test_door_says_open_and_closed(executor):
    assert executor.carry_out(control(("garage", "door", "on"))).result == "garage door open"
    assert executor.carry_out(control(("garage", "door", "off"))).result == "garage door closed"


def test_unknown_device_fails_and_switches_nothing(executor):
    outcome = executor.carry_out(control(("kitchen", "light", "on"), ("kitchen", "fan", "on")))
    assert outcome.status == "failed" and "no fan in the kitchen" in outcome.result
    assert executor.devices.names_on() == []


@pytest.mark.parametrize("command", [
    {"id": 2, "intent": None, "actions": []},
    {"id": 3, "intent": "control", "actions": [{"room": "kitchen", "device": "light",
                                                "action": "toggle"}]},
    {"id": 4, "intent": "control", "actions": [{"room": "kitchen"}]},
])
def test_bad_commands_fail(executor, command):
    assert executor.carry_out(command).status == "failed"


def test_list(executor):
    assert executor.carry_out({"id": 5, "intent": "list"}).result == "everything is off"
    executor.carry_out(control(("living_room", "light", "on"), ("kitchen", "oven", "on")))
    outcome = executor.carry_out({"id": 6, "intent": "list", "actions": []})
    assert outcome.result == "on: living room light, kitchen oven"


def test_all_off(executor):
    executor.carry_out(control(("living_room", "fan", "on"), ("garage", "door", "on")))
    outcome = executor.carry_out({"id": 7, "intent": "all_off", "actions": []})
    assert outcome.status == "done" and executor.devices.names_on() == []


def test_terminate_turns_all_off_and_asks_to_stop(executor):
    executor.carry_out(control(("bathroom", "light", "on")))
    outcome = executor.carry_out({"id": 8, "intent": "terminate", "actions": []})
    assert outcome.terminate and outcome.status == "done"
    assert executor.devices.names_on() == []
