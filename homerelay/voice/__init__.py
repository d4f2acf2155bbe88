"""Private voice: WAV in, the house's grammar, PocketSphinx, and what was heard (no Flask, no GPIO)."""

from homerelay.voice.audio import Audio, read_wav

__all__ = ["Audio", "read_wav"]
