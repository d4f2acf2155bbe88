"""The house layout: the default house, YAML/JSON round trips and one-line errors."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from homerelay import const
from homerelay.errors import HouseError, UnknownDeviceError
from homerelay.house import DeviceSpec, House, SensorSpec, label, said, state_word

# The contract's table (design.md "The default house").
DEFAULT_TABLE = [
    ("living_room", "light", const.KIND_LED, 23, True),
    ("living_room", "fan", const.KIND_RELAY, 27, False),
    ("living_room", "tv", const.KIND_RELAY, 16, False),
    ("kitchen", "light", const.KIND_LED, 4, True),
    ("kitchen", "oven", const.KIND_LED, 17, True),
    ("bedroom", "light", const.KIND_LED, 26, True),
    ("bedroom", "fan", const.KIND_RELAY, 24, False),
    ("bathroom", "light", const.KIND_LED, 6, True),
    ("garage", "light", const.KIND_LED, 22, True),
    ("garage", "door", const.KIND_SERVO, 13, True),
]

GOOD = """
rooms: [hall]
devices:
  - {room: hall, name: light, kind: led, pin: 2}
"""


def test_default_house_is_the_contract_table() -> None:
    house = House.default()
    assert house.rooms == ("living_room", "kitchen", "bedroom", "bathroom", "garage")
    assert [(d.room, d.name, d.kind, d.pin, d.active_high) for d in house.devices] == DEFAULT_TABLE
    assert house.sensor == SensorSpec(kind=const.SENSOR_DHT11, pin=25, interval=10.0)
    door = house.device("garage", "door")
    assert (door.min_pulse_width, door.max_pulse_width, door.frame_width) == (0.0005, 0.0025, 0.02)
    assert (door.open_angle, door.closed_angle) == (90.0, 0.0)


def test_the_garage_door_and_the_oven_ask_for_confirmation() -> None:
    house = House.default()
    assert [(d.room, d.name) for d in house.devices if d.confirm] == [
        ("kitchen", "oven"), ("garage", "door")]


def test_confirm_defaults_to_false_and_round_trips() -> None:
    house = House.from_yaml("rooms: [hall]\ndevices:\n"
                            "  - {room: hall, name: light, kind: led, pin: 2}\n"
                            "  - {room: hall, name: gate, kind: servo, pin: 3, confirm: true}\n")
    assert [d.confirm for d in house.devices] == [False, True]
    mapping = house.to_mapping()
    assert "confirm" not in mapping["devices"][0] and mapping["devices"][1]["confirm"] is True
    assert House.from_mapping(json.loads(json.dumps(mapping))) == house


def test_example_file_ships_as_package_data() -> None:
    text = resources.files("homerelay").joinpath("house.example.yaml").read_text()
    assert House.from_yaml(text) == House.default()


def test_from_file_reads_the_example(tmp_path) -> None:
    path = tmp_path / "house.yaml"
    path.write_text(resources.files("homerelay").joinpath("house.example.yaml").read_text())
    assert House.from_file(path) == House.default()
    assert House.from_file(str(path)) == House.default()


@pytest.mark.parametrize("house", [House.default(), House.from_yaml("""
rooms: [porch, {name: study, aliases: [office]}]
devices:
  - {room: porch, name: heater, kind: relay, pin: 5, active_high: false, aliases: [radiator]}
  - {room: study, name: blind, kind: servo, pin: 12, open_angle: -30, closed_angle: 60.5,
     min_pulse_width: 0.001, max_pulse_width: 0.002, frame_width: 0.025}
