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

    The file holds a header line naming the server and home it belongs to, then one JSON line
    per command. Remembering appends a line (cheap enough to do before every ack); when the
    file has grown to twice the limit it is rewritten with only the newest entries. A torn
    last line (power cut mid-write) is skipped when loading.
    """

    def __init__(self, path: Path | None, limit: int = 500, scope: str | None = None):
        self.path = Path(path) if path else None
        self.limit = limit
        # Command ids are only unique within one server's home: a file written for another
        # server or token (or the demo's home made afresh) must not make the agent skip ids.
        # None reads any file (tools that only inspect it).
        self.scope = scope
        self._done: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.terminated: str | None = None
        self._lines = 0
        self._rewrite = False
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
        lines = text.splitlines()
        header = _header(lines[0]) if lines else None
        if header is None or (self.scope is not None and header.get("scope") != self.scope):
            logger.info("Agent state %s belongs to another server or home; starting afresh",
                        self.path)
            self._rewrite = True
            return
        skipped = 0
        for line in lines[1:]:
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
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self._rewrite or self._lines >= 2 * self.limit or not self.path.exists():
                self._compact()  # already holds the new entry
                return
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
            self._lines += 1
        except OSError as error:
            logger.warning("Could not save agent state %s: %s", self.path, error)

    def _compact(self) -> None:
        lines = [json.dumps({"scope": self.scope}) + "\n"]
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
        self._lines = len(lines) - 1
        self._rewrite = False


def _header(line: str) -> dict | None:
    try:
        header = json.loads(line)
    except ValueError:
        return None
    return header if isinstance(header, dict) and "scope" in header else None
