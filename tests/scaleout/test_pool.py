"""Waiting agents hold no database connection: the pool serves others while many long-polls wait."""

from __future__ import annotations

import threading
import time

from homerelay.server.services.homes import create_home

WAITING = 20


def test_long_polls_hold_no_pooled_connection_while_they_wait(make_app):
    app = make_app()
    relay = app.extensions["homerelay"]
    homes = [create_home(app, f"home {n}") for n in range(WAITING)]
    answers = {}

    def agent(index):
        response = app.test_client().get("/api/v1/agent/next?wait=10",
                                         headers={"Authorization": f"Bearer {homes[index].agent_token}"})
        answers[index] = response.status_code

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(WAITING)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    # More agents wait than the pool has connections (8 + 8 on PostgreSQL, 5 + 10 on SQLite); none holds one.
    assert relay.db.engine.pool.checkedout() == 0
    assert not answers
    for home in homes:
        posted = app.test_client().post("/api/v1/commands", json={"text": "turn on the tv"},
                                        headers={"Authorization": f"Bearer {home.app_token}"})
        assert posted.status_code == 201
    for thread in threads:
        thread.join(timeout=10)
    assert answers == {n: 200 for n in range(WAITING)}
