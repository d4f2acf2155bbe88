"""Command latency on loopback, app POST to the agent's ack: homerelay vs the one-slot relay.

    python -m bench.latency [--singles 40] [--burst-seconds 10] [--rate 10] [--json]

homerelay: a `homerelay serve` subprocess (limits off) and a simulated `homerelay agent`
subprocess; the time is taken from just before `POST /api/v1/commands` to the moment the
app's Server-Sent Events stream reports the command done (the agent's ack), so it includes
parsing, the durable queue, the long-poll wake-up, switching the (simulated) pin, the ack and
the event. The server's own view (`done_at - created_at`) is shown too.

one-slot: the original design — `POST /set_command` overwrites one slot, and a Pi loop asks
`GET /get_command` every second and acts when the text changed; the time runs from before
the POST to the poll that first sees the text.

Singles are sent one at a time (each waits for the last to finish, plus a random pause; for
the one-slot relay the pause spans a whole poll period, so commands land anywhere in the Pi's
poll cycle, as a person's would); the burst sends `rate` commands a second for
`burst-seconds` and counts how many were carried out.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from bench.harness import AgentProcess, OneSlotProcess, Server, client_session, rss_mb
from bench.oneslot import POLL_INTERVAL, PiPoller

logger = logging.getLogger(__name__)

TEXTS = (
    "turn on the kitchen light",
    "turn off the kitchen light",
    "turn on the bedroom light",
    "turn off the bedroom light",
)
FINISHED = ("done", "failed")
SINGLE_TIMEOUT = 5.0
BURST_DRAIN_TIMEOUT = 10.0


@dataclass(frozen=True)
class Result:
    """One row of the report."""

    system: str
    mode: str
    sent: int
    carried_out: int
    p50_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    max_ms: float | None
    # From the server's timestamps: POST arrived → delivered to the agent, and → ack arrived.
    delivered_p50_ms: float | None = None
    acked_p50_ms: float | None = None

    @property
    def lost(self) -> int:
        """Commands that were never carried out."""
        return self.sent - self.carried_out


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile (no interpolation: p99 of 40 values is the worst but none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def result(system: str, mode: str, sent: int, latencies_s: list[float],
           server_s: tuple[list[float], list[float]] | None = None) -> Result:
    """Summarise latencies (seconds) into a report row (milliseconds)."""
    ms = [value * 1000 for value in latencies_s]

    def rounded(value):
        return None if value is None else round(value, 1)

    return Result(
        system, mode, sent, len(ms),
        rounded(percentile(ms, 0.50)), rounded(percentile(ms, 0.99)),
        rounded(statistics.fmean(ms)) if ms else None, rounded(max(ms)) if ms else None,
        *(rounded(percentile([v * 1000 for v in values], 0.50)) if values else None
          for values in (server_s or ([], []))),
    )


class DoneEvents:
    """Listens to the app's event stream and notes when each command is reported finished."""

    def __init__(self, server: Server):
        self.server = server
        self.finished: dict[int, float] = {}
        self.cond = threading.Condition()
        self._ready = threading.Event()
        self._response = None
        self._thread = threading.Thread(target=self._run, name="sse", daemon=True)

    def start(self) -> DoneEvents:
        """Subscribe and wait until the stream is open."""
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the event stream did not open")
        return self

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.server.app_token}"}
        with requests.get(f"{self.server.url}/api/v1/events", headers=headers, stream=True,
                          timeout=(5, None)) as response:
            response.raise_for_status()
            self._response = response
            self._ready.set()
            event = None
            try:
                for line in response.iter_lines(chunk_size=1, decode_unicode=True):
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "command":
                        self._note(json.loads(line[5:]))
            except (requests.RequestException, AttributeError, ValueError):
                return  # closed by stop()

    def _note(self, command: dict) -> None:
        if command.get("status") in FINISHED:
            with self.cond:
                self.finished.setdefault(command["id"], time.perf_counter())
                self.cond.notify_all()

    def wait(self, ids, timeout: float) -> None:
        """Wait until every id is finished or the timeout has passed."""
        with self.cond:
            self.cond.wait_for(lambda: all(i in self.finished for i in ids), timeout)

    def stop(self) -> None:
        """Close the stream."""
        if self._response is not None:
            self._response.close()


