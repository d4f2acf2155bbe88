"""Fixtures for scale-out tests: real `homerelay serve` processes on one PostgreSQL database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from homerelay.server.storage.db import Database
from homerelay.server.services.homes import HomeTokens, create_home

STARTUP_SECONDS = 30


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    """One `homerelay serve` process on loopback."""

    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        """Stop it at once (SIGINT: gunicorn's quick shutdown), killing it if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(database_url: str, log_dir: Path, workers: int = 1, **env: str) -> ServerProcess:
    """Start `homerelay serve` on a free port (call `wait_until_up` before using it)."""
    port = free_port()
    log = log_dir / f"serve-{port}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "homerelay", "serve", "--host", "127.0.0.1", "--port", str(port), "--db", database_url,
             "--workers", str(workers)],
            stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **env},
        )
    return ServerProcess(f"http://127.0.0.1:{port}", process, log)


def wait_until_up(server: ServerProcess) -> None:
    """Wait until the server's `/healthz` answers; fail with its log if it does not."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"homerelay serve exited with {server.process.returncode}:\n{server.log.read_text()}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"homerelay serve did not answer within {STARTUP_SECONDS} s:\n{server.log.read_text()}")


@pytest.fixture(scope="module", params=["two servers", "two workers"])
def two_servers(request, postgres_url, tmp_path_factory):
    """Two server processes on one PostgreSQL database, limits on, behind one trusted proxy: two
    `homerelay serve`s (a URL each), or one `homerelay serve --workers 2` (its URL twice, each
    request on whichever worker takes the new connection)."""
    log_dir = tmp_path_factory.mktemp("servers")
    _forget_limits(postgres_url)
    env = {
        "HOMERELAY_LIMITS": "on",
        "HOMERELAY_RATE_LIMITS": "60 per minute",
        "HOMERELAY_SIGNIN_LIMIT": "6 per minute",
        # Lets a test speak as a client address of its own through X-Forwarded-For.
        "HOMERELAY_TRUSTED_PROXIES": "1",
    }
    if request.param == "two workers":
        servers = [start_server(postgres_url, log_dir, workers=2, **env)]
    else:
        servers = [start_server(postgres_url, log_dir, **env) for _ in range(2)]
    try:
        for server in servers:
            wait_until_up(server)
    except RuntimeError:
        for server in servers:
            server.stop()
        raise
    yield servers * 2 if len(servers) == 1 else servers
    for server in servers:
        server.process.send_signal(signal.SIGINT)
    for server in servers:
        server.stop()


def _forget_limits(database_url: str) -> None:
    """Empty the shared limit counters, so the throttle tests start afresh with each pair of servers."""
    db = Database(database_url)
    try:
        db.create_schema()
        with db.writing() as connection:
            connection.execute(text("DELETE FROM rate_limit_hits"))
            connection.execute(text("DELETE FROM rate_limit_counters"))
    finally:
        db.dispose()


@pytest.fixture
def new_home(postgres_url):
    """A new home (with its own tokens, so rate limits start afresh) in the shared database."""

    def make(name: str = "flat") -> HomeTokens:
        db = Database(postgres_url)
        try:
            return create_home(db, name)
        finally:
            db.dispose()

    return make
