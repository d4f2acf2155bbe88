"""Unix-socket event bridge between two hubs (two processes' worth) on one SQLite file's folder."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import stat
import time
from functools import partial

import pytest

from homerelay.server import config as server_config
from homerelay.server.fanout import socket_bridge
from homerelay.server.fanout.bridge import start_bridge
from homerelay.server.storage.db import Database
from homerelay.server.fanout.hub import EventHub
from homerelay.server.fanout.socket_bridge import MAX_DATAGRAM, SocketEventBridge, folder_for
from tests.polling import poll
from tests.scaleout.wakeups import wake_across

# A wake-up published in one process reaches a waiter in the other within this time.
WAKE_SECONDS = 0.1
# Peers come and go within milliseconds: wait briefly and look often.
wait_until = partial(poll, timeout=2.0, step=0.005)


@pytest.fixture
def folder(tmp_path):
    return folder_for(str(tmp_path / "homerelay.db"))


@pytest.fixture
def start(folder):
    """Start bridged hubs on the folder; all are stopped after the test."""
    started: list[SocketEventBridge] = []

    def make(where: str = folder) -> tuple[EventHub, SocketEventBridge]:
        hub = EventHub()
        bridge = SocketEventBridge(where, hub)
        bridge.start()
        hub.attach(bridge)
        # The others learn of a newcomer from its hello, a moment after it started.
        for other in started:
            if other.folder == where:
                assert wait_until(lambda: bridge.name in other.peers())
        started.append(bridge)
        return hub, bridge

    yield make
    for bridge in started:
        bridge.stop()


def dead_peer(folder: str, name: str = "999999-deadbeef.sock") -> str:
    """A socket file left behind by a process that died: bound once, now nobody reads it."""
    os.makedirs(folder, 0o700, exist_ok=True)
    path = os.path.join(folder, name)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
    return path


def test_an_event_published_in_one_hub_reaches_a_listener_of_the_other(start):
    (first, _), (second, _) = start(), start()
    with second.subscribe(7) as listener, first.subscribe(7) as own:
        first.publish(7, "command", {"id": 1, "status": "pending"})
        event = listener.get(timeout=2)
        assert (event.home_id, event.name, event.data) == (7, "command", {"id": 1, "status": "pending"})
        assert own.get(timeout=1).data["id"] == 1
        assert own.get(timeout=0.2) is None  # not echoed back to the hub that published it


def test_a_wake_in_one_hub_wakes_a_waiting_agent_in_the_other_at_once(start):
    (first, _), (second, _) = start(), start()
    latencies = [wake_across(first, second, 3) for _ in range(20)]
    assert max(latencies) < WAKE_SECONDS, latencies


def test_the_newcomer_is_known_to_the_process_that_started_first(start):
    (first, first_bridge) = start()
    assert first_bridge.peers() == set()
    (second, second_bridge) = start()
    assert second_bridge.peers() == {first_bridge.name}
    assert wait_until(lambda: first_bridge.peers() == {second_bridge.name})  # its hello arrived
    with first.subscribe(1) as listener:
        second.publish(1, "devices", {"devices": []})
        assert listener.get(timeout=2).name == "devices"


def test_a_newcomer_is_told_to_look_at_every_queue_once(start, folder):
    _, bridge = start()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as newcomer:
        newcomer.bind(os.path.join(folder, "4242-newcomer.sock"))
        newcomer.settimeout(2)
        newcomer.sendto(json.dumps([{"k": "hello", "p": "4242-newcomer.sock"}]).encode(), bridge.path)
        # Wake-ups sent before the hello arrived never reached it: its agents must look again.
        # (The bridge's own hello from its start may reach the newcomer too, before or with it.)
        heard = []
        while {"k": "all"} not in heard:
            heard += json.loads(newcomer.recv(65536))
        newcomer.settimeout(0.2)
        with contextlib.suppress(TimeoutError):
            heard += json.loads(newcomer.recv(65536))
    assert [message for message in heard if message != {"k": "hello", "p": bridge.name}] == [{"k": "all"}]
    assert "4242-newcomer.sock" in bridge.peers()


def test_a_dead_peers_socket_is_removed_and_the_others_still_hear(start, folder):
    left_behind = dead_peer(folder, "999998-deadbeef.sock")
    (first, first_bridge), (second, second_bridge) = start(), start()
    assert wait_until(lambda: not os.path.exists(left_behind))  # found dead when greeted
    # A peer that says hello and dies later, leaving its file behind.
    dying_path = dead_peer(folder)
    first_bridge._receive(json.dumps([{"k": "hello", "p": os.path.basename(dying_path)}]).encode())
    assert first_bridge.peers() == {second_bridge.name, os.path.basename(dying_path)}
    with second.subscribe(1) as listener:
        first.publish(1, "reading", {"temperature": 21.5})
        assert listener.get(timeout=2).data == {"temperature": 21.5}
    assert wait_until(lambda: not os.path.exists(dying_path))
    assert first_bridge.peers() == {second_bridge.name}


def test_a_peer_whose_file_was_removed_is_forgotten(start, folder):
    (first, first_bridge), (second, second_bridge) = start(), start()
    assert wait_until(lambda: second_bridge.name in first_bridge.peers())
    with first_bridge._peers_lock:
        first_bridge._peers.add("12345-gone0000.sock")  # as if it had said hello, then vanished
    with second.subscribe(2) as listener:
        first.publish(2, "command", {"id": 9})
        assert listener.get(timeout=2).data == {"id": 9}
    assert wait_until(lambda: first_bridge.peers() == {second_bridge.name})


def test_stop_removes_the_socket_and_says_goodbye(start, folder):
    (_, first_bridge), (_, second_bridge) = start(), start()
    assert wait_until(lambda: second_bridge.name in first_bridge.peers())
    second_bridge.stop()
    assert not os.path.exists(second_bridge.path)
    assert wait_until(lambda: first_bridge.peers() == set())
    assert sorted(os.listdir(folder)) == [first_bridge.name]
    second_bridge.stop()  # a second stop does nothing


def test_the_folder_is_private(start, folder):
    start()
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


def test_a_too_big_event_wakes_the_others_instead(start, caplog):
    (first, _), (second, _) = start(), start()
    seen = second.queue_version(4)
    with second.subscribe(4) as listener, caplog.at_level(logging.ERROR, logger=socket_bridge.__name__):
        first.publish(4, "devices", {"blob": "x" * MAX_DATAGRAM})
        assert second.wait_for_queue_change(4, seen, timeout=2)
        first.publish(4, "command", {"id": 2})  # the next, normal event still goes through
        assert listener.get(timeout=2).data == {"id": 2}
    assert any("too big" in record.getMessage() for record in caplog.records)


def test_a_burst_arrives_whole_and_in_order(start):
    (first, _), (second, _) = start(), start()
    with second.subscribe(5) as listener:
        for i in range(200):
            first.publish(5, "command", {"id": i, "text": "turn on the living room fan"})
        received = []
        while len(received) < 200 and (event := listener.get(timeout=2)) is not None:
            received.append(event.data["id"])
    assert received == list(range(200))


def test_a_peer_that_does_not_read_is_given_up_and_woken_later(start, folder, monkeypatch, caplog):
    monkeypatch.setattr(socket_bridge, "GIVE_UP_SECONDS", 0.1)
    os.makedirs(folder, 0o700, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as stuck:
        stuck.bind(os.path.join(folder, "1-stuck000.sock"))
        first, bridge = start()
        stuck.setblocking(False)
        with caplog.at_level(logging.WARNING, logger=socket_bridge.__name__):
            # One at a time, so each is its own datagram and the peer's short queue fills.
            for i in range(200):
                first.notify_queue_changed(i)
                time.sleep(0.002)
            assert wait_until(lambda: "1-stuck000.sock" in bridge._behind)
        assert any("does not read" in record.getMessage() for record in caplog.records)
        while True:  # the peer catches up ...
            try:
                stuck.recv(65536)
            except BlockingIOError:
                break
        first.notify_queue_changed(1)  # ... and first hears that it must look at every queue
        stuck.setblocking(True)
        stuck.settimeout(2)
        assert json.loads(stuck.recv(65536))[0] == {"k": "all"}


def test_a_malformed_datagram_is_ignored(start, caplog):
    (first, _), (second, second_bridge) = start(), start()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as intruder, second.subscribe(1) as listener:
        with caplog.at_level(logging.WARNING, logger=socket_bridge.__name__):
            for junk in (b"not json", b'{"k": "e"}', b'[{"k": "e", "h": 1}]', b'[{"k": "hello", "p": "../x.sock"}]'):
                intruder.sendto(junk, second_bridge.path)
            first.publish(1, "command", {"id": 3})
            assert listener.get(timeout=2).data == {"id": 3}
    assert sum("malformed" in record.getMessage() for record in caplog.records) == 4
    assert "x.sock" not in " ".join(second_bridge.peers())


def test_a_deep_folder_longer_than_a_socket_address_works(start, tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    where = folder_for(str(deep / "homerelay.db"))
    (first, _), (second, _) = start(where), start(where)
    with second.subscribe(1) as listener:
        first.publish(1, "command", {"id": 4})
        assert listener.get(timeout=2).data == {"id": 4}


def test_the_socket_bridge_is_chosen_for_a_sqlite_file_with_several_processes_only(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'homerelay.db'}")
    memory = Database("sqlite:///:memory:")
    try:
        assert start_bridge(db, EventHub()) is None
        assert start_bridge(memory, EventHub(), cross_process=True) is None
        bridge = start_bridge(db, EventHub(), cross_process=True)
        assert isinstance(bridge, SocketEventBridge)
        assert bridge.folder == str(tmp_path / "homerelay.db.events")
        bridge.stop()
    finally:
        db.dispose()
        memory.dispose()


def test_limits_are_counted_in_a_sqlite_file_shared_by_several_processes():
    alone = {"DATABASE_URL": "sqlite:////srv/h.db", "LIMITS_STORAGE_URI": None}
    assert server_config.limits_storage_uri(alone) == "memory://"
    shared = {**alone, "CROSS_PROCESS_EVENTS": True}
    assert server_config.limits_storage_uri(shared) == "homerelay+sqlite:////srv/h.db"
    memory = {"DATABASE_URL": "sqlite:///:memory:", "LIMITS_STORAGE_URI": None, "CROSS_PROCESS_EVENTS": True}
    assert server_config.limits_storage_uri(memory) == "memory://"
