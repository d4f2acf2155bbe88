"""LISTEN/NOTIFY between two hubs (two processes' worth) on one PostgreSQL database."""

from __future__ import annotations


import pytest

from homerelay.server.storage.db import Database
from homerelay.server.fanout.hub import EventHub
from homerelay.server.fanout.postgres import PIECE_CHARS
from homerelay.server.relay import start_bridge
from tests.scaleout.wakeups import wake_across


@pytest.fixture
def two_hubs(postgres_url):
    db = Database(postgres_url)
    hubs = [EventHub(), EventHub()]
    bridges = [start_bridge(db, hub) for hub in hubs]
    yield hubs
    for bridge in bridges:
        bridge.stop()
    db.dispose()


def test_sqlite_needs_no_bridge(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    assert start_bridge(db, EventHub()) is None
    db.dispose()


def test_an_event_published_on_one_hub_reaches_the_others_listeners_once(two_hubs):
    here, there = two_hubs
    with here.subscribe(7) as local, there.subscribe(7) as remote, there.subscribe(8) as other_home:
        here.publish(7, "command", {"id": 1})
        assert local.get(timeout=1).data == {"id": 1}
        assert remote.get(timeout=2).data == {"id": 1}
        assert other_home.get(timeout=0.2) is None
        # Our own notification comes back to us too, and must not be delivered twice.
        assert local.get(timeout=0.3) is None


def test_an_event_too_large_for_one_notification_arrives_whole(two_hubs):
    here, there = two_hubs
    big = {"devices": [{"room": f"room {i}", "device": "light", "kind": "led", "state": "on"} for i in range(400)]}
    with there.subscribe(1) as remote:
        here.publish(1, "devices", big)
        here.publish(1, "reading", {"temperature": 21.0})
        assert len(str(big)) > 2 * PIECE_CHARS
        assert remote.get(timeout=2).data == big
        assert remote.get(timeout=2).data == {"temperature": 21.0}


def test_a_queue_change_wakes_an_agent_waiting_on_the_other_hub(two_hubs):
    here, there = two_hubs
    assert wake_across(here, there, 3, settle=0.2) < 0.2