def _server_side(session: requests.Session, server: Server, ids):
    """Seconds from creation to delivery and to the ack, by the server's clock."""
    from datetime import datetime

    def moment(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    delivered, acked = [], []
    for command_id in ids:
        body = session.get(f"{server.url}/api/v1/commands/{command_id}", timeout=5).json()
        if body.get("done_at") and body.get("delivered_at"):
            created = moment(body["created_at"])
            delivered.append((moment(body["delivered_at"]) - created).total_seconds())
            acked.append((moment(body["done_at"]) - created).total_seconds())
    return delivered, acked


def measure_homerelay(workdir: Path, singles: int, burst_seconds: float, rate: float,
                      rng: random.Random) -> tuple[list[Result], float | None]:
    """Singles and a burst through homerelay; also returns the agent's resident memory (MB)."""
    rows = []
    with Server(workdir / "server") as server:
        agent = AgentProcess(server.url, server.agent_token, workdir / "agent").start(ready=server)
        events = DoneEvents(server).start()
        session = client_session()
        session.headers["Authorization"] = f"Bearer {server.app_token}"
        try:
            latencies, ids = [], []
            for index in range(singles):
                time.sleep(rng.uniform(0.0, 0.2))
                started = time.perf_counter()
                answer = session.post(f"{server.url}/api/v1/commands",
                                      json={"text": TEXTS[index % len(TEXTS)]}, timeout=5)
                answer.raise_for_status()
                command_id = answer.json()["id"]
                ids.append(command_id)
                events.wait([command_id], SINGLE_TIMEOUT)
                if command_id in events.finished:
                    latencies.append(events.finished[command_id] - started)
            rows.append(result("homerelay", "single", singles, latencies,
                               _server_side(session, server, ids)))

            sent_at, ids = _burst(
                lambda index: session.post(f"{server.url}/api/v1/commands",
                                           json={"text": TEXTS[index % len(TEXTS)]},
                                           timeout=5).json()["id"],
                burst_seconds, rate,
            )
            events.wait(ids, BURST_DRAIN_TIMEOUT)
            latencies = [events.finished[i] - sent_at[i] for i in ids if i in events.finished]
            rows.append(result("homerelay", f"burst {rate:g}/s", len(ids), latencies,
                               _server_side(session, server, ids)))
            memory = rss_mb(agent.process.pid)
        finally:
            events.stop()
            session.close()
            agent.stop()
    return rows, memory


def measure_oneslot(singles: int, burst_seconds: float, rate: float,
                    rng: random.Random) -> list[Result]:
    """Singles and a burst through the one-slot relay and its once-a-second Pi."""
    rows = []
    with OneSlotProcess() as relay:
        poller = PiPoller(relay.url).start()
        session = client_session()
        try:
            latencies = []
            for index in range(singles):
                # A pause right after the Pi's last poll would bias every single towards the worst
                # case; a uniform pause over one poll period lands it anywhere in the cycle.
                time.sleep(rng.uniform(0.0, POLL_INTERVAL))
                text = f"{TEXTS[index % len(TEXTS)]} #{index}"
                started = time.monotonic()
                session.post(f"{relay.url}/set_command", data=text.encode(), timeout=5)
                deadline = started + SINGLE_TIMEOUT
                while text not in poller.seen and time.monotonic() < deadline:
                    time.sleep(0.002)
                if text in poller.seen:
                    latencies.append(poller.seen[text] - started)
            rows.append(result("one-slot", "single", singles, latencies))

            def send(index):
                text = f"burst {TEXTS[index % len(TEXTS)]} #{index}"
                session.post(f"{relay.url}/set_command", data=text.encode(), timeout=5)
                return text

            sent_at, texts = _burst(send, burst_seconds, rate, clock=time.monotonic)
            time.sleep(2.5)  # two more poll cycles: whatever is still in the slot is seen
            latencies = [poller.seen[t] - sent_at[t] for t in texts if t in poller.seen]
            rows.append(result("one-slot", f"burst {rate:g}/s", len(texts), latencies))
        finally:
            session.close()
            poller.stop()
    return rows


def _burst(send, seconds: float, rate: float, clock=time.perf_counter):
    """Call send(index) `rate` times a second on a fixed schedule; returns (sent_at, keys)."""
    count = int(seconds * rate)
    start = clock()
    sent_at, keys = {}, []
    for index in range(count):
        delay = start + index / rate - clock()
        if delay > 0:
            time.sleep(delay)
        at = clock()
        key = send(index)
        sent_at[key] = at
        keys.append(key)
    return sent_at, keys


def run(workdir: Path, singles: int = 40, burst_seconds: float = 10.0, rate: float = 10.0,
        seed: int = 1) -> tuple[list[Result], float | None]:
    """Both systems, homerelay first; returns the rows and the agent's resident memory (MB)."""
    rng = random.Random(seed)
    rows, agent_mb = measure_homerelay(workdir, singles, burst_seconds, rate, rng)
    rows += measure_oneslot(singles, burst_seconds, rate, rng)
    return rows, agent_mb


def format_table(rows: list[Result]) -> str:
    """The report as a fixed-width table."""
    header = (f"{'system':<10} {'mode':<12} {'sent':>5} {'done':>5} {'lost':>5} "
              f"{'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8} "
              f"{'srv→agent':>9} {'srv→ack':>8}")
    lines = [header, "-" * len(header)]
    # srv→agent / srv→ack: p50 by the server's own clock from the POST's arrival to the
    # command's delivery to the agent and to the agent's ack.
    for row in rows:
        def cell(value, width):
            return f"{'-' if value is None else value:>{width}}"

        lines.append(
            f"{row.system:<10} {row.mode:<12} {row.sent:>5} {row.carried_out:>5} {row.lost:>5} "
            f"{cell(row.p50_ms, 8)} {cell(row.p99_ms, 8)} {cell(row.mean_ms, 8)} "
            f"{cell(row.max_ms, 8)} {cell(row.delivered_p50_ms, 9)} {cell(row.acked_p50_ms, 8)}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run both systems and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=40, help="commands sent one at a time")
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=10.0, help="burst commands per second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="homerelay-latency-"))
    try:
        rows, agent_mb = run(workdir, args.singles, args.burst_seconds, args.rate, args.seed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps({"rows": [asdict(row) | {"lost": row.lost} for row in rows],
                          "agent_rss_mb": agent_mb}))
    else:
        print(format_table(rows))
        if agent_mb is not None:
            print(f"\nhomerelay agent resident memory after the run: {agent_mb:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
