"""A request that fails its schema, said in one sentence: "The threshold must be between −40 and 85 °C."

pydantic's own messages ("Input should be less than or equal to 85") name neither the field
nor its unit; each field and constraint is mapped here to what a person can act on.
"""

from __future__ import annotations

from homerelay.const import HUMIDITY_MAX, HUMIDITY_MIN, MAX_LONG_POLL_SECONDS, TEMPERATURE_MAX_C, TEMPERATURE_MIN_C

# Field name -> how a sentence names it.
LABELS = {
    "text": "The command text",
    "threshold": "The threshold",
    "hysteresis": "The hysteresis",
    "pause_minutes": "The pause",
    "room": "The room name",
    "device": "The device name",
    "temperature": "The temperature",
    "humidity": "The humidity",
    "at": "The reading's time",
    "since": "The start time",
    "limit": "The limit",
    "wait": "The wait",
    "status": "The status",
    "result": "The result",
    "state": "A device's state",
    "kind": "A device's kind",
    "devices": "The device list",
}
# Field name -> (lowest, highest, unit): a range said whole, whichever end was crossed.
RANGES = {
    "threshold": (TEMPERATURE_MIN_C, TEMPERATURE_MAX_C, " °C"),
    "temperature": (TEMPERATURE_MIN_C, TEMPERATURE_MAX_C, " °C"),
    "hysteresis": (0, 10, " °C"),
    "humidity": (HUMIDITY_MIN, HUMIDITY_MAX, " %"),
    "pause_minutes": (0, 1440, " minutes"),
    "wait": (0, MAX_LONG_POLL_SECONDS, " seconds"),
}
RANGE_ERRORS = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")
NUMBER_ERRORS = ("float_type", "float_parsing", "finite_number", "int_type", "int_parsing", "int_from_float")
WHOLE_NUMBER_FIELDS = ("pause_minutes", "limit")
TIME_EXAMPLE = "an ISO-8601 time such as 2026-01-01T12:00:00Z"


def number(value: float) -> str:
    """25.0 -> "25", -40 -> "−40" (a real minus sign, as printed)."""
    return f"{value:g}".replace("-", "\u2212")


def field_of(location: tuple) -> str | None:
    """The field an error is about: the last name in its location (not a list index or a union branch)."""
    names = [part for part in location if isinstance(part, str) and part.isidentifier() and part[:1].islower()]
    return names[-1] if names else None


def sentence(error: dict) -> str:
    """One sentence for one of pydantic's errors."""
    kind = error.get("type", "")
    field = field_of(tuple(error.get("loc", ())))
    label = LABELS.get(field, f"'{field}'" if field else "The body")
    ctx = error.get("ctx") or {}
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "missing":
        return f"{label} is missing."
    if kind == "extra_forbidden":
        return f"'{field}' is not a field of this request." if field else "The body has a field this request does not take."
    if kind in RANGE_ERRORS:
        if field in RANGES:
            low, high, unit = RANGES[field]
            return f"{label} must be between {number(low)} and {number(high)}{unit}."
        bound = next(iter(ctx.values()), None)
        side = "at least" if kind.startswith("greater") else "at most"
        return f"{label} must be {side} {number(bound)}." if isinstance(bound, (int, float)) else f"{label} is out of range."
    if kind in NUMBER_ERRORS or message in ("expected a number", "expected a whole number"):
        whole = field in WHOLE_NUMBER_FIELDS or kind.startswith("int") or "whole" in message
        return f"{label} must be {'a whole number' if whole else 'a number'}."
    if kind == "string_too_short":
        return "The command text is empty." if field == "text" else f"{label} must not be empty."
    if kind == "string_too_long":
        return f"{label} may have at most {ctx.get('max_length')} characters."
    if kind == "too_long":
        return f"{label} may have at most {ctx.get('max_length')} items."
    if kind == "too_short":
        return f"{label} needs at least {ctx.get('min_length')} item."
    if kind in ("bool_type", "bool_parsing"):
        return f"{label} must be true or false."
    if kind == "literal_error":
        return f"{label} must be {ctx.get('expected', 'one of the documented values')}."
    if kind in ("string_type",):
        return f"{label} must be text."
    if kind in ("list_type",):
        return f"{label} must be a list."
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "The body must be a JSON object." if field is None else f"{label} must be a JSON object."
    if kind == "json_invalid":
        return "The body is not valid JSON."
    if kind.startswith(("datetime", "timezone")) or "ISO-8601" in message:
        return f"{label} must be {TIME_EXAMPLE}, with its time zone."
    if message:
        text = message[0].upper() + message[1:]
        return text if text.endswith(".") else f"{text}."
    return f"{label} is not valid."
