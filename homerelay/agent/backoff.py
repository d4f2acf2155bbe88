"""Reconnect delays: exponential, capped, with jitter."""

from __future__ import annotations

import random


class Backoff:
    """Exponential reconnect delay, capped, with jitter so many agents do not retry in step."""

    def __init__(self, initial: float, maximum: float, rng: random.Random | None = None):
        self.initial = initial
        self.maximum = maximum
        self._rng = rng or random.Random()
        self._attempt = 0

    def reset(self) -> None:
        """Start again from the initial delay (after a successful connection)."""
        self._attempt = 0

    def next_delay(self) -> float:
        """The delay before the next attempt: between half and all of the capped exponential."""
        ceiling = min(self.maximum, self.initial * (2 ** self._attempt))
        # Stop counting once the cap is reached: an outage of days must not overflow a float.
        if ceiling < self.maximum:
            self._attempt += 1
        return self._rng.uniform(ceiling / 2, ceiling)
