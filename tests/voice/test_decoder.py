"""The decoder's confidence: the share of tempo-changed decodes that mean the same, and when it stops early."""

from __future__ import annotations

import itertools

import pytest

from homerelay.voice.audio import Audio
from homerelay.voice.decoder import TEMPO_CHANGES, Decoder, Scored

SILENCE = Audio(b"\0\0" * 16000)


@pytest.fixture(scope="module")
def decoder():
    return Decoder()


def _scripted(decoder, monkeypatch, texts):
    """Make the decoder hear `texts` in turn (the recording, then each tempo change); returns the calls made."""
    heard = iter(texts)
    calls = []

    def score(audio, search):
        calls.append(len(audio.pcm))
        return Scored(next(heard), 0.0)

    monkeypatch.setattr(decoder, "score", score)
    return calls


def test_every_decode_agreeing_is_full_confidence(decoder, monkeypatch):
    calls = _scripted(decoder, monkeypatch, ["turn on the tv"] * 3)
    heard = decoder.decode(SILENCE, "any", needed=0.9)
    assert (heard.heard, heard.confidence, len(calls)) == ("turn on the tv", 1.0, 3)


def test_decoding_stops_once_the_needed_confidence_is_out_of_reach(decoder, monkeypatch):
    calls = _scripted(decoder, monkeypatch, ["turn on the tv", "turn off the tv", "turn on the tv"])
    heard = decoder.decode(SILENCE, "any", needed=0.9)
    # The second decode disagreed: three of three can no longer agree, so the third is not made.
    assert len(calls) == 2
    assert heard.heard == "turn on the tv" and heard.confidence == pytest.approx(1 / 3)


def test_without_a_threshold_every_decode_is_made(decoder, monkeypatch):
    calls = _scripted(decoder, monkeypatch, ["turn on the tv", "turn off the tv", "turn on the tv"])
    heard = decoder.decode(SILENCE, "any", needed=0.0)
    assert len(calls) == 3 and heard.confidence == pytest.approx(2 / 3)


@pytest.mark.parametrize("needed", [0.0, 0.3, 0.5, 0.6, 0.9, 1.0])
def test_stopping_early_never_changes_whether_the_result_is_acted_on(decoder, monkeypatch, needed):
    sentences = ("turn on the tv", "turn off the tv", "")
    for others in itertools.product(sentences, repeat=len(TEMPO_CHANGES)):
        texts = ["turn on the tv", *others]
        _scripted(decoder, monkeypatch, texts)
        early = decoder.decode(SILENCE, "any", needed=needed)
        _scripted(decoder, monkeypatch, texts)
        full = decoder.decode(SILENCE, "any", needed=0.0)
        assert (early.confidence >= needed) == (full.confidence >= needed), (texts, early, full)
        assert early.confidence <= full.confidence


def test_nothing_heard_is_no_confidence_and_one_decode(decoder, monkeypatch):
    calls = _scripted(decoder, monkeypatch, [""])
    heard = decoder.decode(SILENCE, "any")
    assert (heard.heard, heard.confidence, len(calls)) == ("", 0.0, 1)
