"""Spoken test audio: sentences read by espeak-ng, optionally with background noise mixed by sox."""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from pathlib import Path

from homerelay.voice.audio import SAMPLE_RATE, read_wav, to_wav

# Voices: American and British English, the default (male) and female and other male variants.
VOICES = ("en-us", "en-us+f3", "en-us+m3", "en-gb", "en-gb+f2", "en-gb-x-rp+m7")
SPEEDS = (140, 170, 200)  # words a minute; espeak's default is 175
# Silence around each sentence, as a microphone records it.
PAD_SECONDS = 0.3


def tools_missing() -> list[str]:
    """The programs this module needs that are not installed."""
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


def speak(text: str, voice: str = "en-us", speed: int = 170, pad: float = PAD_SECONDS) -> bytes:
    """16 kHz 16-bit mono samples of espeak-ng reading the text."""
    # On stdin: a text that starts with "-" would be read as an option.
    done = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout"],
                          input=text.encode(), capture_output=True, check=True)
    silence = b"\0\0" * int(pad * SAMPLE_RATE)
    if not done.stdout:  # nothing to say ("", "...")
        return silence + silence
    return silence + read_wav(done.stdout, max_seconds=None).pcm + silence


def rms(pcm: bytes) -> float:
    """Root mean square of 16-bit samples."""
    import numpy as np  # noqa: PLC0415

    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples ** 2))) if len(samples) else 0.0


def with_noise(pcm: bytes, snr_db: float = 15.0, kind: str = "pinknoise") -> bytes:
    """The samples with sox-made noise mixed in at the given signal-to-noise ratio (repeatable: -R)."""
    seconds = len(pcm) / (2 * SAMPLE_RATE)
    with tempfile.TemporaryDirectory(prefix="homerelay-noise-") as work:
        speech, noise, mixed = (Path(work) / name for name in ("speech.wav", "noise.wav", "mixed.wav"))
        speech.write_bytes(to_wav(pcm))
        subprocess.run(["sox", "-R", "-n", "-r", str(SAMPLE_RATE), "-b", "16", "-c", "1", str(noise),
                        "synth", f"{seconds:.3f}", kind, "vol", "0.5"],
                       check=True, capture_output=True)
        noise_pcm = read_wav(noise.read_bytes(), max_seconds=None).pcm
        # Speech level over the voiced part only: the padding would flatter the ratio.
        voiced = pcm[int(PAD_SECONDS * SAMPLE_RATE) * 2: len(pcm) - int(PAD_SECONDS * SAMPLE_RATE) * 2]
        gain = rms(voiced or pcm) / (rms(noise_pcm) * math.pow(10, snr_db / 20)) if rms(noise_pcm) else 0
        subprocess.run(["sox", "-m", "-v", "1", str(speech), "-v", f"{gain:.5f}", str(noise), "-b", "16", str(mixed)],
                       check=True, capture_output=True)
        return read_wav(mixed.read_bytes(), max_seconds=None).pcm


def silence(seconds: float) -> bytes:
    """Digital silence."""
    return b"\0\0" * int(seconds * SAMPLE_RATE)
