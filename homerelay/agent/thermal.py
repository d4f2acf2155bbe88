"""A simulated room that warms toward the outside temperature and cools with each running fan."""

from __future__ import annotations

import math
import random
import threading
import time

# Tuned against the server's cooling rule (threshold about 26 °C, hysteresis 0.5): starting at
# 25.6 °C the room crosses 26 °C after about 80 s; one fan then brings it below 25.5 °C in about
# a minute, and it warms back in about 1.5 minutes, so the demo's fan visibly cycles.
OUTSIDE_C = 30.0
START_C = 25.6
WARMING_PER_S = 0.0012     # fraction of the gap to the outside temperature closed per second
FAN_COOLING_C_PER_S = 0.0128
START_HUMIDITY = 55.0


class ThermalRoom:
    """Newtonian warming toward the outside plus a constant cooling per running fan."""

    def __init__(self, running_fans=lambda: 0, *, outside: float = OUTSIDE_C,
                 temperature: float = START_C, humidity: float = START_HUMIDITY,
                 warming: float = WARMING_PER_S, fan_cooling: float = FAN_COOLING_C_PER_S,
                 time_scale: float = 1.0, clock=time.monotonic, seed: int | None = None):
        self.running_fans = running_fans
        self.outside = outside
        self.temperature = temperature
        self.humidity = humidity
        self.warming = warming
        self.fan_cooling = fan_cooling
        self.time_scale = time_scale
        self._clock = clock
        self._last = clock()
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def advance(self, seconds: float, fans: int) -> None:
        """Move the model on by ``seconds`` of simulated time with ``fans`` running throughout."""
        if seconds <= 0:
            return
        # Exact solution of dT/dt = k (outside - T) - c fans for constant fans: T relaxes
        # exponentially toward the equilibrium where warming and cooling balance.
        equilibrium = self.outside - self.fan_cooling * fans / self.warming
        decay = math.exp(-self.warming * seconds)
        self.temperature = equilibrium + (self.temperature - equilibrium) * decay
        # Humidity wanders a little around its start value; fans dry the air slightly.
        pull = (START_HUMIDITY - 3.0 * fans - self.humidity) * min(1.0, 0.01 * seconds)
        noise = self._random.gauss(0.0, 0.05 * math.sqrt(seconds))
        self.humidity = min(95.0, max(20.0, self.humidity + pull + noise))

    def measure(self) -> tuple[float, float]:
        """Temperature and humidity now, after catching the model up with the clock."""
        with self._lock:
            now = self._clock()
            self.advance((now - self._last) * self.time_scale, self.running_fans())
            self._last = now
            return self.temperature, self.humidity
