"""The request body limit for bodies sent without a Content-Length (chunked), which Werkzeug does not cap."""

from __future__ import annotations

import io

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge


def _cap_streamed_body() -> None:
    """`before_request`: read a length-less body up to the limit, refusing (413) anything longer."""
    environ = request.environ
    # With a Content-Length, Werkzeug refuses an oversized body itself. A server that de-chunks
    # (gunicorn) marks the stream terminated instead, and Werkzeug then reads it without a cap.
    if environ.get("CONTENT_LENGTH") or not environ.get("wsgi.input_terminated"):
        return
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is None:
        return
    body = environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    # Still marked terminated: Werkzeug then reads this bounded copy as it is.
    environ["wsgi.input"] = io.BytesIO(body)


def init_body_limit(app: Flask) -> None:
    """Apply `MAX_CONTENT_LENGTH` to chunked bodies too."""
    app.before_request(_cap_streamed_body)
