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
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.harness import FloorProcess, OneSlotProcess, Server, client_session, cpu_seconds, rss_mb

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
    server_cpu_ms: float | None = None   # serving process CPU time per request

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
    pids: tuple[int, ...] = ()   # the processes that serve the requests, for their CPU time


def homerelay_target(server: Server) -> Target:
    """`POST /api/v1/commands` with the app token."""
    return Target(
        "homerelay", f"{server.url}/api/v1/commands",
        {"Authorization": f"Bearer {server.app_token}", "Content-Type": "application/json"},
        tuple(json.dumps({"text": text}).encode() for text in TEXTS), 201, tuple(server.worker_pids()),
    )


def oneslot_target(relay: OneSlotProcess) -> Target:
    """`POST /set_command` with the raw text, as the original app sent it."""
    return Target("one-slot", f"{relay.url}/set_command", {"Content-Type": "text/plain"},
                  tuple(text.encode() for text in TEXTS), 200, (relay.process.pid,))


def floor_target(floor: FloorProcess) -> Target:
    """The same request as homerelay's, to a Flask app that only answers (see `bench.floor`)."""
    return Target("floor", f"{floor.url}/api/v1/commands", {"Content-Type": "application/json"},
                  tuple(json.dumps({"text": text}).encode() for text in TEXTS), 201, tuple(floor.worker_pids()))


def python_client(target: Target, threads: int, seconds: float) -> Rate:
    """Keep-alive `requests.Session`s in `threads` threads, posting as fast as answers come."""
    counts = [[0, 0] for _ in range(threads)]
    start = threading.Barrier(threads + 1)

    def worker(slot: list[int]) -> None:
        with client_session() as session:
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
    server_began = _cpu(target)
    began, cpu_began = time.monotonic(), time.process_time()
    deadline = began + seconds
    start.wait()
    for thread in pool:
        thread.join()
    elapsed, cpu = time.monotonic() - began, time.process_time() - cpu_began
    total = sum(slot[0] for slot in counts)
    return Rate(target.name, "python", total, sum(slot[1] for slot in counts), elapsed,
                _per_request(cpu, total), _per_request(_cpu(target) - server_began, total))


def _cpu(target: Target) -> float:
    return sum(cpu_seconds(pid) or 0.0 for pid in target.pids)


def _per_request(seconds: float, requests_done: int) -> float | None:
    return 1000 * seconds / requests_done if requests_done and seconds > 0 else None


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
    server_began = _cpu(target)
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
             "-s", script.name, target.url],
            capture_output=True, text=True, check=True, timeout=seconds + 30,
        ).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    took = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    total = int(took.group(1))
    elapsed = float(took.group(2)) / (1000 if took.group(3) == "ms" else 1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    return Rate(target.name, "wrk", total, errors, elapsed,
                server_cpu_ms=_per_request(_cpu(target) - server_began, total))


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run(workdir: Path, seconds: float = 10.0, threads: int = 4, connections: int = 8,
        use_wrk: bool | None = None, rounds: int = 3) -> dict:
    """Measure the relays side by side; returns the rates and the homerelay worker's memory.

    Besides homerelay as `homerelay serve` runs (one gevent worker) and the one-slot relay, it
    measures the floor (`bench.floor`). Each client's `seconds` are split into `rounds` that alternate between the
    targets, so a change of load on the machine (other processes) touches all alike.
    """
    use_wrk = wrk_available() if use_wrk is None else use_wrk
    rates: list[Rate] = []
    with ExitStack() as running:
        relay = running.enter_context(OneSlotProcess())
        server = running.enter_context(Server(workdir / "intake"))
        targets = [oneslot_target(relay), homerelay_target(server)]
        targets.append(floor_target(running.enter_context(FloorProcess())))
        for target in targets:
            python_client(target, threads, min(WARMUP_SECONDS, seconds))
        clients = [("python", lambda target, span: python_client(target, threads, span))]
        if use_wrk:
            clients.append(("wrk", lambda target, span: wrk_client(target, connections, span)))
        for name, measure in clients:
            logger.info("intake: every target with the %s client, %.0f s each", name, seconds)
            measured: dict[str, list[Rate]] = {target.name: [] for target in targets}
            for _ in range(rounds):
                for target in targets:
                    measured[target.name].append(measure(target, seconds / rounds))
            rates += [_combine(parts) for parts in measured.values()]
        worker = server.worker_pid()
        worker_rss = rss_mb(worker) if worker else None
    return {"rates": rates, "server_worker_rss_mb": worker_rss, "threads": threads,
            "connections": connections, "rounds": rounds}


def _combine(parts: list[Rate]) -> Rate:
    """One rate from several rounds of the same target and client."""
    total = sum(part.requests for part in parts)

    def weighted(field: str) -> float | None:
        known = [(getattr(part, field), part.requests) for part in parts if getattr(part, field) is not None]
        if not known:
            return None
        return sum(value * count for value, count in known) / max(1, sum(count for _, count in known))

    return Rate(parts[0].target, parts[0].client, total, sum(part.errors for part in parts),
                sum(part.seconds for part in parts), weighted("client_cpu_ms"), weighted("server_cpu_ms"))


def format_table(result: dict) -> str:
    """The rates as a fixed-width table, with homerelay's ratio to the one-slot relay."""
    header = (f"{'client':<7} {'relay':<13} {'requests':>9} {'errors':>7} {'req/s':>8} "
              f"{'server CPU ms/req':>18} {'client CPU ms/req':>18}")
    lines = [header, "-" * len(header)]
    for rate in result["rates"]:
        lines.append(
            f"{rate.client:<7} {rate.target:<13} {rate.requests:>9} {rate.errors:>7} {rate.per_second:>8.0f} "
            f"{_ms(rate.server_cpu_ms):>18} {_ms(rate.client_cpu_ms):>18}"
        )
    for client in dict.fromkeys(rate.client for rate in result["rates"]):
        for target in homerelay_names(result["rates"]):
            value = ratio(result["rates"], client, target)
            if value is not None:
                lines.append(f"{target} / one-slot with the {client} client: {value:.2f}x (target >= 2x)")
        floor = ratio(result["rates"], client, "floor")
        if floor is not None:
            lines.append(f"floor / one-slot with the {client} client: {floor:.2f}x "
                         "(Flask on the same server answering a constant: no relay can beat it)")
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def homerelay_names(rates: list[Rate]) -> list[str]:
    """The homerelay targets measured (one worker, and several if asked)."""
    return list(dict.fromkeys(rate.target for rate in rates if rate.target.startswith("homerelay")))


def ratio(rates: list[Rate], client: str, target: str = "homerelay") -> float | None:
    """A target's rate over the one-slot relay's, for one client."""
    by_target = {rate.target: rate.per_second for rate in rates if rate.client == client}
    if not by_target.get("one-slot") or target not in by_target:
        return None
    return by_target[target] / by_target["one-slot"]
