"""The house layout: rooms, devices with their pins and wiring, and the sensor."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from homerelay import const
from homerelay.errors import HouseError, UnknownDeviceError

logger = logging.getLogger(__name__)

PIN_MIN = 0
PIN_MAX = 27
SENSOR_KINDS = (const.SENSOR_DHT11,)
# The DHT11 cannot be read more often than about once a second.
SENSOR_MIN_INTERVAL = 1.0
DEFAULT_HOUSE_FILE = "house.example.yaml"

_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_DEVICE_FIELDS = ("room", "name", "kind", "pin", "active_high", "confirm", "aliases")
# Servo settings: name -> default. Pulse widths and frame in seconds, angles in degrees.
SERVO_DEFAULTS = {
    "min_pulse_width": 0.0005,
    "max_pulse_width": 0.0025,
    "frame_width": 0.02,
    "open_angle": 90.0,
    "closed_angle": 0.0,
}
_SENSOR_FIELDS = ("kind", "pin", "interval")
_HOUSE_FIELDS = ("rooms", "devices", "sensor")


@dataclass(frozen=True)
class DeviceSpec:
    """One device of the house: where it is, what it is called and how it is wired."""

    room: str
    name: str
    kind: str
    pin: int
    active_high: bool = True
    min_pulse_width: float = SERVO_DEFAULTS["min_pulse_width"]
    max_pulse_width: float = SERVO_DEFAULTS["max_pulse_width"]
    frame_width: float = SERVO_DEFAULTS["frame_width"]
    open_angle: float = SERVO_DEFAULTS["open_angle"]
    closed_angle: float = SERVO_DEFAULTS["closed_angle"]
    aliases: tuple[str, ...] = ()
    # Switching it needs a person's yes first (a garage door, an oven): see language.confirm.
    confirm: bool = False

    def to_mapping(self) -> dict[str, Any]:
        """A JSON-able mapping in the house-file shape (servo fields only for a servo)."""
        data: dict[str, Any] = {
            "room": self.room,
            "name": self.name,
            "kind": self.kind,
            "pin": self.pin,
            "active_high": self.active_high,
        }
        if self.kind == const.KIND_SERVO:
            data.update({key: getattr(self, key) for key in SERVO_DEFAULTS})
        if self.confirm:
            data["confirm"] = True
        if self.aliases:
            data["aliases"] = list(self.aliases)
        return data


@dataclass(frozen=True)
class SensorSpec:
    """The temperature/humidity sensor: its kind, pin and reading interval in seconds."""

    kind: str
    pin: int
    interval: float = const.READING_INTERVAL_SECONDS

    def to_mapping(self) -> dict[str, Any]:
        """A JSON-able mapping in the house-file shape."""
        return {"kind": self.kind, "pin": self.pin, "interval": self.interval}


@dataclass(frozen=True)
class House:
    """A whole house: rooms in order, devices in order, and an optional sensor."""

    rooms: tuple[str, ...]
    devices: tuple[DeviceSpec, ...]
    sensor: SensorSpec | None
    # (room, aliases) pairs, for rooms that have other spoken names.
    room_aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def default(cls) -> House:
        """The contract's default house (the packaged house.example.yaml)."""
        return _default_house()

    @classmethod
    def from_file(cls, path: str | Path) -> House:
        """Load and validate a YAML house file; any problem raises one-line HouseError."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise HouseError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise HouseError(f"{path}: cannot be read ({error})") from None
        try:
            return cls.from_yaml(text)
        except HouseError as error:
            raise HouseError(f"{path}: {error}") from None

    @classmethod
    def from_yaml(cls, text: str) -> House:
        """Parse and validate YAML text (see from_file)."""
        import yaml  # only needed when a house is read from text

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise HouseError(f"{where}YAML syntax error: {problem}") from None
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: Any) -> House:
        """Validate a parsed mapping (YAML or JSON); the error names the field and problem."""
        return _build_house(data)

    def to_mapping(self) -> dict[str, Any]:
        """A JSON-able mapping that from_mapping turns back into an equal House."""
        aliases = dict(self.room_aliases)
        rooms: list[Any] = [
            {"name": room, "aliases": list(aliases[room])} if room in aliases else room
            for room in self.rooms
        ]
        return {
            "rooms": rooms,
            "devices": [device.to_mapping() for device in self.devices],
            "sensor": self.sensor.to_mapping() if self.sensor else None,
        }

    def device(self, room: str, name: str) -> DeviceSpec:
        """The device called `name` in `room`; UnknownDeviceError if there is none."""
        found = self.find(room, name)
        if found is not None:
            return found
        raise UnknownDeviceError(f"there is no {spoken(name)} in the {spoken(room)}")

    def find(self, room: str | None, name: str) -> DeviceSpec | None:
        """The device called `name` in `room`, or None (a lookup that may miss)."""
        return next((d for d in self.devices if d.room == room and d.name == name), None)

    def devices_in(self, room: str) -> tuple[DeviceSpec, ...]:
        """The devices of one room, in file order."""
        return tuple(device for device in self.devices if device.room == room)

    def rooms_with(self, name: str) -> tuple[str, ...]:
        """The rooms that have a device called `name`, in room order."""
        return tuple(room for room in self.rooms if any(
            device.room == room and device.name == name for device in self.devices))

    def aliases_of_room(self, room: str) -> tuple[str, ...]:
        """Other spoken names the house file gives a room."""
        return dict(self.room_aliases).get(room, ())


def spoken(name: str) -> str:
    """A canonical name as said aloud: "living_room" -> "living room"."""
    return name.replace("_", " ")


def label(room: str | None, device: str) -> str:
    """A device as people say it: ("living_room", "tv") -> "living room tv" (the one place)."""
    return spoken(device) if not room else f"{spoken(room)} {spoken(device)}"


def state_word(kind: str | None, action: str) -> str:
    """A device's state as said: a servo door is "open" or "closed", anything else "on" or "off"."""
    if kind == const.KIND_SERVO and action in const.ACTIONS:
        return const.DOOR_OPEN if action == const.ACTION_ON else const.DOOR_CLOSED
    return action


