"""Idle agent: how many command requests an agent with nothing to do makes a minute."""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import HOST, AgentProcess, OneSlotProcess, Server, rss_mb
from bench.oneslot import PiPoller

logger = logging.getLogger(__name__)

COMMAND_REQUEST = b"GET /api/v1/agent/next"


class CountingProxy:
    """A loopback TCP relay in front of the server that counts the agent's command requests."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.command_requests: list[float] = []   # when each `GET /api/v1/agent/next` went through
        self._listener = socket.create_server((HOST, 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    @property
    def url(self) -> str:
        """Where the agent should connect."""
        return f"http://{HOST}:{self.port}"

    def requests_between(self, start: float, end: float) -> int:
        """Command requests that started between two `time.monotonic()` readings."""
        with self._lock:
            return sum(start <= at < end for at in self.command_requests)

    def close(self) -> None:
        """Stop accepting connections."""
        self._closed = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((HOST, self.target_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, count: bool) -> None:
        # Keep the end of the previous chunk: a request line may be split across two reads.
        tail = b""
        try:
            while chunk := source.recv(65536):
                if count:
                    seen = tail + chunk
                    hits = seen.count(COMMAND_REQUEST)
                    if hits:
                        with self._lock:
                            self.command_requests.extend([time.monotonic()] * hits)
                    tail = seen[-(len(COMMAND_REQUEST) - 1):]
                    if COMMAND_REQUEST in tail:
                        tail = b""
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()


@dataclass(frozen=True)
class IdleResult:
    """Command requests a minute of an idle homerelay agent and of the original Pi loop."""

    seconds: float
    agent_requests: int
    oneslot_requests: int
    agent_rss_mb: float | None
    server_worker_rss_mb: float | None

    @property
    def agent_per_minute(self) -> float:
        """The homerelay agent's command requests a minute."""
        return self.agent_requests * 60 / self.seconds

    @property
    def oneslot_per_minute(self) -> float:
        """The original Pi loop's command requests a minute."""
        return self.oneslot_requests * 60 / self.seconds


def run(workdir: Path, seconds: float = 120.0) -> IdleResult:
    """Leave a connected agent and the original Pi loop idle for `seconds`, counting their requests."""
    with Server(workdir / "idle") as server, OneSlotProcess() as relay:
        proxy = CountingProxy(server.port)
        agent = AgentProcess(proxy.url, server.agent_token, workdir / "idle-agent")
        try:
            agent.start(ready=server)
            poller = PiPoller(relay.url).start()
            began = time.monotonic()
            logger.info("idle: watching the agent and the one-slot Pi for %.0f s", seconds)
            time.sleep(seconds)
            ended = time.monotonic()
            poller.stop()
            agent_rss = rss_mb(agent.process.pid)
            worker = server.worker_pid()
            worker_rss = rss_mb(worker) if worker else None
            return IdleResult(ended - began, proxy.requests_between(began, ended), poller.requests,
                              agent_rss, worker_rss)
        finally:
            agent.stop()
            proxy.close()
