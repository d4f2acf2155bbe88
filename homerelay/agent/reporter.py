"""Reporting device state in the background, so the command loop goes straight back to polling."""

from __future__ import annotations

import logging
import threading

from homerelay.errors import AuthError, HomerelayError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


class StateReporter:
    """Uploads the full device state whenever it changed; a burst of changes is one upload."""

    def __init__(self, devices, client, stop: threading.Event):
        self.devices = devices
        self.client = client
        self._stop = stop
        self._dirty = threading.Event()
        # One snapshot-and-upload at a time: an older snapshot still on its way must never
        # arrive after a newer one and leave the server showing a state the devices left.
        self._upload_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.uploads = 0

    def start(self) -> None:
        """Start the reporter thread."""
        self._thread = threading.Thread(target=self._run, name="homerelay-state", daemon=True)
        self._thread.start()

    def changed(self) -> None:
        """Note that the device state changed (cheap; the upload happens in the thread)."""
        self._dirty.set()

    def report_now(self) -> None:
        """Upload the current state in this thread, after any upload under way (raises on failure)."""
        with self._upload_lock:
            # Clear first: a change during the upload makes another upload with the newer state.
            self._dirty.clear()
            self.client.put_devices(self.devices.states())
            self.uploads += 1

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (after the stop event is set)."""
        if self._thread is not None:
            self._dirty.set()  # wake it so it sees the stop event
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            try:
                self.report_now()
            except AuthError as error:
                # The main loop reports a refused token (once) and stops the agent.
                logger.debug("Device state refused: %s", error)
            except HomerelayError as error:
                # The main loop reconnects and uploads the state itself; retry meanwhile.
                logger.warning("Device state not reported yet: %s", error)
                self._dirty.set()
                self._stop.wait(RETRY_SECONDS)
            except Exception:  # the thread must outlive any surprise
                logger.exception("Device state report failed")
                self._dirty.set()
                self._stop.wait(RETRY_SECONDS)
