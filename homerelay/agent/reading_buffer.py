"""Readings not yet uploaded: a bounded buffer, kept in a small file while the server is away."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections import deque
from datetime import datetime
from pathlib import Path

from homerelay.agent.sensor import Reading, plausible

logger = logging.getLogger(__name__)

# The header's kind: the command memory's file (or any other JSON file) is never read as readings.
FILE_KIND = "readings"


class ReadingBuffer:
    """The readings waiting to go up, oldest first; at most `limit`, the oldest dropped first.

    The buffer itself lives in memory. `save()` (called while the server is unreachable) appends
    the readings not yet in the file, one JSON line each after a header naming the server and
    home; while the server answers nothing is written, so an SD card is not worn by a write every
    10 s. Once everything is uploaded the file is removed. A file grown to twice the limit, or one
    that cannot be appended to safely, is rewritten with only what the buffer holds.
    """

    def __init__(self, path: Path | None, limit: int = 2000, scope: str | None = None):
        self.path = Path(path) if path else None
        self.limit = limit
        # Readings are uploaded to one server's home; a file written for another (or by tools that
        # pass no scope) must not be sent there. None reads any readings file.
        self.scope = scope
        self._readings: deque[Reading] = deque(maxlen=limit)
        self._unsaved = 0      # readings at the newest end that are not in the file yet
        self._lines = 0        # reading lines in the file (to know when to compact)
        self._on_disk = False  # the file exists with something in it that must go once all is sent
        self._rewrite = False  # the file must not be appended to (foreign, unreadable, torn end)
        self._load()

    # The buffer ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._readings)

    def __iter__(self):
        return iter(self._readings)

    def __getitem__(self, index: int) -> Reading:
        return self._readings[index]

    def append(self, reading: Reading) -> None:
        """Add the newest reading (in memory only; `save()` writes it)."""
        self._readings.append(reading)
        self._unsaved = min(self._unsaved + 1, len(self._readings))

    def oldest(self, count: int) -> list[Reading]:
        """The `count` oldest readings (fewer if the buffer holds fewer)."""
        return [self._readings[i] for i in range(min(count, len(self._readings)))]

    def drop(self, count: int) -> None:
        """Forget the `count` oldest readings (uploaded, or refused for good)."""
        for _ in range(min(count, len(self._readings))):
            self._readings.popleft()
        self._unsaved = min(self._unsaved, len(self._readings))
        if not self._on_disk or self.path is None:
            return
        if not self._readings:
            self._remove()
        else:
            # A backlog partly uploaded: the file must not send those readings again after a
            # restart. Rare (once per batch after an outage), so a rewrite costs little.
            self._write_all()

    # The file --------------------------------------------------------------------------------

    def save(self) -> None:
        """Write the readings not yet in the file (call it while the server is unreachable)."""
        if self.path is None or not self._unsaved:
            return
        try:
            if (self._rewrite or not self._on_disk or not self.path.exists()
                    or self._lines + self._unsaved > 2 * self.limit):
                self._write_all()
                return
            newest = [self._readings[i] for i in range(len(self._readings) - self._unsaved,
                                                       len(self._readings))]
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.writelines(json.dumps(reading.to_dict()) + "\n" for reading in newest)
            self._lines += len(newest)
            self._unsaved = 0
        except OSError as error:
            logger.warning("Could not save buffered readings to %s: %s", self.path, error)

    def _write_all(self) -> None:
        lines = [json.dumps({"scope": self.scope, "kind": FILE_KIND}) + "\n"]
        lines.extend(json.dumps(reading.to_dict()) + "\n" for reading in self._readings)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Write-then-rename so a power cut never leaves half a file.
            fd, tmp = tempfile.mkstemp(prefix=".agent-readings-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.writelines(lines)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as error:
            logger.warning("Could not save buffered readings to %s: %s", self.path, error)
            return
        self._lines = len(lines) - 1
        self._unsaved = 0
        self._on_disk = True
        self._rewrite = False

    def _remove(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as error:
            logger.warning("Could not remove uploaded readings %s: %s", self.path, error)
            self._rewrite = True  # at least never append to what is there
            return
        self._lines = 0
        self._on_disk = False
        self._rewrite = False

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        # Whatever happens below, the file is there: it is replaced or removed later.
        self._on_disk = True
        self._rewrite = True
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, ValueError) as error:
            logger.warning("Ignoring unreadable buffered readings %s: %s", self.path, error)
            return
        lines = text.splitlines()
        if not lines:
            return
        header = _header(lines[0])
        if header is None or (self.scope is not None and header.get("scope") != self.scope):
            logger.warning("Ignoring buffered readings %s: written for another server or home, "
                           "or not a readings file", self.path)
            return
        skipped = 0
        for line in lines[1:]:
            reading = _reading(line)
            if reading is None:
                # A line torn by a power cut (or damaged) costs one reading, never the rest.
                skipped += 1
            else:
                self._readings.append(reading)
        self._lines = len(lines) - 1
        # A torn end has no newline: appending to it would spoil the next reading too.
        self._rewrite = not text.endswith("\n")
        if skipped:
            logger.warning("Ignoring %d unreadable line(s) of buffered readings %s",
                           skipped, self.path)
        if self._readings:
            logger.info("Loaded %d reading(s) buffered before the agent restarted",
                        len(self._readings))


def _header(line: str) -> dict | None:
    try:
        header = json.loads(line)
    except ValueError:
        return None
    if isinstance(header, dict) and "scope" in header and header.get("kind") == FILE_KIND:
        return header
    return None


def _reading(line: str) -> Reading | None:
    """One saved reading, or None when the line is not one the server could take."""
    try:
        entry = json.loads(line)
        temperature, humidity = entry["temperature"], entry["humidity"]
        at = datetime.fromisoformat(entry["at"])
    except (ValueError, KeyError, TypeError):
        return None
    numbers = all(isinstance(value, (int, float)) and not isinstance(value, bool)
                  for value in (temperature, humidity))
    if not numbers or not plausible(temperature, humidity) or at.tzinfo is None:
        return None
    return Reading(float(temperature), float(humidity), at)
