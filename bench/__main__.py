"""`python -m bench`: every benchmark in turn, homerelay side by side with the one-slot relay."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import idle, intake, latency, memory

# Benchmarks other engineers own; run with --all when they are there.
EXTRA_BENCHMARKS = ("waiting_agents", "pg_intake")
LATENCY_P50_TARGET_MS = 20.0
LATENCY_P99_TARGET_MS = 100.0
IDLE_TARGET_PER_MINUTE = 3.0
INTAKE_TARGET_RATIO = 2.0


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (about a minute) to try it out")
    parser.add_argument("--intake-seconds", type=float, default=12.0, help="per relay and client")
    parser.add_argument("--threads", type=int, default=4, help="Python client threads for intake")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections for intake")
    parser.add_argument("--no-wrk", action="store_true", help="intake with the Python client only")
    parser.add_argument("--singles", type=int, default=40, help="latency: commands sent one at a time")
    parser.add_argument("--burst-seconds", type=float, default=10.0, help="latency: length of the burst")
    parser.add_argument("--rate", type=float, default=10.0, help="latency: burst commands a second")
    parser.add_argument("--idle-seconds", type=float, default=120.0, help="idle agent watch time")
    parser.add_argument("--only", choices=("intake", "latency", "idle", "memory"), action="append",
                        help="run only these (repeatable)")
    parser.add_argument("--all", action="store_true",
                        help=f"also run {', '.join('bench.' + name for name in EXTRA_BENCHMARKS)} if present")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print their tables and a summary against the design's targets."""
    args = build_parser().parse_args(argv)
    if args.quick:
        args.intake_seconds, args.singles, args.burst_seconds, args.idle_seconds = 3.0, 10, 3.0, 30.0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    wanted = set(args.only or ("intake", "latency", "idle", "memory"))
    workdir = Path(tempfile.mkdtemp(prefix="homerelay-bench-"))
    summary: list[tuple[str, str, str, bool | None]] = []
    readings: list[memory.Memory] = []
    print(f"homerelay benchmarks on {os.cpu_count()} CPU(s), loopback, HOMERELAY_LIMITS=off")
    try:
        if "intake" in wanted:
            summary += _intake(workdir, args, readings)
        if "latency" in wanted:
            summary += _latency(workdir, args, readings)
        if "idle" in wanted:
            summary += _idle(workdir, args, readings)
        if "memory" in wanted:
            _section("Memory", "resident memory (VmRSS) after the runs")
            readings += memory.run(workdir)
            print(memory.format_table(readings))
            for process in ("agent", "server worker"):
                measured = [r.rss_mb for r in readings if r.process == process and r.rss_mb is not None]
                if measured:
                    target = memory.AGENT_TARGET_MB if process == "agent" else memory.SERVER_TARGET_MB
                    summary.append((f"{process} memory (largest)", f"{max(measured):.1f} MB",
                                    f"<= {target:.0f} MB", max(measured) <= target))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _print_summary(summary)
    if args.all:
        _run_extras()
    return 0


def _section(title: str, what: str) -> None:
    # Other processes on the machine change every figure; say how busy it was.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\n== {title}: {what}  [load average {load}{_cpu_pressure()}]")


def _cpu_pressure() -> str:
    """Share of the last 10 s in which some task waited for a CPU (Linux PSI), if known."""
    try:
        first = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return ""
    fields = dict(part.split("=", 1) for part in first.split()[1:])
    return f"; CPU pressure {fields.get('avg10', '?')}%"


def _intake(workdir: Path, args, readings: list) -> list:
    _section("Intake", "POST /api/v1/commands (SQLite, durable) vs POST /set_command (Flask threaded)")
    result = intake.run(workdir, args.intake_seconds, args.threads, args.connections,
                        use_wrk=False if args.no_wrk else None)
    print(intake.format_table(result))
    python_rates = [rate for rate in result["rates"] if rate.client == "python"]
    if python_rates and python_rates[0].client_cpu_ms:
        # A client that spends about a core's worth of CPU is measuring itself, not the server.
        ceiling = 1000 / python_rates[0].client_cpu_ms
        print(f"The Python client needs {python_rates[0].client_cpu_ms:.2f} ms of CPU a request: "
              f"it cannot send more than about {ceiling:.0f} requests/s on one core.")
    readings.append(memory.Memory("server worker", "intake", result["server_worker_rss_mb"]))
    rows = []
    for client in ("wrk", "python"):
        for target in intake.homerelay_names(result["rates"]):
            value = intake.ratio(result["rates"], client, target)
            if value is not None:
                rows.append((f"intake ratio, {target} ({client})", f"{value:.2f}x",
                             f">= {INTAKE_TARGET_RATIO:g}x", value >= INTAKE_TARGET_RATIO))
    return rows


def _latency(workdir: Path, args, readings: list) -> list:
    _section("Latency", "app POST to device switched (homerelay: the agent's ack on the event stream)")
    rows, agent_mb = latency.run(workdir / "latency", args.singles, args.burst_seconds, args.rate)
    print(latency.format_table(rows))
    readings.append(memory.Memory("agent", "latency runs", agent_mb))
    summary = []
    for row in rows:
        if row.system != "homerelay":
            continue
        ok = (row.lost == 0 and row.p50_ms is not None and row.p50_ms <= LATENCY_P50_TARGET_MS
              and row.p99_ms <= LATENCY_P99_TARGET_MS)
        summary.append((f"latency {row.mode}", f"p50 {row.p50_ms} ms, p99 {row.p99_ms} ms, lost {row.lost}",
                        f"p50 <= {LATENCY_P50_TARGET_MS:g}, p99 <= {LATENCY_P99_TARGET_MS:g}, none lost", ok))
    return summary


def _idle(workdir: Path, args, readings: list) -> list:
    _section("Idle agent", f"command requests over {args.idle_seconds:.0f} s with nothing to do")
    result = idle.run(workdir, args.idle_seconds)
    print(f"homerelay agent:   {result.agent_requests} command requests in {result.seconds:.0f} s "
          f"= {result.agent_per_minute:.1f} a minute")
    print(f"one-slot Pi loop:  {result.oneslot_requests} command requests in {result.seconds:.0f} s "
          f"= {result.oneslot_per_minute:.1f} a minute")
    readings.append(memory.Memory("agent", "idle watch", result.agent_rss_mb))
    readings.append(memory.Memory("server worker", "idle watch", result.server_worker_rss_mb))
    return [("idle agent command requests", f"{result.agent_per_minute:.1f} /min",
             f"<= {IDLE_TARGET_PER_MINUTE:g} /min", result.agent_per_minute <= IDLE_TARGET_PER_MINUTE)]


def _print_summary(summary: list) -> None:
    if not summary:
        return
    print("\n== Summary against the design's targets")
    width = max(len(name) for name, *_ in summary)
    for name, measured, target, ok in summary:
        verdict = {True: "met", False: "NOT MET", None: "-"}[ok]
        print(f"{name:<{width}}  {measured:<40} target {target:<34} {verdict}")


def _run_extras() -> None:
    here = Path(__file__).resolve().parent
    for name in EXTRA_BENCHMARKS:
        if not (here / f"{name}.py").exists():
            print(f"\n(bench.{name} is not there yet: skipped)")
            continue
        print(f"\n== bench.{name}")
        sys.stdout.flush()
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=here.parent, check=False)
        print(f"(bench.{name} exited {done.returncode} after {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    raise SystemExit(main())
