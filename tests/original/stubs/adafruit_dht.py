"""Stand-in for `adafruit_dht`: a DHT11 that reads `$HOMERELAY_STUB_DHT` ("24,55") as ints, as the real one."""

import os


class DHT11:
    """A DHT11 sensor whose readings come from the environment."""

    def __init__(self, pin) -> None:
        self.pin = pin

    def _reading(self) -> list[int]:
        return [int(part) for part in os.environ.get("HOMERELAY_STUB_DHT", "24,55").split(",")]

    @property
    def temperature(self) -> int:
        """Degrees Celsius, a whole number (adafruit-circuitpython-dht 4.0.4 gives ints for a DHT11)."""
        return self._reading()[0]

    @property
    def humidity(self) -> int:
        """Relative humidity in percent, a whole number."""
        return self._reading()[1]
