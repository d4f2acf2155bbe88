"""Readings kept while the server is away: the file round-trips, stays bounded, survives damage."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest

from homerelay.agent.memory import CommandMemory
from homerelay.agent.reading_buffer import ReadingBuffer
from homerelay.agent.readings import ReadingUploader
from homerelay.agent.sensor import Reading
from homerelay.errors import RequestRejectedError, ServerUnavailableError

START = datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc)
SCOPE = "home-a"


def reading(n: int) -> Reading:
    """The n-th reading of a morning, one every 10 s."""
    return Reading(20.0 + n / 10, 40.0 + n, START + timedelta(seconds=10 * n))


def saved(buffer: ReadingBuffer, *numbers: int) -> ReadingBuffer:
    """Append the readings and save each one, as an agent does tick by tick during an outage."""
    for n in numbers:
        buffer.append(reading(n))
        buffer.save()
    return buffer


def reading_lines(path) -> list[dict]:
    """The file's reading lines (after the header)."""
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "state" / "agent-state.readings.jsonl"


def test_round_trip(path):
    saved(ReadingBuffer(path, scope=SCOPE), 1, 2, 3)
    again = ReadingBuffer(path, scope=SCOPE)
    assert list(again) == [reading(1), reading(2), reading(3)]
    assert again[0].at == START + timedelta(seconds=10) and again[0].at.tzinfo is not None


def test_appending_writes_nothing_until_saved(path):
    buffer = ReadingBuffer(path, scope=SCOPE)
    buffer.append(reading(1))
    assert len(buffer) == 1 and not path.exists()


def test_save_appends_only_what_is_new(path):
    buffer = saved(ReadingBuffer(path, scope=SCOPE), 1, 2)
    before = path.read_text()
    saved(buffer, 3)
    after = path.read_text()
    assert after.startswith(before) and len(reading_lines(path)) == 3
    buffer.save()  # nothing new: nothing written
    assert path.read_text() == after


def test_all_uploaded_removes_the_file(path):
    buffer = saved(ReadingBuffer(path, scope=SCOPE), 1, 2, 3)
    buffer.drop(3)
    assert not path.exists() and len(buffer) == 0
    assert len(ReadingBuffer(path, scope=SCOPE)) == 0


def test_part_uploaded_is_not_sent_again_after_a_restart(path):
    buffer = saved(ReadingBuffer(path, scope=SCOPE), 1, 2, 3, 4, 5)
    buffer.drop(2)
    assert list(ReadingBuffer(path, scope=SCOPE)) == [reading(3), reading(4), reading(5)]


def test_bounded_oldest_dropped_and_file_compacted(path):
    buffer = ReadingBuffer(path, limit=3, scope=SCOPE)
    for n in range(1, 21):
        saved(buffer, n)
        # Header plus at most twice the limit, whatever the outage's length.
        assert len(reading_lines(path)) <= 2 * 3
    assert list(buffer) == [reading(18), reading(19), reading(20)]
    assert list(ReadingBuffer(path, limit=3, scope=SCOPE)) == list(buffer)


def test_a_file_bigger_than_the_limit_loads_the_newest(path):
    saved(ReadingBuffer(path, limit=10, scope=SCOPE), *range(1, 11))
    assert list(ReadingBuffer(path, limit=4, scope=SCOPE)) == [reading(n) for n in (7, 8, 9, 10)]


def test_torn_last_line_is_skipped_and_not_appended_to(path, caplog):
    saved(ReadingBuffer(path, scope=SCOPE), 1, 2)
    with open(path, "a") as handle:
        handle.write('{"temperature": 21.0, "humid')  # a power cut mid-write
    again = ReadingBuffer(path, scope=SCOPE)
    assert list(again) == [reading(1), reading(2)]
    assert "Ignoring 1 unreadable line" in caplog.text
    saved(again, 3)  # the file is rewritten rather than appended to the torn line
    assert list(ReadingBuffer(path, scope=SCOPE)) == [reading(1), reading(2), reading(3)]


