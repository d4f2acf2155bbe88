"""docs/wiring.md and its diagram agree with the default house and the 40-pin header."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from homerelay.house import House

DOCS = Path(__file__).resolve().parents[1] / "docs"
# BCM GPIO number -> physical pin of the 40-pin header (the Raspberry Pi pinout).
HEADER = {2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 0: 27, 5: 29,
          6: 31, 13: 33, 19: 35, 26: 37, 14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22,
          8: 24, 7: 26, 1: 28, 12: 32, 16: 36, 20: 38, 21: 40}
ROW = re.compile(r"^\| (\S+) \| (\S+) \| [^|]+ \| (\d+) \| (\d+) \|", re.MULTILINE)


def _rows() -> list[tuple[str, str, int, int]]:
    text = (DOCS / "wiring.md").read_text(encoding="utf-8")
    return [(room, name, int(bcm), int(pin)) for room, name, bcm, pin in ROW.findall(text)]


def test_the_table_has_every_device_and_the_sensor_on_its_pins() -> None:
    house = House.default()
    expected = [(d.room, d.name, d.pin) for d in house.devices] + [("—", "DHT11", house.sensor.pin)]
    assert [(room, name, bcm) for room, name, bcm, _ in _rows()] == expected


@pytest.mark.parametrize(("room", "name", "bcm", "pin"), _rows())
def test_each_physical_pin_is_right(room, name, bcm, pin) -> None:
    assert HEADER[bcm] == pin, f"{room} {name}: BCM {bcm} is pin {HEADER[bcm]}, not {pin}"


def test_the_diagram_labels_the_same_pins() -> None:
    svg = (DOCS / "wiring.svg").read_text(encoding="utf-8")
    labels = {int(bcm): int(pin) for pin, bcm in re.findall(r"pin (\d+) · BCM (\d+)", svg)}
    assert labels == {bcm: pin for _, _, bcm, pin in _rows()}
