"""Audio in: 16-bit mono PCM WAV at a common rate, checked and resampled to 16 kHz."""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass

from homerelay.errors import AudioFormatError

SAMPLE_RATE = 16000
SAMPLE_WIDTH = 2
COMMON_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
MAX_SECONDS = 10.0
# A sound shorter than this cannot hold a command; it is answered as not heard.
MIN_SECONDS = 0.2
STREAMED_SIZE = 0x7FFF0000
# Quiet kept around every utterance before it is decoded: a recorder (or the utterance cutter)
# may clip the speech tightly, and a search that runs out of audio in the last word gives back
# what it had so far ("switch off the bedroom" without the device).
PAD_BEFORE_SECONDS = 0.2
PAD_AFTER_SECONDS = 0.3
# Digital silence has no spectrum: its features are far outside anything the acoustic model
# heard (recorded speech always has a little hiss), and the search loses its way in it, at the
# edges of the speech and in the pauses a synthetic voice leaves inside it. A quiet
# microphone's own hiss (white, about -55 dBFS) is mixed in, the same each time; measured with
# `python -m bench.voice`, it doubled the commands heard right (2 steps of the scale did nothing).
DITHER = 60.0
# Quiet before and after the sound costs decoding time (most of it, for a short command) and
# tells the search nothing: frames quieter than TRIM_RATIO of the loudest (-40 dB) and than
# TRIM_FLOOR are cut from both ends, but for KEEP_SECONDS next to the sound.
TRIM_RATIO = 0.01
TRIM_FLOOR = 30.0
KEEP_SECONDS = 0.1


@dataclass(frozen=True)
class Audio:
    """Raw 16 kHz, 16-bit little-endian mono samples and how long they last."""

    pcm: bytes

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return len(self.pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)


def read_wav(data: bytes, max_seconds: float | None = MAX_SECONDS) -> Audio:
    """Check a WAV file's bytes and return its sound at 16 kHz; AudioFormatError says why not."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError("The body is not a WAV file (send 16-bit mono PCM WAV).")
    try:
        with wave.open(io.BytesIO(data)) as reader:
            channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
            frames = reader.getnframes()
            if channels != 1 or width != SAMPLE_WIDTH:
                raise AudioFormatError(
                    f"The WAV file has {channels} channel(s) of {width * 8}-bit samples; "
                    "send 16-bit mono PCM.")
            if rate not in COMMON_RATES:
                raise AudioFormatError(
                    f"A sample rate of {rate} Hz is not supported "
                    f"(use one of {', '.join(str(r) for r in COMMON_RATES)}).")
            # A recorder that streams (espeak-ng --stdout, arecord) cannot know the length and
            # writes the largest one; then the data simply runs to the end of the file.
            streamed = frames * SAMPLE_WIDTH >= STREAMED_SIZE
            pcm = reader.readframes(len(data) // SAMPLE_WIDTH if streamed else frames)
    except (wave.Error, EOFError, struct.error) as error:
        raise AudioFormatError(f"The WAV file cannot be read ({error}); send 16-bit mono PCM.") from None
    except RuntimeError:  # the wave module's own: a chunk whose size runs past the end of the file
        raise AudioFormatError("The WAV file cannot be read (a chunk runs past its end); send 16-bit mono PCM.") from None
    if not streamed and len(pcm) < frames * SAMPLE_WIDTH:
        raise AudioFormatError("The WAV file is truncated (its data is shorter than its header says).")
    seconds = len(pcm) / SAMPLE_WIDTH / rate
    if max_seconds is not None and seconds > max_seconds + 0.05:
        raise AudioFormatError(f"The recording lasts {seconds:.1f} s; at most {max_seconds:g} s is heard.")
    return Audio(resample(pcm, rate))


def resample(pcm: bytes, rate: int) -> bytes:
    """16-bit mono samples at `rate` as 16 kHz samples (band-limited, through the spectrum)."""
    if rate == SAMPLE_RATE or not pcm:
        return pcm
    import numpy as np  # noqa: PLC0415 - only the voice extra needs numpy

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    count = max(1, round(len(samples) * SAMPLE_RATE / rate))
    # Cutting (or padding) the spectrum is an ideal low-pass: nothing above 8 kHz folds back as
    # noise the acoustic model never heard. Ten seconds take a few milliseconds.
    spectrum = np.fft.rfft(samples)
    out = np.fft.irfft(spectrum[: count // 2 + 1], count) * (count / len(samples))
    return np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes()


def change_tempo(pcm: bytes, factor: float) -> bytes:
    """The samples played `factor` times as fast (pitch moves with them, as on a tape)."""
    return resample(pcm, round(SAMPLE_RATE * factor))


def sound_span(samples) -> tuple[int, int]:
    """Where the sound is: (first, last + 1) sample without the quiet around it (but KEEP_SECONDS)."""
    import numpy as np  # noqa: PLC0415

    frame = SAMPLE_RATE // 100
    count = len(samples) // frame
    if count == 0:
        return 0, len(samples)
    levels = np.sqrt(np.mean(samples[: count * frame].reshape(count, frame) ** 2, axis=1))
    loud = np.nonzero(levels > max(TRIM_FLOOR, levels.max() * TRIM_RATIO))[0]
    if len(loud) == 0:
        return 0, len(samples)
    keep = int(KEEP_SECONDS * 100)
    first, last = max(0, loud[0] - keep), min(count, loud[-1] + 1 + keep)
    return first * frame, last * frame


def for_decoding(pcm: bytes) -> tuple[bytes, int]:
    """The sound with the quiet around it trimmed, padded with quiet again on both sides, and a
    faint, repeatable hiss mixed in; and the offset of its samples in `pcm` (index in pcm =
    index here + offset)."""
    import numpy as np  # noqa: PLC0415

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    first, last = sound_span(samples)
    samples = samples[first:last]
    padded = np.concatenate([np.zeros(int(PAD_BEFORE_SECONDS * SAMPLE_RATE)), samples,
                             np.zeros(int(PAD_AFTER_SECONDS * SAMPLE_RATE))])
    padded += np.random.default_rng(len(samples)).normal(0.0, DITHER, len(padded))
    offset = first - int(PAD_BEFORE_SECONDS * SAMPLE_RATE)
    return np.clip(np.rint(padded), -32768, 32767).astype("<i2").tobytes(), offset


def to_wav(pcm: bytes, rate: int = SAMPLE_RATE) -> bytes:
    """Wrap 16-bit mono samples in a WAV header (for tests, the bench and the agent)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    return buffer.getvalue()
