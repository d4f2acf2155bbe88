"""The language takes every name from the house: a porch, a heater, aliases, no code change."""

from __future__ import annotations

import pytest

from homerelay.house import House
from homerelay.language import parse

from .conftest import describe, matches

CUSTOM = [
    ("turn on the porch heater", "porch:heater:on"),
    ("turn on the heater", "porch:heater:on"),
    ("heaters off", "porch:heater:off"),
    ("switch on the porch light", "porch:light:on"),
    ("turn on the kettle", "kitchen:kettle:on"),
    ("boil... no, turn on the boiler", "!reject"),
    ("turn on the boiler", "kitchen:kettle:on"),
    ("turn on the desk lamp", "study:desk_lamp:on"),
    ("turn on the desklamp", "study:desk_lamp:on"),
    ("turn off the office fan", "study:fan:off"),
    ("turn off the den fan", "study:fan:off"),
    ("cool down the study", "study:fan:on"),
    ("cool down", "study:fan:on"),
    ("open the gate", "porch:gate:on"),
    ("turn off everything on the porch", "porch:light:off;porch:heater:off;porch:gate:off"),
    ("turn off all the lights", "porch:light:off;kitchen:light:off"),
    ("turn on the light", "!reject:Which light? There is one in the porch and the kitchen."),
    ("turn on the living room light", "!reject"),
    ("turn on the tv", "!reject"),
    ("turn on the porch kettle", "!reject:There is no kettle in the porch."),
    ("turn off everything", "@all_off"),
    ("history", "@list"),
]


@pytest.mark.parametrize(("text", "expected"), CUSTOM)
def test_custom_house(text: str, expected: str, custom_house: House) -> None:
    result = parse(text, custom_house)
    assert matches(result, expected), f"{text!r} -> {describe(result)} ({result.error})"
    if expected.startswith("!reject:"):
        assert result.error == expected.split(":", 1)[1]


def test_custom_house_from_json_round_trip_parses_the_same(custom_house: House) -> None:
    copy = House.from_mapping(custom_house.to_mapping())
    for text, _ in CUSTOM:
        assert parse(text, copy) == parse(text, custom_house)


def test_house_names_win_over_vocabulary_synonyms() -> None:
    # "lamp" is a spoken synonym of "light", but this house has a device called lamp.
    house = House.from_mapping({
        "rooms": ["hall"],
        "devices": [{"room": "hall", "name": "lamp", "kind": "led", "pin": 2},
                    {"room": "hall", "name": "light", "kind": "led", "pin": 3}],
    })
    assert describe(parse("turn on the lamp", house)) == "hall:lamp:on"
    assert describe(parse("turn on the light", house)) == "hall:light:on"
    assert describe(parse("turn off the lamps", house)) == "hall:lamp:off"


def test_synonyms_apply_only_to_devices_the_house_has() -> None:
    house = House.from_mapping({
        "rooms": ["hall"], "devices": [{"room": "hall", "name": "fan", "kind": "relay", "pin": 2}]})
    assert not parse("turn on the television", house).ok
    assert not parse("turn on the lamp", house).ok
    assert describe(parse("turn on the fan", house)) == "hall:fan:on"


def test_a_house_without_fans_cannot_be_cooled_down() -> None:
    house = House.from_mapping({
        "rooms": ["hall"], "devices": [{"room": "hall", "name": "light", "kind": "led", "pin": 2}]})
    assert not parse("cool down the hall", house).ok
    assert not parse("cool down", house).ok


TEMPLATES = [
    "turn {action} the {room} {device}",
    "{room} {device} {action}",
    "switch the {device} in the {room} {action}",
    "in the {room}, {action} with the {device} please",
]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("action", ["on", "off"])
def test_every_device_of_every_house_in_any_order(template: str, action: str, house: House,
                                                  custom_house: House) -> None:
    for each in (house, custom_house):
        for device in each.devices:
            text = template.format(action=action, room=device.room.replace("_", " "),
                                   device=device.name.replace("_", " "))
            assert describe(parse(text, each)) == f"{device.room}:{device.name}:{action}", text
