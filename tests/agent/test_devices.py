"""Devices on gpiozero's mock pins: wiring, safe start, the servo door's pulses and detach."""

from __future__ import annotations

import time

import pytest

from homerelay import const
from homerelay.agent.devices import GarageDoor, HouseDevices, Led, RelayChannel
from homerelay.agent.pins import choose_pin_factory
from homerelay.errors import UnknownDeviceError
from homerelay.house import DeviceSpec

MOVE = 0.05
DOOR = DeviceSpec(room="garage", name="door", kind=const.KIND_SERVO, pin=13)


def duty(pulse_width: float, frame_width: float = 0.02) -> float:
    return pulse_width / frame_width


def wait_detached(factory, pin: int, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while factory.pin(pin).frequency is not None and time.monotonic() < deadline:
        time.sleep(0.01)


def servo_driven(pin) -> bool:
    """Whether the servo's pin is still being pulsed (a detached servo's pin has no frequency)."""
    return pin.frequency is not None


@pytest.fixture
def devices(pin_factory, house):
    with HouseDevices(house, pin_factory, servo_move_seconds=MOVE) as bank:
        yield bank


def test_safe_initial_state(devices, pin_factory, house):
    for spec in house.devices:
        pin = pin_factory.pin(spec.pin)
        if spec.kind == const.KIND_LED:
            assert pin.state == 0, spec
        elif spec.kind == const.KIND_RELAY:
            assert pin.state == 1, f"{spec}: an active-low relay is off when its pin is high"
    assert all(s["state"] == const.ACTION_OFF for s in devices.states())
    # The door is driven to closed, then its signal stops.
    wait_detached(pin_factory, 13)
    assert pin_factory.pin(13).frequency is None
    assert pin_factory.pin(13).state == 0


@pytest.mark.parametrize(
    ("room", "name", "pin", "on_state", "off_state"),
    [
        ("living_room", "light", 23, 1, 0),   # LED: on = high
        ("kitchen", "oven", 17, 1, 0),
        ("living_room", "fan", 27, 0, 1),     # relay board is active low: on = low
        ("living_room", "tv", 16, 0, 1),
        ("bedroom", "fan", 24, 0, 1),
    ],
)
def test_switching_sets_pin(devices, pin_factory, room, name, pin, on_state, off_state):
    assert devices.set(room, name, const.ACTION_ON) is True
    assert pin_factory.pin(pin).state == on_state
    assert devices.set(room, name, const.ACTION_ON) is False  # already on
    assert devices.set(room, name, const.ACTION_OFF) is True
    assert pin_factory.pin(pin).state == off_state


def test_door_pulses_then_detaches(pin_factory):
    with GarageDoor(DOOR, pin_factory, move_seconds=MOVE) as door:
        pin = pin_factory.pin(13)
        assert pin.frequency == 50
        assert pin.state == pytest.approx(duty(0.0005))  # closed: 0 degrees
        wait_detached(pin_factory, 13)
        door.open()
        assert door.is_on and servo_driven(pin)
        assert pin.frequency == 50
        assert pin.state == pytest.approx(duty(0.0015))  # open: 90 degrees of 0..180
        wait_detached(pin_factory, 13)
        assert pin.frequency is None and pin.state == 0 and not servo_driven(pin)
        assert door.is_on, "a detached door stays open"
        door.shut()
        assert pin.state == pytest.approx(duty(0.0005))
        wait_detached(pin_factory, 13)
        assert not door.is_on and pin.frequency is None


def test_door_custom_angles(pin_factory):
    spec = DeviceSpec(room="garage", name="door", kind=const.KIND_SERVO, pin=12,
                      open_angle=180.0, closed_angle=45.0, min_pulse_width=0.001,
                      max_pulse_width=0.002)
    with GarageDoor(spec, pin_factory, move_seconds=MOVE) as door:
        assert pin_factory.pin(12).state == pytest.approx(duty(0.00125))
        door.open()
        assert pin_factory.pin(12).state == pytest.approx(duty(0.002))


def test_state_objects_and_listing(devices):
    devices.set("kitchen", "light", "on")
    devices.set("garage", "door", "on")
    states = {(s["room"], s["device"]): s for s in devices.states()}
    assert states[("kitchen", "light")] == {
        "room": "kitchen", "device": "light", "kind": "led", "state": "on"}
    assert states[("garage", "door")]["state"] == "on"
    assert states[("bedroom", "fan")]["state"] == "off"
    assert devices.names_on() == ["kitchen light", "garage door"]


def test_running_fans(devices):
    assert devices.running_fans() == 0
    devices.set("living_room", "fan", "on")
    devices.set("bedroom", "fan", "on")
    devices.set("living_room", "tv", "on")
    assert devices.running_fans() == 2


def test_make_safe_turns_everything_off(devices, pin_factory):
    for room, name in [("living_room", "fan"), ("kitchen", "light"), ("garage", "door")]:
        devices.set(room, name, "on")
    devices.make_safe()
    assert devices.names_on() == []
    assert pin_factory.pin(27).state == 1
    assert pin_factory.pin(13).frequency is None  # shut, and no longer driven


@pytest.mark.parametrize(("room", "name"), [("kitchen", "fan"), ("garden", "light")])
def test_unknown_device(devices, room, name):
    with pytest.raises(UnknownDeviceError, match=f"no {name} in the {room}"):
        devices.set(room, name, "on")


def test_bad_action(devices):
    with pytest.raises(ValueError, match="unknown action"):
        devices.set("kitchen", "light", "toggle")


def test_close_releases_pins(pin_factory, house):
    bank = HouseDevices(house, pin_factory, servo_move_seconds=MOVE)
    bank.close()
    # Every pin can be claimed again once the devices are closed.
    with Led(house.device("kitchen", "light"), pin_factory), \
            RelayChannel(house.device("living_room", "fan"), pin_factory):
        pass


def test_simulate_forces_mock_pins(caplog):
    factory, simulated = choose_pin_factory(simulate=True)
    assert simulated and type(factory).__name__ == "MockFactory"
    factory.close()


def test_no_gpio_falls_back_with_one_line(monkeypatch, caplog):
    # A factory name that cannot load stands in for a machine without GPIO, on any machine.
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no_such_factory")
    caplog.set_level("INFO", logger="homerelay.agent.pins")
    factory, simulated = choose_pin_factory(simulate=False)
    factory.close()
    assert simulated
    lines = [r for r in caplog.records if r.name == "homerelay.agent.pins"]
    assert len(lines) == 1 and "No GPIO found" in lines[0].getMessage()