@pytest.mark.parametrize("line", [
    '{"temperature": 21.0, "humidity": 40.0}',                                   # no time
    '{"temperature": 21.0, "humidity": 40.0, "at": "yesterday"}',
    '{"temperature": 21.0, "humidity": 40.0, "at": "2026-11-29T08:00:00"}',     # no zone
    '{"temperature": "21", "humidity": 40.0, "at": "2026-11-29T08:00:00+00:00"}',
    '{"temperature": true, "humidity": 40.0, "at": "2026-11-29T08:00:00+00:00"}',
    '{"temperature": NaN, "humidity": 40.0, "at": "2026-11-29T08:00:00+00:00"}',
    '{"temperature": 900.0, "humidity": 40.0, "at": "2026-11-29T08:00:00+00:00"}',
    '[1, 2, 3]',
])
def test_a_line_the_server_could_never_take_is_skipped(path, line):
    saved(ReadingBuffer(path, scope=SCOPE), 1)
    with open(path, "a") as handle:
        handle.write(line + "\n")
    saved(ReadingBuffer(path, scope=SCOPE), 2)
    assert list(ReadingBuffer(path, scope=SCOPE)) == [reading(1), reading(2)]


def _command_memory_file(path):
    CommandMemory(path, scope=SCOPE).remember(7, "done", "kitchen light on")


@pytest.mark.parametrize("write", [
    lambda path: saved(ReadingBuffer(path, scope="another-home"), 1, 2),
    _command_memory_file,
    lambda path: path.write_bytes(b"\xff\xfe\x00garbage\n\x89PNG"),
    lambda path: path.write_text("not json at all\n"),
    lambda path: path.write_text('{"scope": "home-a"}\n'),  # no kind: not a readings file
], ids=["other-home", "command-memory", "binary", "text", "headerless-kind"])
def test_a_foreign_or_garbage_file_is_ignored_with_one_log_line(path, write, caplog):
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path)
    with caplog.at_level(logging.INFO, logger="homerelay.agent.reading_buffer"):
        buffer = ReadingBuffer(path, scope=SCOPE)
    assert len(buffer) == 0
    assert len(caplog.records) == 1 and caplog.records[0].levelno == logging.WARNING
    # The first save replaces it with this home's readings.
    saved(buffer, 1)
    assert list(ReadingBuffer(path, scope=SCOPE)) == [reading(1)]


def test_a_foreign_file_goes_with_the_first_upload(path):
    saved(ReadingBuffer(path, scope="another-home"), 1, 2)
    buffer = ReadingBuffer(path, scope=SCOPE)
    buffer.append(reading(3))
    buffer.drop(1)
    assert not path.exists()


def test_an_empty_file_is_quietly_nothing(path, caplog):
    path.parent.mkdir(parents=True)
    path.write_text("")
    assert len(ReadingBuffer(path, scope=SCOPE)) == 0
    assert not caplog.records


