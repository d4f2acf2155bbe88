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
    """A bounded record of carried-out commands (id → status, result), kept in a small file.

    The file holds one JSON line per command. Remembering appends a line (cheap enough to do
    before every ack); when the file has grown to twice the limit it is rewritten with only
    the newest entries. A torn last line (power cut mid-write) is skipped when loading.
    """

    def __init__(self, path: Path | None, limit: int = 500):
        self.path = Path(path) if path else None
        self.limit = limit
        self._done: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.terminated: str | None = None
        self._lines = 0
        self._load()

    def outcome(self, command_id) -> tuple[str, str] | None:
        """(status, result) if the command was carried out before, else None."""
        return self._done.get(str(command_id))

    def remember(self, command_id, status: str, result: str, *, terminate: bool = False) -> None:
        """Record a carried-out command and write it to the file at once (before the ack)."""
        key = str(command_id)
        self._done[key] = (status, result)
        self._done.move_to_end(key)
        while len(self._done) > self.limit:
            self._done.popitem(last=False)
        if terminate:
            self.terminated = key
        entry = {"id": key, "status": status, "result": result}
        if terminate:
            entry["terminate"] = True
        self._append(entry)

    def __len__(self) -> int:
        return len(self._done)

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as error:
            logger.warning("Ignoring unreadable agent state %s: %s", self.path, error)
            return
        skipped = 0
        for line in text.splitlines():
            try:
                entry = json.loads(line)
                key = str(entry["id"])
                self._done[key] = (entry["status"], entry["result"])
            except (ValueError, KeyError, TypeError):
                # A damaged line must not stop the agent; at worst one redelivery acts again.
                skipped += 1
                continue
            self._done.move_to_end(key)
            if entry.get("terminate"):
                self.terminated = key
            self._lines += 1
        while len(self._done) > self.limit:
            self._done.popitem(last=False)
        if skipped:
            logger.warning("Ignoring %d unreadable line(s) of agent state %s", skipped, self.path)

    def _append(self, entry: dict) -> None:
        if self.path is None:
            return
        try:
            if self._lines >= 2 * self.limit:
                self._compact()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
            self._lines += 1
        except OSError as error:
            logger.warning("Could not save agent state %s: %s", self.path, error)

    def _compact(self) -> None:
        lines = []
        if self.terminated is not None and self.terminated not in self._done:
            # Kept even when older than the limit: a restart must never terminate again.
            lines.append(json.dumps({"id": self.terminated, "status": "done", "result": "",
                                     "terminate": True}) + "\n")
        for key, (status, result) in self._done.items():
            entry = {"id": key, "status": status, "result": result}
            if key == self.terminated:
                entry["terminate"] = True
            lines.append(json.dumps(entry) + "\n")
        # Write-then-rename so a power cut never leaves half a file.
        fd, tmp = tempfile.mkstemp(prefix=".agent-state-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(lines)
        os.replace(tmp, self.path)
        self._lines = len(lines)
