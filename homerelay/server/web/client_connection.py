"""Whether the client of a request is still connected: a killed agent's parked long-poll must notice."""

from __future__ import annotations

import logging
import select
import socket

logger = logging.getLogger(__name__)

# Where WSGI servers put the client's socket: gunicorn (its gevent worker too), werkzeug.
SOCKET_KEYS = ("gunicorn.socket", "werkzeug.socket")


class ClientConnection:
    """The client socket of one request, checked for end-of-file without reading anything from it."""

    def __init__(self, environ: dict) -> None:
        self._socket = next((environ[key] for key in SOCKET_KEYS if environ.get(key) is not None), None)
        self.closed = False

    def alive(self) -> bool:
        """False once the client has closed its side (or reset it); True when it cannot be told."""
        if self.closed or self._socket is None:
            return not self.closed
        try:
            readable, _, _ = select.select([self._socket], [], [], 0)
            if not readable:
                return True
            # Readable with nothing to read is the end of the stream; a pipelined request is data.
            self.closed = self._socket.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            self.closed = True
        return not self.closed
