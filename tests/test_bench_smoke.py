"""Smoke test: every benchmark module still runs end to end, with tiny counts (not a measurement)."""

from __future__ import annotations

import pytest

from bench import __main__ as bench_main
from bench import idle, intake, latency, memory

pytestmark = pytest.mark.slow


def test_intake_measures_every_target(tmp_path):
    result = intake.run(tmp_path, seconds=0.3, threads=2, use_wrk=False, rounds=1)
    rates = {rate.target: rate for rate in result["rates"]}
    assert set(rates) == {"homerelay", "one-slot", "floor"}
    for rate in rates.values():
        assert rate.requests > 0
        assert rate.errors == 0
        assert rate.server_cpu_ms > 0
    assert intake.ratio(result["rates"], "python") > 0
    table = intake.format_table(result)
    assert "homerelay / one-slot" in table and "floor / one-slot" in table


def test_latency_loses_nothing_through_homerelay(tmp_path):
    rows, agent_mb = latency.run(tmp_path, singles=1, burst_seconds=0.5, rate=4)
    by_key = {(row.system, row.mode.split()[0]): row for row in rows}
    assert by_key["homerelay", "single"].lost == 0
    assert by_key["homerelay", "burst"].sent == 2
    assert by_key["homerelay", "burst"].lost == 0
    assert by_key["one-slot", "single"].carried_out == 1
    assert agent_mb is not None and agent_mb > 0
    assert "p99 ms" in latency.format_table(rows)


def test_idle_counts_requests(tmp_path):
    result = idle.run(tmp_path, seconds=1.0)
    assert result.oneslot_requests >= 1
    # A connected agent sits in one long-poll: at most one request begins in a second.
    assert result.agent_requests <= 1
    assert result.agent_rss_mb is not None


def test_memory_reads_agent_and_worker(tmp_path):
    readings = memory.run(tmp_path, commands=2)
    assert {reading.process for reading in readings} == {"agent", "server worker"}
    assert all(reading.rss_mb for reading in readings)
    assert "RSS MB" in memory.format_table(readings)


def test_command_line_options():
    args = bench_main.build_parser().parse_args(["--quick", "--all", "--only", "idle"])
    assert args.quick and args.all and args.only == ["idle"]


def test_the_wake_recordings_give_every_voice_both_noise_conditions():
    # Noise by recording parity made each of the six voices always clean or always noisy.
    from bench import spoken, voice

    jobs = voice.wake_jobs([("turn on the tv", "living_room:tv:on")], "hey home", 0.65, 100)
    assert {(job[1], job[3]) for job in jobs} == {(v, noisy) for v in spoken.VOICES for noisy in (False, True)}
    assert sum(job[3] for job in jobs) in (48, 52)  # half, by whole rounds of voices