def said(room: str | None, device: str, action: str, kind: str | None = None) -> str:
    """A device with its state, as `parse`, `send` and the agent say it: "garage door open"."""
    return f"{label(room, device)} {state_word(kind, action)}"


@functools.lru_cache(maxsize=1)
def _default_house() -> House:
    text = resources.files("homerelay").joinpath(DEFAULT_HOUSE_FILE).read_text(encoding="utf-8")
    return House.from_yaml(text)


# --- validation -------------------------------------------------------------------------


def _fail(field: str, problem: str) -> HouseError:
    return HouseError(f"{field}: {problem}" if field else problem)


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
            type(None): "nothing"}.get(type(value), type(value).__name__)


def _mapping(value: Any, field: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(field, f"expected a mapping, got {_type_name(value)}")
    for key in value:
        if key not in allowed:
            raise _fail(f"{field}.{key}" if field else str(key),
                        f"unknown field (expected one of {', '.join(allowed)})")
    return value


def _required(data: dict[str, Any], key: str, field: str) -> Any:
    if key not in data or data[key] is None:
        raise _fail(f"{field}.{key}" if field else key, "missing field")
    return data[key]


def _name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise _fail(field, f"{value!r} is not a valid name "
                           "(lower case letters and digits, words joined by _)")
    return value


def _aliases(value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(field, "expected a list of names")
    return tuple(v.strip().lower() for v in value)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(field, f"{value!r} is not a number")
    return float(value)


def _pin(value: Any, field: str, used: dict[int, str], owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, f"{value!r} is not a whole number")
    if not PIN_MIN <= value <= PIN_MAX:
        raise _fail(field, f"{value} is out of range {PIN_MIN}..{PIN_MAX}")
    if value in used:
        raise _fail(field, f"pin {value} is already used by the {used[value]}")
    used[value] = owner
    return value


def _rooms(value: Any) -> tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    if not isinstance(value, list) or not value:
        raise _fail("rooms", "expected a non-empty list of room names")
    rooms: list[str] = []
    aliases: list[tuple[str, tuple[str, ...]]] = []
    for index, item in enumerate(value):
        field = f"rooms[{index}]"
        if isinstance(item, dict):
            item = _mapping(item, field, ("name", "aliases"))
            room = _name(_required(item, "name", field), f"{field}.name")
            extra = _aliases(item.get("aliases"), f"{field}.aliases")
            if extra:
                aliases.append((room, extra))
        else:
            room = _name(item, field)
        if room in rooms:
            raise _fail(field, f"room {room!r} is listed twice")
        rooms.append(room)
    return tuple(rooms), tuple(aliases)


def _device(item: Any, field: str, rooms: tuple[str, ...], used: dict[int, str]) -> DeviceSpec:
    item = _mapping(item, field, _DEVICE_FIELDS + tuple(SERVO_DEFAULTS))
    room = _required(item, "room", field)
    if room not in rooms:
        raise _fail(f"{field}.room", f"{room!r} is not one of the rooms ({', '.join(rooms)})")
    name = _name(_required(item, "name", field), f"{field}.name")
    kind = _required(item, "kind", field)
    if kind not in const.DEVICE_KINDS:
        raise _fail(f"{field}.kind",
                    f"{kind!r} is not a device kind ({', '.join(const.DEVICE_KINDS)})")
    pin = _pin(_required(item, "pin", field), f"{field}.pin", used, label(room, name))
    active_high = item.get("active_high", True)
    if not isinstance(active_high, bool):
        raise _fail(f"{field}.active_high", f"{active_high!r} is not true or false")
    confirm = item.get("confirm", False)
    if not isinstance(confirm, bool):
        raise _fail(f"{field}.confirm", f"{confirm!r} is not true or false")
    servo: dict[str, float] = {}
    for key in SERVO_DEFAULTS:
        if key in item:
            if kind != const.KIND_SERVO:
                raise _fail(f"{field}.{key}", f"only a servo has this field, not a {kind}")
            servo[key] = _number(item[key], f"{field}.{key}")
    spec = DeviceSpec(room=room, name=name, kind=kind, pin=pin, active_high=active_high,
                      confirm=confirm, aliases=_aliases(item.get("aliases"), f"{field}.aliases"),
                      **servo)
    if kind == const.KIND_SERVO:
        _check_servo(spec, field)
    return spec


def _check_servo(spec: DeviceSpec, field: str) -> None:
    if not 0 < spec.min_pulse_width < spec.max_pulse_width < spec.frame_width:
        raise _fail(field, "servo timings must satisfy "
                           "0 < min_pulse_width < max_pulse_width < frame_width")
    for key in ("open_angle", "closed_angle"):
        if not -180.0 <= getattr(spec, key) <= 180.0:
            raise _fail(f"{field}.{key}", f"{getattr(spec, key)} is out of range -180..180")


def _sensor(value: Any, used: dict[int, str]) -> SensorSpec | None:
    if value is None:
        return None
    value = _mapping(value, "sensor", _SENSOR_FIELDS)
    kind = _required(value, "kind", "sensor")
    if kind not in SENSOR_KINDS:
        raise _fail("sensor.kind", f"{kind!r} is not a sensor kind ({', '.join(SENSOR_KINDS)})")
    pin = _pin(_required(value, "pin", "sensor"), "sensor.pin", used, "sensor")
    interval = _number(value.get("interval", const.READING_INTERVAL_SECONDS), "sensor.interval")
    if interval < SENSOR_MIN_INTERVAL:
        raise _fail("sensor.interval", f"{interval:g} is too short (at least "
                                       f"{SENSOR_MIN_INTERVAL:g} second for a {kind})")
    return SensorSpec(kind=kind, pin=pin, interval=interval)


def _build_house(data: Any) -> House:
    if not isinstance(data, dict):
        raise _fail("house", f"expected a mapping with rooms and devices, got {_type_name(data)}")
    data = _mapping(data, "", _HOUSE_FIELDS)
    rooms, room_aliases = _rooms(_required(data, "rooms", ""))
    raw_devices = _required(data, "devices", "")
    if not isinstance(raw_devices, list) or not raw_devices:
        raise _fail("devices", "expected a non-empty list of devices")
    used_pins: dict[int, str] = {}
    devices: list[DeviceSpec] = []
    for index, item in enumerate(raw_devices):
        field = f"devices[{index}]"
        spec = _device(item, field, rooms, used_pins)
        if any(d.room == spec.room and d.name == spec.name for d in devices):
            raise _fail(f"{field}.name",
                        f"the {spoken(spec.room)} already has a device named {spec.name!r}")
        devices.append(spec)
    # The sensor's pin is checked after the devices so a clash names the device.
    sensor = _sensor(data.get("sensor"), used_pins)
    return House(rooms=rooms, devices=tuple(devices), sensor=sensor, room_aliases=room_aliases)
