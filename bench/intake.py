"""Command intake: requests per second of homerelay's durable queue vs the one-slot relay."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.harness import OneSlotProcess, Server, rss_mb

logger = logging.getLogger(__name__)

TEXTS = (
    "turn on the kitchen light",
    "turn off the kitchen light",
    "switch on the bedroom light",
    "turn off the bathroom light",
)
WARMUP_SECONDS = 1.0


@dataclass(frozen=True)
class Rate:
    """One intake measurement."""

    target: str          # "homerelay" or "one-slot"
    client: str          # "python" or "wrk"
    requests: int
    errors: int          # answers other than the expected status, or failed requests
    seconds: float
    client_cpu_ms: float | None = None   # client CPU time per request (Python client only)

    @property
    def per_second(self) -> float:
        """Accepted requests per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Target:
    """Where and what to POST, and the status that means accepted."""

    name: str
    url: str
    headers: dict
    bodies: tuple[bytes, ...]
    accepted: int


def homerelay_target(server: Server) -> Target:
    """`POST /api/v1/commands` with the app token."""
    return Target(
        "homerelay", f"{server.url}/api/v1/commands",
        {"Authorization": f"Bearer {server.app_token}", "Content-Type": "application/json"},
        tuple(json.dumps({"text": text}).encode() for text in TEXTS), 201,
    )


def oneslot_target(relay: OneSlotProcess) -> Target:
    """`POST /set_command` with the raw text, as the original app sent it."""
    return Target("one-slot", f"{relay.url}/set_command", {"Content-Type": "text/plain"},
                  tuple(text.encode() for text in TEXTS), 200)


def python_client(target: Target, threads: int, seconds: float) -> Rate:
    """Keep-alive `requests.Session`s in `threads` threads, posting as fast as answers come."""
    counts = [[0, 0] for _ in range(threads)]
    start = threading.Barrier(threads + 1)

    def worker(slot: list[int]) -> None:
        with requests.Session() as session:
            session.headers.update(target.headers)
            session.post(target.url, data=target.bodies[0], timeout=10)   # open the connection
            start.wait()
            index = 0
            while time.monotonic() < deadline:
                index += 1
                try:
                    status = session.post(target.url, data=target.bodies[index % len(target.bodies)],
                                          timeout=10).status_code
                except requests.RequestException:
                    status = None
                slot[0] += 1
                slot[1] += status != target.accepted

    deadline = time.monotonic() + 3600
    pool = [threading.Thread(target=worker, args=(slot,), daemon=True) for slot in counts]
    for thread in pool:
        thread.start()
    began, cpu_began = time.monotonic(), time.process_time()
    deadline = began + seconds
    start.wait()
    for thread in pool:
        thread.join()
    elapsed, cpu = time.monotonic() - began, time.process_time() - cpu_began
    total = sum(slot[0] for slot in counts)
    return Rate(target.name, "python", total, sum(slot[1] for slot in counts), elapsed,
                1000 * cpu / total if total else None)


def wrk_available() -> bool:
    """True when `wrk` (Debian package wrk) is on the PATH."""
    return shutil.which("wrk") is not None


def wrk_client(target: Target, connections: int, seconds: float, threads: int = 2) -> Rate:
    """Run wrk against the target with a script that posts the bodies in turn."""
    lines = [f"local bodies = {{{', '.join(_lua_string(body.decode()) for body in target.bodies)}}}",
             "local i = 0", 'wrk.method = "POST"']
    lines += [f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}" for name, value in target.headers.items()]
    lines += ["request = function()", "  i = i % #bodies + 1",
              "  return wrk.format(nil, nil, nil, bodies[i])", "end"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
             "-s", script.name, target.url],
            capture_output=True, text=True, check=True, timeout=seconds + 30,
        ).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    total = int(re.search(r"(\d+) requests in ([\d.]+)(m?s)", out).group(1))
    took = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    elapsed = float(took.group(2)) / (1000 if took.group(3) == "ms" else 1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    return Rate(target.name, "wrk", total, errors, elapsed)


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run(workdir: Path, seconds: float = 10.0, threads: int = 4, connections: int = 8,
        use_wrk: bool | None = None) -> dict:
    """Measure both relays side by side; returns the rates and the homerelay worker's memory."""
    use_wrk = wrk_available() if use_wrk is None else use_wrk
    rates: list[Rate] = []
    with OneSlotProcess() as relay, Server(workdir / "intake") as server:
        targets = (oneslot_target(relay), homerelay_target(server))
        for target in targets:
            python_client(target, threads, WARMUP_SECONDS)
        for target in targets:
            logger.info("intake: %s with the Python client for %.0f s", target.name, seconds)
            rates.append(python_client(target, threads, seconds))
        if use_wrk:
            for target in targets:
                logger.info("intake: %s with wrk for %.0f s", target.name, seconds)
                rates.append(wrk_client(target, connections, seconds))
        worker = server.worker_pid()
        worker_rss = rss_mb(worker) if worker else None
    return {"rates": rates, "server_worker_rss_mb": worker_rss, "threads": threads, "connections": connections}


def ratio(rates: list[Rate], client: str) -> float | None:
    """homerelay's rate over the one-slot relay's, for one client."""
    by_target = {rate.target: rate.per_second for rate in rates if rate.client == client}
    if not by_target.get("one-slot") or "homerelay" not in by_target:
        return None
    return by_target["homerelay"] / by_target["one-slot"]
