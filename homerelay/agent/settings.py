"""The agent's settings: one frozen dataclass built from the command line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_state_file() -> Path:
    """Where the agent remembers carried-out command ids between runs."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "homerelay" / "agent-state.json"


@dataclass(frozen=True)
class AgentSettings:
    """Everything the agent needs to run; the CLI builds one, tests build their own."""

    server: str
    token: str
    house_file: str | None = None
    simulate: bool = False
    state_file: Path | None = None
    # Long-poll wait asked of the server (it may answer 204 earlier if it caps the wait).
    wait: float = 30.0
    # An idle poll cycle never takes less than this: at most 60 / 20 = 3 command requests a minute.
    min_poll_interval: float = 20.0
    # Seconds between readings; None: the house's sensor interval (10 s by default).
    reading_interval: float | None = None
    # Readings kept while the server is unreachable (at 10 s each, 2000 is about 5.5 hours).
    reading_buffer: int = 2000
    reading_batch_max: int = 500
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    # Seconds of extra network timeout on top of the long-poll wait.
    http_timeout: float = 10.0
    # Simulated room: seconds of simulated time per real second (tests speed it up).
    time_scale: float = 1.0
    # How long the door servo needs to move before its signal is switched off.
    servo_move_seconds: float = 0.6
    # How many carried-out command ids to remember.
    remembered_commands: int = 500
    # `--listen`: the voice satellite's settings (homerelay.agent.satellite.VoiceSettings), or None.
    voice: object | None = None

    @property
    def readings_file(self) -> Path | None:
        """The file of readings kept while the server is away: beside the state file (None: none)."""
        if self.state_file is None:
            return None
        state_file = Path(self.state_file)
        return state_file.with_name(f"{state_file.stem}.readings.jsonl")

    @property
    def base_url(self) -> str:
        """The server address without a trailing slash."""
        return self.server.rstrip("/")
