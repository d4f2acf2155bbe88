"""Decoding in child processes: the server's requests never wait for PocketSphinx, which holds the GIL."""

# Each child (`python -m homerelay.voice.worker`) holds one Decoder and answers one recording at a
# time over its stdin/stdout pipes (length-prefixed pickles of trusted values only: the parent
# writes them). Children start on the first recording, so a server that never hears speech never
# loads PocketSphinx; a child that dies or hangs is replaced, and that one request gets an error.

from __future__ import annotations

import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading

from homerelay.errors import VoiceUnavailableError
from homerelay.voice.audio import Audio
from homerelay.voice.decoder import Heard

logger = logging.getLogger(__name__)

# Decoding takes a core for a fraction of a second: two children keep a burst of recordings
# from taking every core of the host.
DECODE_PROCESSES = 2
# A decode takes well under a second; a child silent this long is stuck and is replaced.
DECODE_TIMEOUT_SECONDS = 20.0
STOPPED = "The speech decoder stopped; try again."
_LENGTH = struct.Struct("<I")


class DecoderProcess:
    """One child process with a decoder, spoken to over pipes."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None

    def hear(self, audio: Audio, house) -> Heard:
        """Decode a recording against the house's grammar in the child; VoiceUnavailableError if it fails."""
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen([sys.executable, "-m", "homerelay.voice.worker"],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            _write(self._process.stdin, (house, audio.pcm))
            ready, _, _ = select.select([self._process.stdout], [], [], DECODE_TIMEOUT_SECONDS)
            if not ready:
                raise TimeoutError("no answer in time")
            answer = _read(self._process.stdout)
        except (OSError, EOFError, TimeoutError, pickle.UnpicklingError) as error:
            logger.error("The speech decoder process failed (%s); it is restarted", error)
            self.close()
            raise VoiceUnavailableError(STOPPED) from error
        if isinstance(answer, str):
            raise VoiceUnavailableError(answer)
        return answer

    def close(self) -> None:
        """Stop the child (it is started again on the next recording)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout):
                try:
                    pipe.close()
                except OSError:  # unsent bytes to a process that is gone
                    pass


class DecoderPool:
    """A few decoder processes, each serving one recording at a time."""

    def __init__(self, processes: int = DECODE_PROCESSES) -> None:
        self._free = threading.BoundedSemaphore(processes)
        self._lock = threading.Lock()
        self._idle = [DecoderProcess() for _ in range(processes)]

    def hear(self, audio: Audio, house) -> Heard:
        """Decode on the first free process (waits for one when all are busy)."""
        with self._free:
            with self._lock:
                process = self._idle.pop()
            try:
                return process.hear(audio, house)
            finally:
                with self._lock:
                    self._idle.append(process)

    def close(self) -> None:
        """Stop every child."""
        with self._lock:
            for process in self._idle:
                process.close()


def _write(pipe, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_LENGTH.pack(len(data)) + data)
    pipe.flush()


def _read(pipe):
    head = pipe.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the decoder process closed its pipe")
    size = _LENGTH.unpack(head)[0]
    data = pipe.read(size)
    if len(data) < size:
        raise EOFError("the decoder process closed its pipe")
    return pickle.loads(data)  # noqa: S301 - written by our own child process


def main() -> int:
    """The child: decode each recording read from stdin, answer on stdout, until stdin closes."""
    # Only answers go to the parent's pipe: anything the C library prints goes to stderr.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    from homerelay.errors import HomerelayError  # noqa: PLC0415
    from homerelay.voice.decoder import Decoder  # noqa: PLC0415
    from homerelay.voice.training import profile_in_use  # noqa: PLC0415

    try:
        # A trained voice profile (homerelay voice train, or serve --voice-profile) if there is one.
        decoder = Decoder(profile=profile_in_use())
    except HomerelayError as error:  # the speech engine missing, or a profile that is no profile
        decoder, failure = None, str(error)
    while True:
        try:
            house, pcm = _read(requests)
        except EOFError:
            return 0
        _write(answers, decoder.hear_command(Audio(pcm), house) if decoder else failure)


if __name__ == "__main__":
    sys.exit(main())
