"""The readings loop: a reading every interval, buffered while the server is away, sent as a batch."""

from __future__ import annotations

import logging
import threading
import time

from homerelay.agent.reading_buffer import ReadingBuffer
from homerelay.agent.sensor import plausible
from homerelay.errors import AuthError, RequestRejectedError, ServerUnavailableError

logger = logging.getLogger(__name__)


class ReadingUploader:
    """Reads the sensor on a fixed schedule in its own thread and uploads what it reads."""

    def __init__(self, sensor, client, stop: threading.Event, *, interval: float = 10.0,
                 buffer_size: int = 2000, batch_max: int = 500, clock=time.monotonic,
                 buffer: ReadingBuffer | None = None):
        self.sensor = sensor
        self.client = client
        self.interval = interval
        self.batch_max = batch_max
        # Oldest readings are dropped first when an outage outlasts the buffer. Without a file
        # (tests, tools) the buffer lives in memory only.
        self.buffer = buffer if buffer is not None else ReadingBuffer(None, buffer_size)
        self._stop = stop
        self._clock = clock
        self._thread: threading.Thread | None = None
        self._offline = False
        self._fresh = None  # the reading taken by this tick, the only one that may go without a time
        self.sent = 0

    def start(self) -> None:
        """Start the readings thread."""
        self._thread = threading.Thread(target=self._run, name="homerelay-readings", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (after the stop event is set)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        # A fixed schedule (not "sleep 10 s after each reading") so slow DHT retries or a slow
        # upload do not stretch the interval.
        next_at = self._clock()
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the thread must outlive any surprise
                logger.exception("Readings loop failed; trying again next interval")
            next_at += self.interval
            now = self._clock()
            if next_at < now:  # fell behind (e.g. a long outage timeout): skip, don't burst
                next_at = now + self.interval
            self._stop.wait(next_at - now)
        if self._offline:
            # A reading taken just as the agent was asked to stop was never offered to the server.
            self.buffer.save()

    def tick(self) -> None:
        """Take one reading and upload everything buffered."""
        reading = self.sensor.read()
        self._fresh = None
        if reading is None:
            logger.info("No reading this time (sensor gave none)")
        elif not plausible(reading.temperature, reading.humidity):
            # Never buffered: the server refuses it, and a NaN cannot even be sent as JSON, so it
            # would block every later reading at the head of the buffer.
            logger.warning("Dropping an impossible reading: %s °C, %s %%", reading.temperature, reading.humidity)
        else:
            self.buffer.append(reading)
            self._fresh = reading
        self.flush()

    def flush(self) -> None:
        """Upload buffered readings: a single fresh one as is, a backlog as batches with times."""
        while self.buffer and not self._stop.is_set():
            if len(self.buffer) == 1 and self.buffer[0] is self._fresh:
                # Taken just now: the server stamps it, so a Pi clock not yet set does not matter.
                reading = self.buffer[0]
                body, count = {"temperature": reading.temperature, "humidity": reading.humidity}, 1
            else:
                # A backlog (possibly loaded after a restart) keeps the times it was taken at.
                batch = self.buffer.oldest(self.batch_max)
                body, count = [reading.to_dict() for reading in batch], len(batch)
            try:
                self.client.post_readings(body)
            except ServerUnavailableError as error:
                if not self._offline:
                    logger.warning("Keeping readings until the server is back: %s", error)
                self._offline = True
                # Only now is anything written: an agent restart during the outage keeps them.
                self.buffer.save()
                return
            except RequestRejectedError as error:
                # The server will never take these; keeping them would block every later one.
                logger.warning("Server rejected %d reading(s), dropping them: %s", count, error)
            except AuthError as error:
                # The main loop reports a refused token (once) and stops the agent.
                logger.debug("Readings refused: %s", error)
                return
            else:
                if self._offline or count > 1:
                    logger.info("Sent %d buffered reading(s)", count)
                self._offline = False
                self.sent += count
            self.buffer.drop(count)