""")])
def test_to_mapping_is_json_and_round_trips(house: House) -> None:
    data = json.loads(json.dumps(house.to_mapping()))
    assert House.from_mapping(data) == house
    assert House.from_mapping(data).to_mapping() == house.to_mapping()


def test_device_lookup() -> None:
    house = House.default()
    assert house.device("kitchen", "oven") == DeviceSpec("kitchen", "oven", const.KIND_LED, 17,
                                                         confirm=True)
    assert house.find("kitchen", "fan") is None
    assert house.find("garage", "door") is house.device("garage", "door")
    with pytest.raises(UnknownDeviceError, match="no fan in the kitchen"):
        house.device("kitchen", "fan")
    with pytest.raises(KeyError):
        house.device("attic", "light")


def test_room_and_device_helpers() -> None:
    house = House.default()
    assert house.rooms_with("fan") == ("living_room", "bedroom")
    assert [d.name for d in house.devices_in("garage")] == ["light", "door"]



@pytest.mark.parametrize(("room", "device", "spoken"), [
    ("living_room", "tv", "living room tv"),
    ("study", "desk_lamp", "study desk lamp"),
    (None, "temperature", "temperature"),
])
def test_label_is_how_people_say_a_device(room, device, spoken) -> None:
    assert label(room, device) == spoken


@pytest.mark.parametrize(("kind", "action", "word"), [
    (const.KIND_SERVO, "on", "open"), (const.KIND_SERVO, "off", "closed"),
    (const.KIND_LED, "on", "on"), (const.KIND_RELAY, "off", "off"), (None, "on", "on"),
])
def test_state_word_says_a_door_is_open_or_closed(kind, action, word) -> None:
    assert state_word(kind, action) == word


def test_said_joins_label_and_state() -> None:
    assert said("garage", "door", "on", const.KIND_SERVO) == "garage door open"
    assert said("living_room", "fan", "off", const.KIND_RELAY) == "living room fan off"


def test_sensor_is_optional() -> None:
    assert House.from_yaml(GOOD).sensor is None
    assert House.from_yaml(GOOD + "sensor: null\n").sensor is None


def test_house_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        House.from_mapping([])


DEVICE = "{room: hall, name: light, kind: led, pin: 2}"
BROKEN = [
    # (yaml text, expected one-line error)
    ("- just\n- a list\n", "house: expected a mapping with rooms and devices, got a list"),
    ("just text", "house: expected a mapping with rooms and devices, got text"),
    ("", "house: expected a mapping with rooms and devices, got nothing"),
    (f"devices: [{DEVICE}]", "rooms: missing field"),
    ("rooms: [hall]", "devices: missing field"),
    ("rooms: [hall]\ndevices: []", "devices: expected a non-empty list of devices"),
    (f"rooms: hall\ndevices: [{DEVICE}]", "rooms: expected a non-empty list of room names"),
    (f"rooms: [Hall Way]\ndevices: [{DEVICE}]", "rooms[0]: 'Hall Way' is not a valid name"),
    (f"rooms: [hall, hall]\ndevices: [{DEVICE}]", "rooms[1]: room 'hall' is listed twice"),
    (f"rooms: [hall]\ndevices: [{DEVICE}]\nfloors: 2", "floors: unknown field"),
    ("rooms: [hall]\ndevices: [light]", "devices[0]: expected a mapping, got text"),
    ("rooms: [hall]\ndevices: [{room: hall, kind: led, pin: 2}]", "devices[0].name: missing field"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, pin: 2}]",
     "devices[0].kind: missing field"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led}]",
     "devices[0].pin: missing field"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: lamp, pin: 2}]",
     "devices[0].kind: 'lamp' is not a device kind (led, relay, servo)"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: 28}]",
     "devices[0].pin: 28 is out of range 0..27"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: -1}]",
     "devices[0].pin: -1 is out of range 0..27"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: '4'}]",
     "devices[0].pin: '4' is not a whole number"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: true}]",
     "devices[0].pin: True is not a whole number"),
    (f"rooms: [hall]\ndevices: [{DEVICE}, {{room: hall, name: fan, kind: relay, pin: 2}}]",
     "devices[1].pin: pin 2 is already used by the hall light"),
    (f"rooms: [hall]\ndevices: [{DEVICE}]\nsensor: {{kind: dht11, pin: 2}}",
     "sensor.pin: pin 2 is already used by the hall light"),
    ("rooms: [hall]\ndevices: [{room: attic, name: light, kind: led, pin: 2}]",
     "devices[0].room: 'attic' is not one of the rooms (hall)"),
    (f"rooms: [hall]\ndevices: [{DEVICE}, {{room: hall, name: light, kind: led, pin: 3}}]",
     "devices[1].name: the hall already has a device named 'light'"),
    ("rooms: [hall]\ndevices: [{room: hall, name: Big Light, kind: led, pin: 2}]",
     "devices[0].name: 'Big Light' is not a valid name"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: 2, colour: red}]",
     "devices[0].colour: unknown field"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: 2, active_high: no}]",
     None),  # YAML's `no` is a boolean: accepted
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: 2, active_high: 0}]",
     "devices[0].active_high: 0 is not true or false"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: 2, confirm: 'yes'}]",
     "devices[0].confirm: 'yes' is not true or false"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: 2, open_angle: 9}]",
     "devices[0].open_angle: only a servo has this field, not a led"),
    ("rooms: [hall]\ndevices: [{room: hall, name: door, kind: servo, pin: 2, open_angle: 400}]",
     "devices[0].open_angle: 400.0 is out of range -180..180"),
    ("rooms: [hall]\ndevices: [{room: hall, name: door, kind: servo, pin: 2, "
     "min_pulse_width: 0.003}]", "devices[0]: servo timings must satisfy"),
    ("rooms: [hall]\ndevices: [{room: hall, name: door, kind: servo, pin: 2, frame_width: x}]",
     "devices[0].frame_width: 'x' is not a number"),
    ("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: 2, aliases: lamp}]",
     "devices[0].aliases: expected a list of names"),
    (f"rooms: [hall]\ndevices: [{DEVICE}]\nsensor: {{kind: dht22, pin: 4}}",
     "sensor.kind: 'dht22' is not a sensor kind (dht11)"),
    (f"rooms: [hall]\ndevices: [{DEVICE}]\nsensor: {{pin: 4}}", "sensor.kind: missing field"),
    (f"rooms: [hall]\ndevices: [{DEVICE}]\nsensor: {{kind: dht11, pin: 4, interval: 0.2}}",
     "sensor.interval: 0.2 is too short"),
    (f"rooms: [hall]\ndevices: [{DEVICE}]\nsensor: dht11", "sensor: expected a mapping, got text"),
    ("rooms: [hall\ndevices: []\n", "line 2: YAML syntax error"),
    ("rooms: [hall]\ndevices:\n  - room: hall\n   name: x\n", "line 4: YAML syntax error"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_broken_house_gives_one_line_error(text: str, message: str | None) -> None:
    if message is None:
        House.from_yaml(text)
        return
    with pytest.raises(HouseError) as caught:
        House.from_yaml(text)
    error = str(caught.value)
    assert error.startswith(message), error
    assert "\n" not in error


def test_from_file_names_the_file(tmp_path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("rooms: [hall]\ndevices: [{room: hall, name: light, kind: led, pin: 99}]\n")
    with pytest.raises(HouseError, match=r"broken\.yaml: devices\[0\]\.pin: 99 is out of range"):
        House.from_file(path)


def test_missing_file_is_a_house_error(tmp_path) -> None:
    with pytest.raises(HouseError, match="no such file"):
        House.from_file(tmp_path / "nowhere.yaml")


def test_from_mapping_validates_json_bodies() -> None:
    data = House.default().to_mapping()
    data["devices"][3]["pin"] = 99
    with pytest.raises(HouseError, match=r"^devices\[3\]\.pin: 99 is out of range 0\.\.27$"):
        House.from_mapping(data)