def test_an_unwritable_folder_is_logged_not_raised(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    buffer = saved(ReadingBuffer(blocker / "readings.jsonl", scope=SCOPE), 1)
    assert len(buffer) == 1
    assert "Could not save buffered readings" in caplog.text


def test_without_a_path_it_is_memory_only(tmp_path):
    buffer = saved(ReadingBuffer(None, limit=2), 1, 2, 3)
    assert list(buffer) == [reading(2), reading(3)]
    buffer.drop(1)
    assert list(buffer) == [reading(3)] and not any(tmp_path.iterdir())


# The uploader -------------------------------------------------------------------------------


class Sensor:
    """Gives reading 1, 2, 3, … one per read."""

    def __init__(self, first: int = 1):
        self.n = first - 1

    def read(self):
        self.n += 1
        return reading(self.n)


class Client:
    """Records what is posted; `down` makes it unreachable, `reject` makes it refuse a body."""

    def __init__(self):
        self.bodies: list = []
        self.down = False
        self.reject = False

    def post_readings(self, body):
        if self.down:
            raise ServerUnavailableError("http://127.0.0.1:9 is unreachable")
        if self.reject:
            raise RequestRejectedError(400, "at: in the future")
        self.bodies.append(body)


def uploader(path, client, first: int = 1, **kwargs) -> ReadingUploader:
    buffer = ReadingBuffer(path, kwargs.pop("limit", 2000), scope=SCOPE)
    return ReadingUploader(Sensor(first), client, threading.Event(), buffer=buffer, **kwargs)


def test_nothing_written_while_the_server_answers(path):
    client = Client()
    up = uploader(path, client)
    for _ in range(5):
        up.tick()
    assert len(client.bodies) == 5 and not path.exists() and not path.parent.exists()


def test_written_while_offline_removed_once_sent(path):
    client = Client()
    up = uploader(path, client)
    up.tick()
    client.down = True
    for count in range(1, 4):
        up.tick()
        assert [line["at"] for line in reading_lines(path)] == [
            reading(n).to_dict()["at"] for n in range(2, 2 + count)]
    client.down = False
    up.tick()
    assert client.bodies[-1] == [reading(n).to_dict() for n in range(2, 6)]
    assert not path.exists()
    up.tick()  # back to normal: one fresh reading, no time, nothing written
    assert client.bodies[-1] == {"temperature": reading(6).temperature, "humidity": 46.0}
    assert not path.exists()


def test_a_restarted_uploader_sends_the_kept_readings_with_their_times(path):
    client = Client()
    client.down = True
    first = uploader(path, client)
    first.tick()
    first.tick()
    client.down = False
    second = uploader(path, client, first=3)
    assert list(second.buffer) == [reading(1), reading(2)]
    second.tick()
    assert client.bodies == [[reading(n).to_dict() for n in (1, 2, 3)]]
    assert not path.exists()


def test_one_kept_reading_still_goes_with_its_time(path):
    client = Client()
    client.down = True
    uploader(path, client).tick()
    client.down = False
    second = uploader(path, client)
    second.sensor.read = lambda: None  # the DHT11 misses this one
    second.tick()
    assert client.bodies == [[reading(1).to_dict()]]


def test_kept_batches_go_in_order_and_a_lost_connection_keeps_the_rest(path):
    client = Client()
    client.down = True
    first = uploader(path, client, batch_max=2)
    for _ in range(5):
        first.tick()
    sent = []

    def post_once(body):  # the server answers one batch, then is gone again
        client.post_readings = Client.post_readings.__get__(client)
        client.down = True
        sent.append(body)

    client.down = False
    client.post_readings = post_once
    second = uploader(path, client, first=6, batch_max=2)
    second.tick()
    assert sent == [[reading(1).to_dict(), reading(2).to_dict()]]
    # What is left (3, 4, 5 and the new 6) is all the file holds: nothing is sent twice.
    assert list(ReadingBuffer(path, scope=SCOPE)) == [reading(n) for n in (3, 4, 5, 6)]


def test_kept_readings_the_server_refuses_are_dropped_not_blocking(path, caplog):
    client = Client()
    client.down = True
    uploader(path, client).tick()
    client.down, client.reject = False, True
    second = uploader(path, client, first=2)
    second.tick()
    assert len(second.buffer) == 0 and not path.exists()
    assert "Server rejected 2 reading(s)" in caplog.text


def test_a_reading_taken_as_the_agent_stops_offline_is_kept(path):
    client = Client()
    client.down = True
    up = uploader(path, client, interval=0.01)
    sensor_read = up.sensor.read

    def read_then_stop():  # the stop arrives between the reading and its upload
        value = sensor_read()
        if up.sensor.n == 2:
            up._stop.set()
        return value

    up.sensor.read = read_then_stop
    up.start()
    up.join(5)
    assert list(ReadingBuffer(path, scope=SCOPE)) == [reading(1), reading(2)]
