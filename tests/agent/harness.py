"""In-process agents for tests: a fixed sensor, fast settings, and an agent running in a thread."""

from __future__ import annotations

import threading
from pathlib import Path

from homerelay.agent.agent import Agent
from homerelay.agent.settings import AgentSettings


class FixedSensor:
    """A sensor that always reads the same values."""

    def __init__(self, temperature: float = 24.0, humidity: float = 50.0) -> None:
        self.temperature = temperature
        self.humidity = humidity

    def read(self):
        """One reading, now."""
        from homerelay.agent.sensor import Reading
        from homerelay.clock import utcnow

        return Reading(self.temperature, self.humidity, utcnow())

    def close(self) -> None:
        """Nothing to release."""


def fast_settings(server: str, token: str, state_file: Path, **changes) -> AgentSettings:
    """Agent settings with every interval shrunk for tests."""
    values = dict(
        server=server, token=token, simulate=True, state_file=state_file,
        wait=0.5, min_poll_interval=0.0, reading_interval=0.1, backoff_initial=0.05,
        backoff_max=0.2, http_timeout=2.0, servo_move_seconds=0.05,
    )
    values.update(changes)
    return AgentSettings(**values)


class AgentThread:
    """Runs an Agent in a background thread and keeps its exit code, or what ended it."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.exit_code: int | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.exit_code = self.agent.run()
        except BaseException as error:  # a simulated process death ends the thread, as it would a process
            self.error = error

    def start(self) -> AgentThread:
        """Start the agent; returns self."""
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the agent and wait for it."""
        self.agent.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "agent did not stop"
