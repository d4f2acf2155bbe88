"""Resident memory of the agent and of the server's worker process, after carrying out commands."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.harness import AgentProcess, Server, client_session, rss_mb

logger = logging.getLogger(__name__)

AGENT_TARGET_MB = 50.0
SERVER_TARGET_MB = 100.0
TEXTS = ("turn on all the lights", "turn off everything", "open the garage door", "turn on the tv")
COMMAND_TIMEOUT = 10.0


@dataclass(frozen=True)
class Memory:
    """One resident-memory reading (VmRSS), with where it was taken."""

    process: str     # "agent" or "server worker"
    when: str        # after which run
    rss_mb: float | None

    @property
    def target_mb(self) -> float:
        """The design's ceiling for this process."""
        return AGENT_TARGET_MB if self.process == "agent" else SERVER_TARGET_MB

    @property
    def meets_target(self) -> bool | None:
        """True when within the ceiling (None when not measured)."""
        return None if self.rss_mb is None else self.rss_mb <= self.target_mb


def run(workdir: Path, commands: int = 40) -> list[Memory]:
    """Carry out `commands` commands through a server and a simulated agent, then read both."""
    with Server(workdir / "memory") as server:
        agent = AgentProcess(server.url, server.agent_token, workdir / "memory-agent").start(ready=server)
        session = client_session()
        session.headers["Authorization"] = f"Bearer {server.app_token}"
        try:
            for index in range(commands):
                sent = session.post(f"{server.url}/api/v1/commands",
                                    json={"confirm": True, "text": TEXTS[index % len(TEXTS)]}, timeout=5)
                sent.raise_for_status()
                _wait_finished(session, f"{server.url}/api/v1/commands/{sent.json()['id']}")
            # Let the agent report its devices and a reading or two before reading its memory.
            time.sleep(1.0)
            worker = server.worker_pid()
            when = f"{commands} commands"
            return [Memory("agent", when, rss_mb(agent.process.pid)),
                    Memory("server worker", when, rss_mb(worker) if worker else None)]
        finally:
            session.close()
            agent.stop()


def _wait_finished(session: requests.Session, url: str) -> None:
    deadline = time.monotonic() + COMMAND_TIMEOUT
    while time.monotonic() < deadline:
        if session.get(url, timeout=5).json().get("status") in ("done", "failed"):
            return
        time.sleep(0.02)
    raise RuntimeError(f"{url} was not carried out within {COMMAND_TIMEOUT} s")


def format_table(readings: list[Memory]) -> str:
    """The readings as a fixed-width table."""
    header = f"{'process':<14} {'after':<28} {'RSS MB':>7} {'target':>7} {'ok':>4}"
    lines = [header, "-" * len(header)]
    for reading in readings:
        rss = "-" if reading.rss_mb is None else f"{reading.rss_mb:.1f}"
        ok = {True: "yes", False: "NO", None: "-"}[reading.meets_target]
        lines.append(f"{reading.process:<14} {reading.when:<28} {rss:>7} {reading.target_mb:>7.0f} {ok:>4}")
    return "\n".join(lines)
