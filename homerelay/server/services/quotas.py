"""What one home may store: its reading rate and its queue of unfinished commands."""

from __future__ import annotations

import math
import threading
import time

from homerelay.errors import HomerelayError


class QuotaExceededError(HomerelayError):
    """A home asked to store more than it may; `retry_after` says when to try again, in seconds."""

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = max(1, math.ceil(retry_after))


class ReadingAllowance:
    """A token bucket per home, in this process: `burst` readings at once, refilled at `rate` a second.

    A DHT11 gives at most one reading every 2 s (0.5 a second); an agent that was offline for a
    day sends about 8,640 buffered readings in a few batches. So the bucket holds a day's backlog
    and refills twice as fast as the fastest sensor.
    """

    def __init__(self, burst: float, rate: float, clock=time.monotonic) -> None:
        self.burst = burst
        self.rate = rate
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, home_id: int, count: int) -> None:
        """Spend `count` readings of the home's allowance, or refuse them all."""
        now = self._clock()
        with self._lock:
            level, then = self._buckets.get(home_id, (self.burst, now))
            level = min(self.burst, level + (now - then) * self.rate)
            if count > level:
                self._buckets[home_id] = (level, now)
                raise QuotaExceededError(
                    f"this home sent more readings than it may store ({self.burst:,.0f} at once, then "
                    f"{self.rate:g} a second); nothing of this request was stored",
                    (count - level) / self.rate,
                )
            self._buckets[home_id] = (level - count, now)
