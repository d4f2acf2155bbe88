"""What one home can store is bounded: readings by age, batch and rate; commands waiting and kept."""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta

from sqlalchemy import insert, text

from homerelay.server.services.quotas import ReadingAllowance, QuotaExceededError
from homerelay.clock import utcnow
from homerelay.server.storage.models import Command

import pytest

from tests.support.homes import stored_readings


def reading_at(moment) -> dict:
    return {"temperature": 21.0, "humidity": 40.0, "at": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_readings_older_than_the_retention_or_from_the_future_are_refused(make_home):
    home = make_home(READING_RETENTION_DAYS=30)
    now = utcnow()
    for moment in (now - timedelta(days=31), now + timedelta(minutes=6)):
        answer = home.client.post("/api/v1/readings", json=[reading_at(moment)], headers=home.agent_headers)
        assert answer.status_code == 400, moment
        assert "clock" in answer.get_json()["detail"]
    answer = home.client.post("/api/v1/readings", json=[reading_at(now - timedelta(days=29))], headers=home.agent_headers)
    assert answer.status_code == 201


def test_a_homes_reading_rate_is_bounded_but_an_offline_days_backlog_fits(make_home):
    home = make_home(READING_BURST=10_000, READING_RATE_PER_SECOND=1.0)
    start = utcnow() - timedelta(days=1)
    day = [reading_at(start + timedelta(seconds=10 * i)) for i in range(8640)]
    for first in range(0, len(day), 1000):
        body = json.dumps(day[first:first + 1000], separators=(",", ":"))
        assert home.client.post("/api/v1/readings", data=body, content_type="application/json",
                                headers=home.agent_headers).status_code == 201
    flood = json.dumps([{"temperature": 21, "humidity": 40}] * 1500, separators=(",", ":"))
    refused = home.client.post("/api/v1/readings", data=flood, content_type="application/json", headers=home.agent_headers)
    assert refused.status_code == 429
    assert "more readings than it may store" in refused.get_json()["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert stored_readings(home.app, 1) == 8640


def test_the_reading_allowance_refills_at_its_rate():
    clock = [0.0]
    allowance = ReadingAllowance(burst=10, rate=0.5, clock=lambda: clock[0])
    allowance.take(1, 10)
    with pytest.raises(QuotaExceededError) as refused:
        allowance.take(1, 1)
    assert refused.value.retry_after == 2
    allowance.take(2, 10)  # another home has its own
    clock[0] = 2.0
    allowance.take(1, 1)


def test_pruning_finds_old_rows_through_an_index(make_app):
    app = make_app()
    db = app.extensions["homerelay"].db
    with db.engine.connect() as connection:
        for statement in ("DELETE FROM readings WHERE at < '2020-01-01'",
                          "DELETE FROM commands WHERE created_at < '2020-01-01' AND status IN ('done', 'failed')"):
            plan = " ".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {statement}")))
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (statement, plan)


def test_a_home_may_have_at_most_100_commands_waiting(make_home):
    home = make_home()
    for n in range(100):
        assert home.client.post("/api/v1/commands", json={"text": "turn on the tv"},
                                headers=home.app_headers).status_code == 201, n
    refused = home.client.post("/api/v1/commands", json={"text": "turn on the tv"}, headers=home.app_headers)
    assert refused.status_code == 429
    assert refused.get_json()["detail"].startswith("the house has too many commands waiting")
    assert "Retry-After" in refused.headers
    # Carrying one out makes room for one more.
    claimed = home.client.get("/api/v1/agent/next", headers=home.agent_headers).get_json()
    home.client.post(f"/api/v1/commands/{claimed['id']}/ack", json={"status": "done"}, headers=home.agent_headers)
    assert home.client.post("/api/v1/commands", json={"text": "turn on the tv"},
                            headers=home.app_headers).status_code == 201


def test_the_command_history_is_bounded_by_age_and_count(make_home):
    home = make_home(COMMAND_HISTORY_DAYS=30, COMMAND_HISTORY_MAX=50)
    relay = home.app.extensions["homerelay"]
    old, recent = utcnow() - timedelta(days=31), utcnow() - timedelta(hours=1)
    rows = [{"home_id": 1, "text": "turn on the tv", "source": "app", "intent": "control", "actions": [],
             "status": "done", "created_at": old if n < 20 else recent} for n in range(120)]
    rows.append({**rows[-1], "status": "pending"})
    with relay.db.writing() as connection:
        connection.execute(insert(Command.__table__), rows)
    relay.queue.prune(1)
    kept = relay.queue.recent(1, 500)
    assert len(kept) == 50
    assert all(command.created_at >= recent - timedelta(seconds=1) for command in kept)
    assert kept[0].status == "pending"


def test_a_reading_does_not_reread_every_waiting_command(make_home):
    home = make_home(MAX_UNFINISHED_COMMANDS=10_000)
    relay = home.app.extensions["homerelay"]

    def reading_post_ms() -> float:
        times = []
        for _ in range(15):
            started = time.perf_counter()
            assert home.client.post("/api/v1/readings", json={"temperature": 21, "humidity": 40},
                                    headers=home.agent_headers).status_code == 201
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    idle = reading_post_ms()
    pending = [{"home_id": 1, "text": "turn on the kitchen light", "source": "app", "intent": "control",
                "actions": [{"room": "kitchen", "device": "light", "action": "on"}], "status": "pending",
                "created_at": utcnow()} for _ in range(1000)]
    with relay.db.writing() as connection:
        connection.execute(insert(Command.__table__), pending)
    busy = reading_post_ms()
    print(f"reading POST {idle:.1f} ms idle, {busy:.1f} ms with 1,000 commands waiting")
    assert busy < 1.5 * idle + 2.0
