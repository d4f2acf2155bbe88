"""A stand-in relay server for agent tests: the agent's part of the v1 API, recording every call."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeRelay:
    """Queues commands for the agent and records what the agent sends; can go down and come back."""

    def __init__(self, token: str = "agent-token"):
        self.token = token
        self.cond = threading.Condition()
        self.queue: deque = deque()
        self.acks: list[tuple[int, dict]] = []
        self.houses: list[dict] = []
        self.device_reports: list[list[dict]] = []
        self.readings: list = []          # each POST body as sent
        self.polls = 0
        self.heard: list[dict] = []       # each POST /agent/heard body as sent
        # Device names that answer 409 confirmation_required unless the body says "confirm".
        self.confirm_words: tuple[str, ...] = ("door", "oven")
        self.max_wait: float | None = None  # like HOMERELAY_MAX_WAIT
        self._httpd: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def push(self, command: dict) -> None:
        """Queue a command for the agent's next long-poll."""
        with self.cond:
            self.queue.append(command)
            self.cond.notify_all()

    def wait_for(self, predicate, timeout: float = 5.0) -> bool:
        """Wait until predicate() holds (checked whenever the agent calls)."""
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    def start(self) -> FakeRelay:
        """Serve on 127.0.0.1 (the same port again after a stop)."""
        relay = self

        class Handler(_Handler):
            pass

        Handler.relay = relay
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving (the port is refused until start())."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        with self.cond:
            self.cond.notify_all()


class _Handler(BaseHTTPRequestHandler):
    relay: FakeRelay

    def log_message(self, *args):  # keep test output quiet
        pass

    def _reply(self, status: int, body=None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.relay.token}":
            return True
        self._reply(401, {"error": "unauthorized", "detail": "Unknown token."})
        return False

    def do_GET(self):  # noqa: N802 - http.server's naming
        if not self._authorised():
            return
        url = urlsplit(self.path)
        if url.path != "/api/v1/agent/next":
            return self._reply(404, {"error": "not_found", "detail": url.path})
        wait = float(parse_qs(url.query).get("wait", ["30"])[0])
        if self.relay.max_wait is not None:
            wait = min(wait, self.relay.max_wait)
        relay = self.relay
        with relay.cond:
            relay.polls += 1
            relay.cond.notify_all()
            relay.cond.wait_for(lambda: relay.queue or relay._httpd is None, wait)
            command = relay.queue.popleft() if relay.queue else None
        if command is None:
            return self._reply(204)
        self._reply(200, command)

    def do_PUT(self):  # noqa: N802
        if not self._authorised():
            return
        body, relay = self._body(), self.relay
        with relay.cond:
            if self.path == "/api/v1/house":
                relay.houses.append(body)
            elif self.path == "/api/v1/devices":
                relay.device_reports.append(body["devices"])
            else:
                return self._reply(404, {"error": "not_found", "detail": self.path})
            relay.cond.notify_all()
        self._reply(200, body)

    def do_POST(self):  # noqa: N802
        if not self._authorised():
            return
        body, relay = self._body(), self.relay
        with relay.cond:
            if self.path == "/api/v1/readings":
                relay.readings.append(body)
            elif self.path.startswith("/api/v1/commands/") and self.path.endswith("/ack"):
                relay.acks.append((int(self.path.split("/")[4]), body))
            elif self.path == "/api/v1/agent/heard":
                relay.heard.append(body)
                relay.cond.notify_all()
                words = body["text"].split()
                if any(word in words for word in relay.confirm_words) and not body.get("confirm"):
                    return self._reply(409, {"error": "confirmation_required",
                                             "detail": "This will open the garage door.",
                                             "actions": [{"room": "garage", "device": "door", "action": "on"}]})
                return self._reply(201, {"id": len(relay.heard), "text": body["text"], "source": "voice",
                                         "heard": body["text"], "confidence": body["confidence"]})
            else:
                return self._reply(404, {"error": "not_found", "detail": self.path})
            relay.cond.notify_all()
        self._reply(200, {"ok": True})
