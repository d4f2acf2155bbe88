"""The agent's memory of carried-out commands: bounded, persisted, robust to a damaged file."""

from __future__ import annotations

from homerelay.agent.memory import CommandMemory


def test_remembers_across_restarts(tmp_path):
    path = tmp_path / "state" / "agent.json"
    memory = CommandMemory(path)
    memory.remember(7, "done", "kitchen light on")
    memory.remember(8, "done", "everything is off", terminate=True)
    again = CommandMemory(path)
    assert again.outcome(7) == ("done", "kitchen light on")
    assert again.outcome("8") == ("done", "everything is off")
    assert again.terminated == "8"
    assert again.outcome(9) is None


def test_bounded_oldest_forgotten(tmp_path):
    memory = CommandMemory(tmp_path / "a.json", limit=3)
    for command_id in range(1, 6):
        memory.remember(command_id, "done", "")
    assert len(memory) == 3
    assert memory.outcome(2) is None and memory.outcome(5) is not None
    assert len(CommandMemory(tmp_path / "a.json", limit=3)) == 3


def test_damaged_lines_are_skipped(tmp_path, caplog):
    path = tmp_path / "a.json"
    memory = CommandMemory(path)
    memory.remember(1, "done", "kitchen light on")
    with open(path, "a") as handle:
        handle.write('{"id": "2", "stat')  # torn by a power cut
    again = CommandMemory(path)
    assert len(again) == 1 and again.outcome(1) == ("done", "kitchen light on")
    assert "Ignoring 1 unreadable line" in caplog.text


def test_file_is_compacted(tmp_path):
    path = tmp_path / "a.json"
    memory = CommandMemory(path, limit=3)
    memory.remember(0, "done", "", terminate=True)
    for command_id in range(1, 20):
        memory.remember(command_id, "done", "")
    assert len(path.read_text().splitlines()) <= 7
    again = CommandMemory(path, limit=3)
    assert [again.outcome(i) is not None for i in (16, 17, 18, 19)] == [False, True, True, True]
    assert again.terminated == "0"


def test_without_a_file_it_only_remembers_in_memory():
    memory = CommandMemory(None)
    memory.remember(1, "failed", "no fan in the kitchen")
    assert memory.outcome(1) == ("failed", "no fan in the kitchen")


def test_a_file_of_another_server_or_home_is_not_used(tmp_path, caplog):
    caplog.set_level("INFO", logger="homerelay.agent.memory")
    path = tmp_path / "a.json"
    CommandMemory(path, scope="home-a").remember(1, "done", "kitchen light on")
    other = CommandMemory(path, scope="home-b")
    assert other.outcome(1) is None
    assert "belongs to another server or home" in caplog.text
    other.remember(2, "done", "")
    assert CommandMemory(path, scope="home-b").outcome(2) == ("done", "")
    assert CommandMemory(path, scope="home-a").outcome(1) is None
    assert CommandMemory(path).outcome(2) == ("done", ""), "no scope: any file is read"


def test_a_file_without_header_is_not_used(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"done": [["1", "done", ""]]}')
    assert CommandMemory(path).outcome(1) is None
