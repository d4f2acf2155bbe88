"""Schemathesis sends generated recordings (`POST /api/v1/speech`, `audio/wav`) as their raw bytes."""

from __future__ import annotations

import schemathesis


@schemathesis.serializer("audio/wav")
def wav_bytes(ctx, value):
    """A generated body for `audio/wav`: bytes as they are, anything else as its text."""
    return value if isinstance(value, bytes) else str(value).encode()
