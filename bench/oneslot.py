"""The original design, for comparison: a one-slot Flask relay and a Pi loop that polls it every second."""

from __future__ import annotations

import argparse
import logging
import threading
import time

import requests
from flask import Flask, jsonify, request

from bench.harness import client_session

logger = logging.getLogger(__name__)

POLL_INTERVAL = 1.0


def create_oneslot_app() -> Flask:
    """The original relay: one variable, overwritten by every command, read by the Pi."""
    app = Flask(__name__)
    slot = {"command": None}

    @app.post("/set_command")
    def set_command():
        """Store the command text in the one slot (the previous one is lost)."""
        slot["command"] = request.get_data(as_text=True)
        return jsonify([slot["command"]])

    @app.get("/get_command")
    def get_command():
        """The last command text, or null."""
        return jsonify(slot["command"])

    return app


class PiPoller:
    """The original Pi script's loop: ask for the command every second, act when it changed."""

    def __init__(self, url: str, interval: float = POLL_INTERVAL) -> None:
        self.url = url.rstrip("/")
        self.interval = interval
        self.seen: dict[str, float] = {}   # command text -> when the Pi first saw it
        self.requests = 0
        self._last = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pi-poller", daemon=True)

    def start(self) -> "PiPoller":
        """Start polling in a thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with client_session() as session:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    text = session.get(f"{self.url}/get_command", timeout=5).json()
                except requests.RequestException as error:
                    logger.warning("poll failed: %s", error)
                    text = None
                self.requests += 1
                now = time.monotonic()
                # The original switched the device whenever the slot held a new text.
                if text is not None and text != self._last:
                    self.seen.setdefault(text, now)
                    self._last = text
                self._stop.wait(max(0.0, self.interval - (now - started)))


def main(argv: list[str] | None = None) -> None:
    """Serve the one-slot relay with Flask's threaded development server, as the original ran."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5003)
    parser.add_argument("--log-requests", action="store_true",
                        help="log every request, as the original did (off: its best case)")
    args = parser.parse_args(argv)
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    create_oneslot_app().run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
