"""The health check behind `/healthz`: whether the database answers and takes a write, looked at once a second."""

from __future__ import annotations

import threading
import time

from homerelay.server.storage.db import Database, StorageUnavailableError, storage_fault

# `/healthz` needs no token: however often it is asked, the database is written at most this often.
CHECK_EVERY_SECONDS = 1.0


class StorageHealth:
    """Remembers the last write probe's outcome for `CHECK_EVERY_SECONDS`."""

    def __init__(self, db: Database, clock=time.monotonic) -> None:
        self.db = db
        self._clock = clock
        self._checked_at = -CHECK_EVERY_SECONDS
        self._fault: str | None = None
        self._lock = threading.Lock()

    def fault(self) -> str | None:
        """Why the database is unavailable, or None when it took a write within the last second."""
        with self._lock:
            if self._clock() - self._checked_at < CHECK_EVERY_SECONDS:
                return self._fault
            try:
                self.db.check_writable()
                self._fault = None
            except StorageUnavailableError as error:
                self._fault = str(error)
            self._checked_at = self._clock()
            return self._fault


def unavailable_reason(error: BaseException) -> str | None:
    """Why a request failed when `error` is the storage being unavailable (down, read-only, full):
    the web edge answers 503 with it; None for any other error (a bug: 500)."""
    return storage_fault(error)
