"""Listening on a stream: the wake phrase, then one utterance cut at the silence after it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from homerelay import const
from homerelay.house import House
from homerelay.voice.audio import SAMPLE_RATE, Audio
from homerelay.voice.decoder import Decoder, Heard

logger = logging.getLogger(__name__)

# The wake phrase must fit the sound this well (Scored.fit: the acoustic log-likelihood per
# frame over its words); ordinary speech forced into "hey home" fits worse. Calibrated with
# `python -m bench.voice --calibrate` on read text the benchmark does not use: just above the
# best fit of any stretch of the training talk (0.64).
DEFAULT_WAKE_THRESHOLD = 0.65
FRAME_SECONDS = 0.03
# An utterance ends after this much silence, or at the longest a command may last.
END_SILENCE_SECONDS = 0.8
MAX_UTTERANCE_SECONDS = 8.0
# Nobody speaking this long after the wake phrase (or a question) gives up.
START_TIMEOUT_SECONDS = 4.0
# A frame is speech when it is this many times louder than the room's noise floor (and not faint).
SPEECH_RATIO = 3.0
SPEECH_FLOOR = 200.0
# The wake phrase is listened for in each stretch of speech between pauses: this much before
# the first loud frame is kept (a soft "h" is quieter than the vowels), and a stretch longer
# than a wake phrase and one command is talk, not a wake, and is not decoded at all.
PRE_ROLL_SECONDS = 0.3
# The continuous stream's first this-much is taken as the room's noise.
LEARN_SECONDS = 0.24
WAKE_END_SILENCE_SECONDS = 0.5
MAX_WAKE_SECONDS = 10.0
# The wake phrase is looked for in this much of the start of a stretch (it lasts under a second);
# what follows it, if it is long enough to be speech, is decoded as the command.
WAKE_WINDOW_SECONDS = 1.4
MIN_COMMAND_SECONDS = 0.4


@dataclass(frozen=True)
class Utterance:
    """One utterance heard after the wake phrase (or after a question), still to be decoded."""

    audio: Audio
    timed_out: bool


class SpeechGate:
    """Splits samples into frames and says which are speech (louder than the room's noise floor)."""

    def __init__(self, learn_frames: int = 0) -> None:
        # While it learns, the floor is the loudest frame so far.
        self.noise = 0.0 if learn_frames else SPEECH_FLOOR / SPEECH_RATIO
        self._pending = b""
        # A stream that starts in a noisy room: its first frames are the noise (nobody speaks
        # the instant a microphone opens). Without this a noise louder than the initial floor
        # counted as speech from the start, the floor (which follows only quiet frames) never
        # rose to it, and no stretch of speech ever ended (no wake phrase was found in noise).
        self._learn = learn_frames

    def frames(self, pcm: bytes) -> list[tuple[bytes, bool]]:
        """The whole frames in the samples so far, each with whether it is speech."""
        import numpy as np  # noqa: PLC0415

        frame_bytes = int(FRAME_SECONDS * SAMPLE_RATE) * 2
        data = self._pending + pcm
        whole = len(data) - len(data) % frame_bytes
        self._pending = data[whole:]
        out = []
        for start in range(0, whole, frame_bytes):
            frame = data[start:start + frame_bytes]
            level = float(np.sqrt(np.mean(np.frombuffer(frame, "<i2").astype(np.float64) ** 2)))
            if self._learn:
                self._learn -= 1
                self.noise = max(self.noise, level)
                out.append((frame, False))
                continue
            speech = level > max(SPEECH_FLOOR, self.noise * SPEECH_RATIO)
            if not speech:
                # The noise floor follows the room slowly, so a fan starting does not count as speech.
                self.noise = 0.95 * self.noise + 0.05 * level
            out.append((frame, speech))
        return out


class UtteranceCutter:
    """Collects samples from the first speech to the silence after it (an energy detector)."""

    def __init__(self, start_timeout: float = START_TIMEOUT_SECONDS) -> None:
        self.start_timeout = start_timeout
        self.gate = SpeechGate()
        self.reset()

    def reset(self) -> None:
        """Start a new utterance."""
        self._kept = bytearray()
        self._frames = 0
        self._speech_frames = 0
        self._quiet_frames = 0

    def feed(self, pcm: bytes) -> Utterance | None:
        """Feed samples; an Utterance once it has ended (or nothing was said in time)."""
        for frame, speech in self.gate.frames(pcm):
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


class SpeechSegmenter:
    """Cuts a continuous stream into stretches of speech between pauses (an energy detector)."""

    def __init__(self, end_silence: float = WAKE_END_SILENCE_SECONDS) -> None:
        self.end_silence = end_silence
        self.gate = SpeechGate(learn_frames=int(LEARN_SECONDS / FRAME_SECONDS))
        self._before: list[bytes] = []
        self._kept = bytearray()
        self._speech_frames = 0
        self._quiet_frames = 0

    def feed(self, pcm: bytes) -> list[bytes]:
        """Feed samples; the stretches of speech that have ended (usually none)."""
        ended = []
        for frame, speech in self.gate.frames(pcm):
            if not self._speech_frames:
                if not speech:
                    self._before = [*self._before, frame][-int(PRE_ROLL_SECONDS / FRAME_SECONDS):]
                    continue
                self._kept = bytearray(b"".join(self._before))
                self._before = []
            self._kept += frame
            if speech:
                self._speech_frames += 1
                self._quiet_frames = 0
            else:
                self._quiet_frames += 1
            if self._quiet_frames * FRAME_SECONDS >= self.end_silence:
                ended.append(bytes(self._kept))
                self._kept = bytearray()
                self._speech_frames = self._quiet_frames = 0
        return ended

    def flush(self) -> list[bytes]:
        """The stretch under way, when the stream ends."""
        kept, self._kept = bytes(self._kept), bytearray()
        self._speech_frames = self._quiet_frames = 0
        return [kept] if kept else []


@dataclass(frozen=True)
class Wake:
    """The wake phrase was heard; `command` is a command said in the same breath, if any."""

    confidence: float
    command: Heard | None = None


class WakeSpotter:
    """Listens for the wake phrase at the start of each stretch of speech, and a command said with it."""

    # The start of each stretch (up to a pause) is decoded with the wake phrase's grammar and its
    # words must fit well enough (the threshold); the rest of the stretch, if any, is the command
    # said in the same breath ("hey home, turn on the kitchen light"), decoded against the house.
    # "hey home", a pause, then the command gives a wake without one.

    def __init__(self, decoder: Decoder, house: House, phrase: str = const.DEFAULT_WAKE,
                 threshold: float = DEFAULT_WAKE_THRESHOLD) -> None:
        self.decoder = decoder
        self.house = house
        self.phrase = " ".join(phrase.lower().split())
        self.threshold = threshold
        self.search = decoder.use_wake(self.phrase, house)
        self.segmenter = SpeechSegmenter()

    def feed(self, pcm: bytes) -> Wake | None:
        """Feed samples; a Wake when a stretch of speech that began with the wake phrase ended."""
        return self._hear(self.segmenter.feed(pcm))

    def flush(self) -> Wake | None:
        """The end of the stream: hear the stretch under way."""
        return self._hear(self.segmenter.flush())

    def stop(self) -> None:
        """Forget the stretch under way (before the stream is used for something else)."""
        self.segmenter.flush()

    def _hear(self, stretches: list[bytes]) -> Wake | None:
        for pcm in stretches:
            if len(pcm) > MAX_WAKE_SECONDS * SAMPLE_RATE * 2:
                continue
            window = pcm[: int(WAKE_WINDOW_SECONDS * SAMPLE_RATE) * 2]
            scored = self.decoder.score(Audio(window), self.search)
            size = len(self.phrase.split())
            confidence = scored.fit(size)
            logger.debug("Wake search heard %r (confidence %.2f)", scored.text, confidence)
            if scored.text.split()[:size] != self.phrase.split() or confidence < self.threshold:
                continue
            after = max(0, scored.ends[size - 1])
            rest = pcm[after * 2:]
            command = None
            if _speech_seconds(rest) >= MIN_COMMAND_SECONDS:
                command = self.decoder.hear_command(Audio(rest), self.house)
            return Wake(confidence, command)
        return None


def _speech_seconds(pcm: bytes) -> float:
    """How much of the samples is speech (loud frames)."""
    return sum(FRAME_SECONDS for _, speech in SpeechGate().frames(pcm) if speech)


def hear_after_wake(decoder: Decoder, house: House, utterance: Utterance) -> Heard:
    """Decode the utterance that followed the wake phrase against the house's grammar."""
    if utterance.timed_out:
        return Heard("", 0.0)
    return decoder.hear_command(utterance.audio, house)
