"""Publish/subscribe: wakes long-polling agents and feeds Server-Sent Events, across processes via a broadcaster."""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)

# A subscriber that falls this far behind is closed rather than letting memory grow: its client
# reconnects and reloads, which costs less than catching up on stale events one by one.
SUBSCRIBER_BACKLOG = 256


@dataclass(frozen=True)
class Event:
    """One named event of a home; `data` is the JSON object the matching GET returns."""

    home_id: int
    name: str
    data: dict


class Subscription:
    """A queue of one home's events for one listener (an open SSE stream)."""

    def __init__(self, hub: "EventHub", home_id: int) -> None:
        self.home_id = home_id
        self._hub = hub
        self._queue: queue.Queue[Event] = queue.Queue(maxsize=SUBSCRIBER_BACKLOG)
        # Set once the listener fell behind: its stream ends and the client starts afresh.
        self.fell_behind = False

    def get(self, timeout: float) -> Event | None:
        """The next event, or None after `timeout` seconds without one."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def offer(self, event: Event) -> None:
        """Queue an event; a listener that stopped reading is closed (one log line, not one per event)."""
        if self.fell_behind:
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.fell_behind = True
            self.close()
            logger.warning("an event listener of home %s fell %d events behind; closing its stream",
                           self.home_id, SUBSCRIBER_BACKLOG)

    def close(self) -> None:
        """Stop receiving events."""
        self._hub.unsubscribe(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class _HomeCondition(threading.Condition):
    """A home's queue-changed condition, counting who waits on it so it can be dropped."""

    def __init__(self, lock: threading.Lock) -> None:
        super().__init__(lock)
        self.waiters = 0


class Broadcaster(Protocol):
    """Carries a process's events to the other server processes (see `pg_notify`)."""

    def send_event(self, home_id: int, name: str, data: dict) -> None:
        """Pass an event on."""

    def send_wake(self, home_id: int) -> None:
        """Pass a queue wake-up on."""


class EventHub:
    """Per-home wake-ups and event fan-out; with a broadcaster attached, across processes too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: dict[int, set[Subscription]] = defaultdict(set)
        # One counter per home, bumped whenever its command queue changes; a long-poll
        # reads it before looking at the database so no wake-up can slip between.
        self._queue_versions: dict[int, int] = defaultdict(int)
        # One condition per home, so a command wakes that home's agents only, not every
        # agent of every home (a thousand waiting greenlets would each wake up for nothing).
        self._queue_changed: dict[int, threading.Condition] = {}
        self._broadcaster: Broadcaster | None = None

    def attach(self, broadcaster: Broadcaster | None) -> None:
        """Also send every event and wake-up to other processes through `broadcaster`."""
        self._broadcaster = broadcaster

    def publish(self, home_id: int, name: str, data: dict) -> None:
        """Send an event to every listener of the home, in this process and the others."""
        self.publish_local(home_id, name, data)
        if self._broadcaster is not None:
            self._broadcaster.send_event(home_id, name, data)

    def publish_local(self, home_id: int, name: str, data: dict) -> None:
        """Send an event to this process's listeners only (one that came from another process)."""
        event = Event(home_id, name, data)
        with self._lock:
            listeners = list(self._subscriptions.get(home_id, ()))
        for subscription in listeners:
            subscription.offer(event)

    def subscribe(self, home_id: int) -> Subscription:
        """Start listening to a home's events."""
        subscription = Subscription(self, home_id)
        with self._lock:
            self._subscriptions[home_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop a listener."""
        with self._lock:
            listeners = self._subscriptions.get(subscription.home_id)
            if listeners is not None:
                listeners.discard(subscription)
                if not listeners:
                    del self._subscriptions[subscription.home_id]

    def queue_version(self, home_id: int) -> int:
        """The home's queue version, to pass to `wait_for_queue_change`."""
        with self._lock:
            return self._queue_versions[home_id]

    def notify_queue_changed(self, home_id: int) -> None:
        """Wake every agent of the home that waits for a command, in this process and the others."""
        self.notify_queue_changed_local(home_id)
        if self._broadcaster is not None:
            self._broadcaster.send_wake(home_id)

    def notify_queue_changed_local(self, home_id: int) -> None:
        """Wake this process's waiting agents of the home."""
        with self._lock:
            self._queue_versions[home_id] += 1
            changed = self._queue_changed.get(home_id)
            if changed is not None:
                changed.notify_all()

    def wake_all_queues(self) -> None:
        """Make every waiting agent look at the database again (after wake-ups may have been missed)."""
        with self._lock:
            for home_id in list(self._queue_versions):
                self._queue_versions[home_id] += 1
            for changed in self._queue_changed.values():
                changed.notify_all()

    def waiting_agents(self, home_id: int) -> int:
        """How many of this process's long-polls for the home are waiting for a command now."""
        with self._lock:
            changed = self._queue_changed.get(home_id)
            return changed.waiters if changed is not None else 0

    def wait_for_queue_change(self, home_id: int, seen_version: int, timeout: float) -> bool:
        """Block until the queue changed after `seen_version`, or `timeout`; True if it changed."""
        with self._lock:
            changed = self._queue_changed.get(home_id)
            if changed is None:
                changed = self._queue_changed[home_id] = _HomeCondition(self._lock)
            changed.waiters += 1
            try:
                return changed.wait_for(lambda: self._queue_versions[home_id] != seen_version, timeout=max(timeout, 0.0))
            finally:
                changed.waiters -= 1
                if changed.waiters == 0:
                    # Nobody waits on this home any more: forget its condition.
                    del self._queue_changed[home_id]
