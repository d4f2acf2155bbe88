"""Fixtures and helpers for the command-language tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from homerelay.house import House
from homerelay.language import ParseResult

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_EXAMPLES = REPO_ROOT.parent / "shared" / "commands-examples.tsv"

CUSTOM_HOUSE_YAML = """
rooms:
  - porch
  - kitchen
  - {name: study, aliases: [office, den]}
devices:
  - {room: porch,   name: light,  kind: led,   pin: 5}
  - {room: porch,   name: heater, kind: relay, pin: 6, active_high: false}
  - {room: kitchen, name: light,  kind: led,   pin: 7}
  - {room: kitchen, name: kettle, kind: relay, pin: 8, aliases: [boiler]}
  - {room: study,   name: desk_lamp, kind: led, pin: 9}
  - {room: study,   name: fan,    kind: relay, pin: 10}
  - {room: porch,   name: gate,   kind: servo, pin: 12, open_angle: 45, closed_angle: -45}
sensor: {kind: dht11, pin: 25, interval: 5}
"""


def describe(result: ParseResult) -> str:
    """A result in the examples file's notation: room:device:action;... or @intent or !reject."""
    if not result.ok:
        return "!reject"
    if result.intent != "control":
        return f"@{result.intent}"
    return ";".join(f"{a.room}:{a.device}:{a.action}" for a in result.actions)


def matches(result: ParseResult, expected: str) -> bool:
    """Does a result mean what the notation says (actions in any order)?"""
    if expected.startswith("!reject"):
        return not result.ok
    if expected.startswith("@"):
        return result.ok and result.intent == expected[1:]
    got = describe(result)
    return result.intent == "control" and sorted(got.split(";")) == sorted(expected.split(";"))


@pytest.fixture(scope="session")
def house() -> House:
    """The default house."""
    return House.default()


@pytest.fixture(scope="session")
def custom_house() -> House:
    """A house with other rooms and devices (porch, heater, study with aliases...)."""
    return House.from_yaml(CUSTOM_HOUSE_YAML)
