"""Waiting agents hold no database connection: the pool serves others while many long-polls wait."""

from __future__ import annotations

import threading

from tests.support.homes import add_home, bearer, relay_of
from tests.support.polling import eventually


WAITING = 20


def test_long_polls_hold_no_pooled_connection_while_they_wait(make_app):
    app = make_app()
    relay = relay_of(app)
    homes = [add_home(app, f"home {n}") for n in range(WAITING)]
    answers = {}

    def agent(index):
        response = app.test_client().get("/api/v1/agent/next?wait=10", headers=bearer(homes[index].agent_token))
        answers[index] = response.status_code

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(WAITING)]
    for thread in threads:
        thread.start()
    try:
        # Wait until every agent is parked on its home's wake-up, however slow the machine
        # is to sign them in: only then is the claim to look at.
        eventually(lambda: all(relay.hub.waiting_agents(home.home_id) == 1 for home in homes))
        # More agents wait than the pool has connections (8 + 8 on PostgreSQL, 5 + 10 on SQLite); none holds one.
        assert relay.db.engine.pool.checkedout() == 0
        assert not answers
    finally:
        # Answer every agent even when an assertion failed, so no thread outlives the test.
        for home in homes:
            app.test_client().post("/api/v1/commands", json={"text": "turn on the tv"}, headers=bearer(home.app_token))
        for thread in threads:
            thread.join(timeout=10)
    assert answers == {n: 200 for n in range(WAITING)}
