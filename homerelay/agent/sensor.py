"""Temperature and humidity: the DHT11 on a Pi, the simulated room elsewhere."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from homerelay import const
from homerelay.clock import utcnow

logger = logging.getLogger(__name__)

# The DHT11 cannot be read more often than every 2 seconds.
DHT_MIN_INTERVAL = 2.0
DHT_RETRIES = 3


@dataclass(frozen=True)
class Reading:
    """One temperature (°C) and relative humidity (%) measurement and when it was taken."""

    temperature: float
    humidity: float
    at: datetime

    def to_dict(self) -> dict:
        """The reading as the readings API takes it in a batch."""
        return {
            "temperature": self.temperature,
            "humidity": self.humidity,
            "at": self.at.isoformat(),
        }


def plausible(temperature, humidity) -> bool:
    """True when both values are numbers inside the physical limits we accept."""
    if temperature is None or humidity is None:
        return False
    return (
        const.TEMPERATURE_MIN_C <= temperature <= const.TEMPERATURE_MAX_C
        and const.HUMIDITY_MIN <= humidity <= const.HUMIDITY_MAX
    )


def open_dht11(pin: int):
    """Open the real DHT11 through adafruit-circuitpython-dht (the ``homerelay[pi]`` extra)."""
    import adafruit_dht  # noqa: PLC0415 - only on a Pi, and only when a sensor is used
    import board  # noqa: PLC0415

    return adafruit_dht.DHT11(getattr(board, f"D{pin}"), use_pulseio=False)


class DHT11Sensor:
    """Reads a DHT11, retrying its frequent failed reads; a reading that never succeeds is None."""

    def __init__(self, dht, retries: int = DHT_RETRIES, min_interval: float = DHT_MIN_INTERVAL,
                 clock=time.monotonic, sleep=time.sleep):
        self._dht = dht
        self.retries = retries
        self.min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._last_attempt: float | None = None

    def read(self) -> Reading | None:
        """One reading, or None when every attempt failed (never a made-up 0)."""
        for attempt in range(1, self.retries + 1):
            self._respect_interval()
            try:
                temperature, humidity = self._dht.temperature, self._dht.humidity
            except RuntimeError as error:
                # Checksum errors and missed pulses are routine for a DHT11; try again.
                logger.debug("DHT11 read %d/%d failed: %s", attempt, self.retries, error)
                continue
            if plausible(temperature, humidity):
                return Reading(float(temperature), float(humidity), utcnow())
            logger.debug("DHT11 read %d/%d implausible: %s, %s", attempt, self.retries,
                         temperature, humidity)
        logger.warning("DHT11 gave no reading after %d attempts", self.retries)
        return None

    def _respect_interval(self) -> None:
        now = self._clock()
        if self._last_attempt is not None:
            wait = self.min_interval - (now - self._last_attempt)
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
        self._last_attempt = now

    def close(self) -> None:
        """Release the sensor's pin."""
        exit_ = getattr(self._dht, "exit", None)
        if exit_ is not None:
            exit_()


class SimulatedSensor:
    """A sensor that reads the simulated room."""

    def __init__(self, room):
        self.room = room

    def read(self) -> Reading | None:
        """The simulated room's temperature and humidity now, as a DHT11 would give them."""
        temperature, humidity = self.room.measure()
        return Reading(round(temperature, 1), round(humidity, 1), utcnow())

    def close(self) -> None:
        """Nothing to release."""
