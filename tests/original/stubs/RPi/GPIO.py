"""Stand-in for `RPi.GPIO`: every pin write is appended as a JSON line to `$HOMERELAY_STUB_PINS`."""

import json
import os

BCM = "BCM"
OUT = "OUT"
HIGH = 1
LOW = 0


def _record(**entry) -> None:
    # One line per write, flushed at once: the test reads the file while the script runs.
    with open(os.environ["HOMERELAY_STUB_PINS"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def setmode(mode) -> None:
    """Choose the pin numbering (the script uses BCM)."""
    _record(mode=mode)


def setup(pin, direction) -> None:
    """Make a pin an output."""
    _record(pin=pin, setup=direction)


def output(pin, level) -> None:
    """Drive a pin high or low."""
    _record(pin=pin, level=level)


def cleanup() -> None:
    """Release every pin (the script calls it when it ends)."""
    _record(cleanup=True)


class PWM:
    """A PWM output (the garage door's servo); its duty cycles are recorded."""

    def __init__(self, pin, frequency) -> None:
        self.pin = pin
        _record(pin=pin, pwm=frequency)

    def start(self, duty) -> None:
        """Start at a duty cycle."""
        _record(pin=self.pin, duty=duty)

    def ChangeDutyCycle(self, duty) -> None:  # noqa: N802 (RPi.GPIO's own name)
        """Move to another duty cycle."""
        _record(pin=self.pin, duty=duty)

    def stop(self) -> None:
        """Stop the pulses."""
        _record(pin=self.pin, stopped=True)
