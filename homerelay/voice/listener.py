"""Listening on a stream: the wake phrase, then one utterance cut at the silence after it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from homerelay.house import House
from homerelay.voice.audio import SAMPLE_RATE, Audio
from homerelay.voice.decoder import WAKE_SEARCH, Decoder, Heard

logger = logging.getLogger(__name__)

DEFAULT_WAKE = "hey home"
# PocketSphinx's keyphrase threshold: lower hears the phrase more often, and imagines it more
# often too (tuned with `python -m bench.voice`; a longer phrase wants a lower one).
DEFAULT_WAKE_THRESHOLD = 1e-20
FRAME_SECONDS = 0.03
# An utterance ends after this much silence, or at the longest a command may last.
END_SILENCE_SECONDS = 0.8
MAX_UTTERANCE_SECONDS = 8.0
# Nobody speaking this long after the wake phrase (or a question) gives up.
START_TIMEOUT_SECONDS = 4.0
# A frame is speech when it is this many times louder than the room's noise floor (and not faint).
SPEECH_RATIO = 3.0
SPEECH_FLOOR = 200.0


@dataclass(frozen=True)
class Utterance:
    """One utterance heard after the wake phrase (or after a question), still to be decoded."""

    audio: Audio
    timed_out: bool


class UtteranceCutter:
    """Collects samples from the first speech to the silence after it (an energy detector)."""

    def __init__(self, start_timeout: float = START_TIMEOUT_SECONDS) -> None:
        self.start_timeout = start_timeout
        self.noise = SPEECH_FLOOR / SPEECH_RATIO
        self.reset()

    def reset(self) -> None:
        """Start a new utterance."""
        self._kept = bytearray()
        self._pending = b""
        self._frames = 0
        self._speech_frames = 0
        self._quiet_frames = 0

    def feed(self, pcm: bytes) -> Utterance | None:
        """Feed samples; an Utterance once it has ended (or nothing was said in time)."""
        import numpy as np  # noqa: PLC0415

        frame_bytes = int(FRAME_SECONDS * SAMPLE_RATE) * 2
        data = self._pending + pcm
        whole = len(data) - len(data) % frame_bytes
        self._pending = data[whole:]
        for start in range(0, whole, frame_bytes):
            frame = data[start:start + frame_bytes]
            level = float(np.sqrt(np.mean(np.frombuffer(frame, "<i2").astype(np.float64) ** 2)))
            speech = level > max(SPEECH_FLOOR, self.noise * SPEECH_RATIO)
            if not speech:
                # The noise floor follows the room slowly, so a fan starting does not count as speech.
                self.noise = 0.95 * self.noise + 0.05 * level
            self._frames += 1
            self._kept += frame
            if speech:
                self._speech_frames += 1
                self._quiet_frames = 0
            elif self._speech_frames:
                self._quiet_frames += 1
            seconds = self._frames * FRAME_SECONDS
            if not self._speech_frames and seconds >= self.start_timeout:
                return Utterance(Audio(bytes(self._kept)), timed_out=True)
            if (self._speech_frames and self._quiet_frames * FRAME_SECONDS >= END_SILENCE_SECONDS) \
                    or seconds >= MAX_UTTERANCE_SECONDS:
                return Utterance(Audio(bytes(self._kept)), timed_out=False)
        return None


class WakeSpotter:
    """Spots the wake phrase in a continuous stream (PocketSphinx keyphrase search)."""

    def __init__(self, decoder: Decoder, phrase: str = DEFAULT_WAKE,
                 threshold: float = DEFAULT_WAKE_THRESHOLD) -> None:
        self.decoder = decoder
        self.phrase = phrase
        decoder.add_wake(phrase, threshold)
        self._streaming = False

    def feed(self, pcm: bytes) -> bool:
        """Feed samples; True when the wake phrase was just heard (the search then starts afresh)."""
        if not self._streaming:
            self.decoder.start_stream(WAKE_SEARCH)
            self._streaming = True
        if self.decoder.feed(pcm):
            self.decoder.end_stream()
            self._streaming = False
            return True
        return False

    def stop(self) -> None:
        """End the search (before the decoder is used for something else)."""
        if self._streaming:
            self.decoder.end_stream()
            self._streaming = False


def hear_after_wake(decoder: Decoder, house: House, utterance: Utterance) -> Heard:
    """Decode the utterance that followed the wake phrase against the house's grammar."""
    if utterance.timed_out:
        return Heard("", 0.0)
    return decoder.hear_command(utterance.audio, house)
