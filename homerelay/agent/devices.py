"""The house's outputs as gpiozero devices: LEDs, relays and the servo garage door."""

from __future__ import annotations

import logging
import threading

from gpiozero import LED, AngularServo, OutputDevice

from homerelay import const
from homerelay.errors import UnknownDeviceError
from homerelay.house import label

logger = logging.getLogger(__name__)

# The MG995 turns through about 180 degrees across its pulse-width range.
SERVO_MIN_ANGLE = 0.0
SERVO_MAX_ANGLE = 180.0
FAN_NAME = "fan"


class _Output:
    """An on/off output: the common part of every device the house switches."""

    def __init__(self, spec, device):
        self.spec = spec
        self._device = device

    @property
    def is_on(self) -> bool:
        """True while the device is switched on."""
        return bool(self._device.is_active)

    def on(self) -> None:
        """Switch the device on."""
        self._device.on()

    def off(self) -> None:
        """Switch the device off."""
        self._device.off()

    def close(self) -> None:
        """Release the pin."""
        self._device.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class Led(_Output):
    """A light (or an indicator such as the oven's) on one pin."""

    def __init__(self, spec, pin_factory=None):
        super().__init__(
            spec,
            LED(spec.pin, active_high=spec.active_high, initial_value=False, pin_factory=pin_factory),
        )


class RelayChannel(_Output):
    """A relay-board channel (fan, TV); most boards switch on when the pin is low."""

    def __init__(self, spec, pin_factory=None):
        super().__init__(
            spec,
            OutputDevice(
                spec.pin, active_high=spec.active_high, initial_value=False, pin_factory=pin_factory
            ),
        )


class GarageDoor:
    """The MG995 servo door: on = open, off = shut; the signal stops once it has moved."""

    def __init__(self, spec, pin_factory=None, move_seconds: float = 0.6):
        self.spec = spec
        self.move_seconds = move_seconds
        self.open_angle = _clamp_angle(spec.open_angle)
        self.closed_angle = _clamp_angle(spec.closed_angle)
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._open = False
        self._servo = AngularServo(
            spec.pin,
            initial_angle=self.closed_angle,
            min_angle=SERVO_MIN_ANGLE,
            max_angle=SERVO_MAX_ANGLE,
            min_pulse_width=spec.min_pulse_width,
            max_pulse_width=spec.max_pulse_width,
            frame_width=spec.frame_width,
            pin_factory=pin_factory,
        )
        # Starting closed is itself a move: detach once the door is surely there.
        self._schedule_detach()

    @property
    def is_on(self) -> bool:
        """True while the door is open (or opening)."""
        return self._open

    def open(self) -> None:
        """Open the door."""
        self._move(True)

    def shut(self) -> None:
        """Shut the door."""
        self._move(False)

    on = open
    off = shut

    def _move(self, opened: bool) -> None:
        with self._lock:
            self._open = opened
            self._servo.angle = self.open_angle if opened else self.closed_angle
            self._schedule_detach_locked()

    def _schedule_detach(self) -> None:
        with self._lock:
            self._schedule_detach_locked()

    def _schedule_detach_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        # A servo left powered holds its position by buzzing and heats up; after the move
        # the pulses stop (value None) and the door's gearing holds it.
        self._timer = threading.Timer(self.move_seconds, self._detach)
        self._timer.daemon = True
        self._timer.start()

    def _detach(self) -> None:
        with self._lock:
            if not self._servo.closed:
                self._servo.detach()

    def wait_until_still(self, timeout: float | None = None) -> None:
        """Block until the pending move has finished and the servo is detached."""
        timer = self._timer
        if timer is not None:
            timer.join(timeout)

    def close(self) -> None:
        """Stop driving the servo and release the pin."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._servo.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _clamp_angle(angle: float) -> float:
    return max(SERVO_MIN_ANGLE, min(SERVO_MAX_ANGLE, float(angle)))


def make_device(spec, pin_factory=None, servo_move_seconds: float = 0.6):
    """Build the gpiozero-backed device for one DeviceSpec of the house."""
    if spec.kind == const.KIND_LED:
        return Led(spec, pin_factory)
    if spec.kind == const.KIND_RELAY:
        return RelayChannel(spec, pin_factory)
    if spec.kind == const.KIND_SERVO:
        return GarageDoor(spec, pin_factory, servo_move_seconds)
    raise ValueError(f"unknown device kind {spec.kind!r}")


class HouseDevices:
    """Every output of one house, in the safe state (all off, door shut) from the start."""

    def __init__(self, house, pin_factory=None, servo_move_seconds: float = 0.6):
        self._lock = threading.RLock()
        self._devices: dict[tuple[str, str], object] = {}
        try:
            for spec in house.devices:
                self._devices[(spec.room, spec.name)] = make_device(
                    spec, pin_factory, servo_move_seconds
                )
        except BaseException:
            self.close()
            raise

    def get(self, room: str, name: str):
        """The device called ``name`` in ``room``; UnknownDeviceError if there is none."""
        try:
            return self._devices[(room, name)]
        except KeyError:
            raise UnknownDeviceError(f"there is no {name} in the {room}") from None

    def set(self, room: str, name: str, action: str) -> bool:
        """Switch one device on or off; returns True when its state changed."""
        if action not in const.ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        with self._lock:
            device = self.get(room, name)
            wanted = action == const.ACTION_ON
            changed = device.is_on != wanted
            device.on() if wanted else device.off()
        logger.debug("%s %s %s (changed: %s)", room, name, action, changed)
        return changed

    def all_off(self) -> None:
        """Switch everything off and shut the door."""
        with self._lock:
            for device in self._devices.values():
                device.off()

    def states(self) -> list[dict]:
        """The state of every device, as the API's device-state objects."""
        with self._lock:
            return [
                {
                    "room": device.spec.room,
                    "device": device.spec.name,
                    "kind": device.spec.kind,
                    "state": const.ACTION_ON if device.is_on else const.ACTION_OFF,
                }
                for device in self._devices.values()
            ]

    def names_on(self) -> list[str]:
        """``"room device"`` of every device that is on, in house order, as people say them."""
        with self._lock:
            return [label(room, name) for (room, name), d in self._devices.items() if d.is_on]

    def running_fans(self) -> int:
        """How many fans are running (the simulated room cools with each)."""
        with self._lock:
            return sum(
                1 for (_, name), d in self._devices.items() if name == FAN_NAME and d.is_on
            )

    def make_safe(self) -> None:
        """All off, door shut and still: the state to leave the house in when stopping."""
        self.all_off()
        for device in list(self._devices.values()):
            if isinstance(device, GarageDoor):
                device.wait_until_still(timeout=device.move_seconds + 1.0)

    def close(self) -> None:
        """Release every pin."""
        with self._lock:
            for device in self._devices.values():
                try:
                    device.close()
                except Exception:  # closing must go on for the other pins
                    logger.exception("Could not close %s", device.spec)
            self._devices.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
