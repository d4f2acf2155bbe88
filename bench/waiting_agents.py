"""Many waiting agents: one `homerelay serve` process holding 1,000 long-polls, and its /healthz meanwhile.

Run: `python -m bench.waiting_agents [--agents 1000] [--db URL]`. Prints the worker's memory
per waiting agent, /healthz latency while they all wait, and how fast a few of them are woken.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import HOST, bench_env, children, cpu_seconds, free_port, rss_mb, stop, wait_until_up

# Long enough that no long-poll ends by itself while we measure.
WAIT_SECONDS = 60
HEALTH_PROBES = 100
WOKEN = 20


def raise_open_files(wanted: int) -> int:
    """Raise this process's open-file limit (the server inherits it); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def create_homes(database_url: str, count: int) -> list[tuple[str, str]]:
    """`count` homes in one transaction; returns their (app, agent) tokens."""
    import secrets

    from homerelay.server.storage.db import Database
    from homerelay.server.services.homes import hash_token
    from homerelay.server.storage.models import Home, Token

    db = Database(database_url)
    tokens = []
    try:
        db.create_schema()
        with db.transaction() as session:
            for number in range(count):
                home = Home(name=f"bench home {number}")
                session.add(home)
                session.flush()
                pair = (secrets.token_urlsafe(32), secrets.token_urlsafe(32))
                for role, token in zip(("app", "agent"), pair):
                    session.add(Token(home_id=home.id, role=role, token_hash=hash_token(token), hint=token[:6]))
                tokens.append(pair)
    finally:
        db.dispose()
    return tokens


async def _request(port: int, path: str, token: str | None = None, method: str = "GET", body: bytes = b"") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        return await _exchange(reader, writer, path, token, method, body)
    finally:
        writer.close()


async def _exchange(reader, writer, path, token, method="GET", body=b"") -> tuple[int, bytes]:
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    if body:
        head += "Content-Type: application/json\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
    answer = await reader.read()
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    return status, answer


class WaitingAgent:
    """One agent's long-poll on its own connection."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.task: asyncio.Task | None = None
        self.answered_at: float | None = None
        self.status: int | None = None

    async def wait(self) -> None:
        """Open the connection and wait for the answer."""
        reader, writer = await asyncio.open_connection(HOST, self.port)
        try:
            self.status, _ = await _exchange(reader, writer, f"/api/v1/agent/next?wait={WAIT_SECONDS}", self.token)
            self.answered_at = time.monotonic()
        finally:
            writer.close()


async def _until_idle(worker: int, quiet_cpu_seconds: float = 0.05, span: float = 0.5) -> None:
    """Wait until the worker has taken in every request: it then sits idle, all agents parked."""
    await asyncio.sleep(span)
    used = cpu_seconds(worker)
    while True:
        await asyncio.sleep(span)
        now = cpu_seconds(worker)
        if now - used < quiet_cpu_seconds:
            return
        used = now


async def measure(port: int, worker: int, tokens: list[tuple[str, str]]) -> dict:
    """Park every agent, then measure memory, health latency and wake-ups."""
    for _ in range(20):  # warm the worker up before taking its baseline memory
        await _request(port, "/healthz")
    await _request(port, "/api/v1/agent/next?wait=0", tokens[0][1])
    baseline_mb = rss_mb(worker)

    agents = [WaitingAgent(port, agent) for _, agent in tokens]
    started = time.monotonic()
    for agent in agents:
        agent.task = asyncio.create_task(agent.wait())
    await _until_idle(worker)
    parked_after = time.monotonic() - started
    ended_early = sum(1 for agent in agents if agent.task.done())
    waiting_mb = rss_mb(worker)

    latencies = []
    for _ in range(HEALTH_PROBES):
        began = time.perf_counter()
        status, _ = await _request(port, "/healthz")
        latencies.append((time.perf_counter() - began) * 1000)
        assert status == 200, status
        await asyncio.sleep(0.02)

    chosen = random.sample(range(len(agents)), min(WOKEN, len(agents)))
    wake_ms = []
    for index in chosen:
        app_token = tokens[index][0]
        posted_at = time.monotonic()
        status, _ = await _request(port, "/api/v1/commands", app_token, "POST", json.dumps({"text": "turn on the tv"}).encode())
        assert status == 201, status
        await asyncio.wait_for(agents[index].task, timeout=10)
        wake_ms.append((agents[index].answered_at - posted_at) * 1000)

    for agent in agents:
        agent.task.cancel()
    await asyncio.gather(*(agent.task for agent in agents), return_exceptions=True)
    latencies.sort()
    return {
        "agents": len(agents),
        "ended_before_measuring": ended_early,
        "parking_seconds": round(parked_after, 1),
        "worker_rss_idle_mb": round(baseline_mb, 1),
        "worker_rss_waiting_mb": round(waiting_mb, 1),
        "kb_per_waiting_agent": round((waiting_mb - baseline_mb) * 1024 / len(agents), 1),
        "healthz_p50_ms": round(statistics.median(latencies), 1),
        "healthz_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "healthz_max_ms": round(latencies[-1], 1),
        "wake_p50_ms": round(statistics.median(wake_ms), 1),
        "wake_max_ms": round(max(wake_ms), 1),
    }


def run(agents: int, database_url: str | None, workdir: Path) -> dict:
    """Start a server, park `agents` long-polls on it, and measure."""
    open_files = raise_open_files(agents * 2 + 512)
    database_url = database_url or f"sqlite:///{workdir / 'homerelay.db'}"
    tokens = create_homes(database_url, agents)
    port = free_port()
    with open(workdir / "server.log", "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "homerelay", "serve", "--host", HOST, "--port", str(port), "--db", database_url],
            env=bench_env(), stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(f"http://{HOST}:{port}/healthz", server)
        workers = children(server.pid)
        result = asyncio.run(measure(port, workers[0], tokens))
    finally:
        stop(server)
    result["open_file_limit"] = open_files
    result["database"] = database_url.split(":", 1)[0]
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.waiting_agents", description=__doc__)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="homerelay-waiting-") as workdir:
        result = run(args.agents, args.db, Path(workdir))
    width = max(map(len, result))
    print(f"{args.agents} agents long-polling one homerelay serve process (one gevent worker):")
    for key, value in result.items():
        print(f"  {key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
