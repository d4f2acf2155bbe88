"""Caps on the connections one token keeps open at once (event streams, long-polls), per process."""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask, current_app

from homerelay.server.web.http_errors import ApiError

EVENT_STREAMS = "homerelay.event_streams"
LONG_POLLS = "homerelay.long_polls"


class OpenConnections:
    """Counts the open connections of one kind per token and refuses (429) those beyond `limit`."""

    def __init__(self, limit: int, what: str) -> None:
        self.limit = limit
        self.what = what
        self._open: Counter[int] = Counter()
        self._lock = threading.Lock()

    def acquire(self, token_id: int) -> None:
        """Count one more for the token, or refuse it when the token already has `limit` open."""
        with self._lock:
            if self._open[token_id] >= self.limit:
                raise ApiError(
                    429,
                    f"this token already has {self.limit} {self.what} open; close one "
                    "(each phone or agent should use a token of its own)",
                    headers={"Retry-After": "5"},
                )
            self._open[token_id] += 1

    def release(self, token_id: int) -> None:
        """One of the token's connections closed."""
        with self._lock:
            self._open[token_id] -= 1
            if self._open[token_id] <= 0:
                del self._open[token_id]


def open_connections(kind: str) -> OpenConnections:
    """The running app's counter of `kind` (`EVENT_STREAMS` or `LONG_POLLS`)."""
    return current_app.extensions[kind]


def init_connection_caps(app: Flask) -> None:
    """Attach the per-token caps on event streams and long-polls."""
    app.extensions[EVENT_STREAMS] = OpenConnections(app.config["MAX_EVENT_STREAMS_PER_TOKEN"], "event streams")
    app.extensions[LONG_POLLS] = OpenConnections(app.config["MAX_LONG_POLLS_PER_TOKEN"], "long-polls")
