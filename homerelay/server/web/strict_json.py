"""Strict reading of what clients send: JSON depth, text a database can store, numbers as JSON writes them."""

from __future__ import annotations

import json
import math
import re

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from homerelay.server.web.http_errors import ApiError

# Deeper than any body the API takes (a house is four levels); Python's parser recurses per level.
MAX_JSON_DEPTH = 32
# Text no database column takes (PostgreSQL refuses NUL) or no encoder writes (lone surrogates).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Characters that reorder how the text around them is shown: a command must read as it acts.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# A number as JSON or a person writes it: ASCII digits only (no "٢٥", no "2_5", no "inf").
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def too_deep(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON document nests arrays and objects deeper than `limit` (strings are skipped)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads(text: str | bytes):
    """`json.loads`, refusing (ValueError) a document nested deeper than `MAX_JSON_DEPTH`."""
    if too_deep(text):
        raise ValueError(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(text)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, reading request bodies with `loads` (a deep body is a 400, not a crash)."""

    def loads(self, s, **kwargs):
        if too_deep(s):
            raise ValueError(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
        return super().loads(s, **kwargs)


def unstorable_reason(text: str) -> str | None:
    """Why a text cannot be stored (a NUL character, a lone surrogate), or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    return "NUL characters are not allowed" if found.group() == "\x00" else "lone surrogates are not valid text"


def command_text_reason(text: str) -> str | None:
    """Why a command's text is refused: unstorable, or with bidirectional controls; None if fine."""
    reason = unstorable_reason(text)
    if reason is None and BIDI_CONTROLS.search(text):
        reason = "bidirectional control characters (U+202A-U+202E, U+2066-U+2069) are not allowed"
    return reason


def find_unstorable(value, where: str = "") -> str | None:
    """The first string in a JSON value (keys included) that cannot be stored, as `where: why`."""
    if isinstance(value, str):
        reason = unstorable_reason(value)
        return f"{where or 'body'}: {reason}" if reason else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        path = f"{where}.{key}" if where else str(key)
        found = (unstorable_reason(key) and f"{path}: {unstorable_reason(key)}") if isinstance(key, str) else None
        found = found or find_unstorable(item, path)
        if found:
            return found
    return None


def strict_number(value) -> float:
    """A finite number from a JSON number or a plain decimal text; ValueError for anything else.

    `true`/`false` are not 1 and 0, and Arabic-Indic digits or `2_5` are not 25 (Python's
    `float` would take them all); a 400-digit integer is refused, not an OverflowError.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, str):
        if not PLAIN_NUMBER.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not a number")
    elif not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = float(value)
    except OverflowError as error:
        raise ValueError("the number is too large") from error
    if not math.isfinite(number):
        raise ValueError("the number is too large")
    return number


def check_json_body() -> None:
    """`before_request`: a JSON body nested too deep, or with text no database can store, is a 400."""
    if not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    if too_deep(raw):
        raise ApiError(400, f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels", "invalid")
    body = request.get_json(silent=True)
    if isinstance(body, str):
        # A JSON string holding JSON is read as that JSON (the original clients send it so).
        try:
            body = loads(body)
        except ValueError:
            return
    found = find_unstorable(body) if body is not None else None
    if found:
        raise ApiError(400, found, "invalid")


def init_strict_json(app: Flask) -> None:
    """Read JSON bodies with the depth limit."""
    app.json = StrictJSONProvider(app)
