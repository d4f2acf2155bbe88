"""Readings taken while the server is down survive an agent restart and arrive with their times."""

from __future__ import annotations


from homerelay.agent.agent import Agent
from .harness import AgentThread, FixedSensor, fast_settings
from tests.support.polling import poll


def _buffered(runner) -> int:
    """How many readings the agent's uploader holds (0 before it has started)."""
    uploader = runner.agent.uploader
    return 0 if uploader is None else len(uploader.buffer)


def _sent_times(relay) -> list[str]:
    """Every `at` the relay received in batches, in order."""
    with relay.cond:
        return [item["at"] for body in relay.readings if isinstance(body, list) for item in body]


def test_readings_taken_before_a_restart_arrive_after_it(fake_relay, run_agent, tmp_path):
    first = run_agent(fake_relay.url, fake_relay.token)
    assert fake_relay.wait_for(lambda: fake_relay.readings)
    readings_file = first.agent.settings.readings_file
    assert readings_file.parent == tmp_path and not readings_file.exists()  # online: no writes

    fake_relay.stop()
    assert poll(lambda: _buffered(first) >= 4)
    first.stop()
    kept = [reading.to_dict()["at"] for reading in first.agent.uploader.buffer]
    assert len(kept) >= 4 and readings_file.exists()

    # A new agent on the same state folder while the relay is still down: it loads the backlog
    # and keeps adding to it.
    second = run_agent(fake_relay.url, fake_relay.token)
    assert poll(lambda: _buffered(second) > len(kept))
    assert [reading.to_dict()["at"] for reading in second.agent.uploader.buffer][:len(kept)] == kept

    fake_relay.start()  # same port
    assert poll(lambda: set(kept) <= set(_sent_times(fake_relay)))
    times = _sent_times(fake_relay)
    assert times[:len(kept)] == kept  # the oldest first, each once, with the time it was taken
    assert len(times) == len(set(times))
    assert poll(lambda: not readings_file.exists())
    second.stop()


def test_without_a_state_file_readings_stay_in_memory(fake_relay, pin_factory, house, tmp_path,
                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = fast_settings(fake_relay.url, fake_relay.token, None)
    assert settings.readings_file is None
    runner = AgentThread(Agent(settings, house=house, pin_factory=pin_factory,
                               sensor=FixedSensor())).start()
    try:
        assert fake_relay.wait_for(lambda: fake_relay.readings)
        fake_relay.stop()
        assert poll(lambda: _buffered(runner) >= 2)
    finally:
        runner.stop()
    assert not list(tmp_path.iterdir())
