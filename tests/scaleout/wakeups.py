"""Measuring a queue wake-up that crosses from one EventHub to another (through a bridge)."""

from __future__ import annotations

import threading
import time

from homerelay.server.fanout.hub import EventHub


def wake_across(waking: EventHub, waiting: EventHub, home_id: int, settle: float = 0.01) -> float:
    """Seconds from `waking` announcing a queue change to an agent waiting on `waiting` waking up.

    The agent waits in a thread from before the announcement (`settle` seconds before it); fails
    the test if it is not woken within 5 s.
    """
    seen = waiting.queue_version(home_id)
    woken = {}

    def agent():
        woken["changed"] = waiting.wait_for_queue_change(home_id, seen, timeout=5)
        woken["at"] = time.monotonic()

    thread = threading.Thread(target=agent)
    thread.start()
    time.sleep(settle)
    sent_at = time.monotonic()
    waking.notify_queue_changed(home_id)
    thread.join(timeout=5)
    assert woken["changed"] is True, "the waiting agent was not woken"
    return woken["at"] - sent_at
