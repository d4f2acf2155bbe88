"""Confirmation: which actions switch a `confirm: true` device, and the sentence that asks."""

from __future__ import annotations

import pytest

from homerelay.house import House
from homerelay.language import Action, confirmation, parse

from .conftest import CUSTOM_HOUSE_YAML


@pytest.mark.parametrize(("text", "message"), [
    ("open the garage door", "This will open the garage door."),
    ("close the door", "This will close the garage door."),
    ("switch on the oven", "This will turn on the kitchen oven."),
    ("turn on the kitchen light and open the door", "This will open the garage door."),
    ("turn on everything", "This will turn on the kitchen oven and open the garage door."),
    ("turn off everything", "This will turn off the kitchen oven and close the garage door."),
])
def test_a_confirm_device_is_asked_about(text: str, message: str, house) -> None:
    result = parse(text, house)
    asked = confirmation(result.actions, house)
    assert asked is not None and asked.message == message
    assert all(house.device(a.room, a.device).confirm for a in asked.actions)


@pytest.mark.parametrize("text", [
    "turn on the kitchen light", "switch on each and every light", "turn off all the fans",
    "is the garage door open", "how warm is it", "history",
])
def test_other_commands_need_no_confirmation(text: str, house) -> None:
    assert confirmation(parse(text, house).actions, house) is None


def test_the_question_parses_back_to_the_same_actions(house) -> None:
    asked = confirmation(parse("turn on everything", house).actions, house)
    again = parse(asked.message.removeprefix("This will ").rstrip("."), house)
    assert again.actions == asked.actions


def test_a_device_already_in_that_state_needs_no_yes(house) -> None:
    actions = parse("turn off everything", house).actions
    states = {("garage", "door"): "off", ("kitchen", "oven"): "on"}
    asked = confirmation(actions, house, states)
    assert asked.actions == (Action("kitchen", "oven", "off"),)
    assert confirmation(actions, house, {**states, ("kitchen", "oven"): "off"}) is None


def test_a_custom_house_says_which_of_its_devices_need_a_yes() -> None:
    house = House.from_yaml(CUSTOM_HOUSE_YAML.replace("open_angle: 45", "confirm: true, open_angle: 45"))
    asked = confirmation(parse("open the gate and turn on the heater", house).actions, house)
    assert asked.actions == (Action("porch", "gate", "on"),)
    assert asked.message == "This will open the porch gate."
