"""Helpers for the voice tests: spoken audio from espeak-ng, skipped where it is missing (not on CI)."""

from __future__ import annotations

import os
import shutil

import pytest

pytest.importorskip("pocketsphinx", reason="voice tests need homerelay[voice] (pip install '.[test]')")


def require(*tools: str) -> None:
    """Skip the test when a program is missing, except on CI, where it is a failure."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    message = f"needs {', '.join(missing)} (apt-get install {' '.join(missing)})"
    if os.environ.get("CI"):
        pytest.fail(f"CI {message}")
    pytest.skip(message)


@pytest.fixture
def speak():
    """speak(text, voice="en-us", speed=170) -> 16 kHz samples, read by espeak-ng."""
    require("espeak-ng")
    from bench.spoken import speak as say

    return say


@pytest.fixture
def trusting(monkeypatch):
    """Act on whatever the recogniser hears (threshold 0): these tests check the plumbing, the bench the accuracy."""
    # The calibrated threshold refuses a good share of espeak-ng sentences (see docs/voice.md).
    import homerelay.server.web.api.speech_routes as speech
    import homerelay.voice.decoder as decoder

    monkeypatch.setattr(decoder, "MIN_CONFIDENCE", 0.0)
    monkeypatch.setattr(speech, "MIN_CONFIDENCE", 0.0)
    monkeypatch.setenv("HOMERELAY_VOICE_MIN_CONFIDENCE", "0")
