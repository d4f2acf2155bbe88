"""What the agent remembers across restarts: carried-out command ids and a handled terminate."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections import OrderedDict
from pathlib import Path

logger = logging.getLogger(__name__)


class CommandMemory:
    """A bounded record of carried-out commands (id → status, result), kept in a small JSON file."""

    def __init__(self, path: Path | None, limit: int = 500):
        self.path = Path(path) if path else None
        self.limit = limit
        self._done: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.terminated: str | None = None
        self._load()

    def outcome(self, command_id) -> tuple[str, str] | None:
        """(status, result) if the command was carried out before, else None."""
        return self._done.get(str(command_id))

    def remember(self, command_id, status: str, result: str, *, terminate: bool = False) -> None:
        """Record a carried-out command and write the file at once (before the ack goes out)."""
        key = str(command_id)
        self._done[key] = (status, result)
        self._done.move_to_end(key)
        while len(self._done) > self.limit:
            self._done.popitem(last=False)
        if terminate:
            self.terminated = key
        self._save()

    def __len__(self) -> int:
        return len(self._done)

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            for key, status, result in data.get("done", [])[-self.limit:]:
                self._done[str(key)] = (status, result)
            self.terminated = data.get("terminated")
        except (OSError, ValueError, TypeError) as error:
            # A damaged file must not stop the agent; at worst a redelivery is acted on again.
            logger.warning("Ignoring unreadable agent state %s: %s", self.path, error)

    def _save(self) -> None:
        if self.path is None:
            return
        data = {
            "done": [[key, status, result] for key, (status, result) in self._done.items()],
            "terminated": self.terminated,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Write-then-rename so a power cut never leaves half a file.
            fd, tmp = tempfile.mkstemp(prefix=".agent-state-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(tmp, self.path)
        except OSError as error:
            logger.warning("Could not save agent state %s: %s", self.path, error)
