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


def test_damaged_file_is_ignored(tmp_path, caplog):
    path = tmp_path / "a.json"
    path.write_text("{not json")
    memory = CommandMemory(path)
    assert len(memory) == 0
    assert "Ignoring unreadable agent state" in caplog.text
    memory.remember(1, "done", "")
    assert CommandMemory(path).outcome(1) == ("done", "")


def test_without_a_file_it_only_remembers_in_memory():
    memory = CommandMemory(None)
    memory.remember(1, "failed", "no fan in the kitchen")
    assert memory.outcome(1) == ("failed", "no fan in the kitchen")
