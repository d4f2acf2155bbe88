"""The original server's endpoints over HTTP: its requests read, and answered byte for byte as it did."""

from __future__ import annotations

import json
import logging
import math
import re

from flask import Blueprint, Flask, Response, g, jsonify, request

from homerelay.const import HUMIDITY_MAX, HUMIDITY_MIN, ROLE_AGENT, ROLE_APP, TEMPERATURE_MAX_C, TEMPERATURE_MIN_C
from homerelay.server.relay import current_relay as relay
from homerelay.server.web import strict_json
from homerelay.server.web.auth import RoleMap, identity
from homerelay.server.web.http_errors import ApiError

logger = logging.getLogger(__name__)

# The original had one URL for the phone and the Pi: either of a home's tokens may call any endpoint.
EITHER_ROLE = (ROLE_APP, ROLE_AGENT)
# The original took digits only (`str.isnumeric`); a decimal such as 25.5 is accepted as well.
# Only ASCII digits: `isnumeric` also takes Arabic-Indic digits and "½", which are no threshold here.
THRESHOLD = re.compile(r"[0-9]+(\.[0-9]+)?")

roles = RoleMap()


def _bare_text(text: str) -> Response:
    """A bare-text answer; plain text, so that nothing an agent uploaded is rendered as HTML."""
    return Response(text, mimetype="text/plain")


def _raw_text() -> str:
    """The body as the original read it (`request.data`, UTF-8): whole, spaces and all."""
    try:
        return request.data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, "the body is not UTF-8 text") from error


def _json_body() -> dict:
    """The body as the original clients send it: a JSON string of a JSON object (or the object)."""
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "the body must be JSON")
    if isinstance(data, str):
        # The original Pi script posts `json=json.dumps(data)`: a string holding the object.
        try:
            data = strict_json.loads(data)
        except ValueError as error:
            raise ApiError(400, "the body is a string that does not hold JSON") from error
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object (or a JSON string of one)")
    return data


def _field(data: dict, name: str):
    if name not in data:
        raise ApiError(400, f"{name}: missing")
    return data[name]


def _sensor_value(value, name: str, low: float, high: float) -> float:
    """A reading's number (a JSON number, or text holding one), within what the sensor can measure."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ApiError(400, f"{name}: {value!r} is not a number")
    try:
        number = strict_json.strict_number(value)
    except (TypeError, ValueError) as error:
        raise ApiError(400, f"{name}: {value!r} is not a number") from error
    if not math.isfinite(number) or not low <= number <= high:
        raise ApiError(400, f"{name}: {value!r} is outside {low:g}..{high:g}")
    return number


def _threshold(text: str) -> float | None:
    """The threshold a text sets, or None for a text that is no number (the original's `null`)."""
    if not THRESHOLD.fullmatch(text):
        return None
    value = float(text)
    if not TEMPERATURE_MIN_C <= value <= TEMPERATURE_MAX_C:
        raise ApiError(400, f"threshold: {text!r} is outside {TEMPERATURE_MIN_C:g}..{TEMPERATURE_MAX_C:g} °C")
    return value


def build_blueprint(name: str, url_prefix: str | None) -> Blueprint:
    """The original endpoints, mounted at `url_prefix` (root, or `/t/<token>`)."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)

    @bp.url_value_preprocessor
    def _take_path_token(_endpoint, values):
        if values is not None and "token" in values:
            g.path_token = values.pop("token")

    bp.before_request(roles.check_request)

    @bp.post("/set_command")
    @roles.require(*EITHER_ROLE)
    def set_command():
        text = _raw_text()
        refused = strict_json.command_text_reason(text)
        if refused:
            # Answered as the original did, but never queued: a NUL cannot be stored everywhere,
            # and a bidirectional control would make the history show another text than was sent.
            logger.info("original app sent a command that is refused: %s", refused)
            return jsonify([text])
        submission = relay().legacy_slot.submit_command(identity().home_id, text)
        if not submission.parsed.ok:
            # The original app has no way to show an error: answer as before, log why.
            logger.info("original app sent a sentence that is not understood: %s", submission.parsed.error)
        return jsonify([text])

    @bp.get("/get_command")
    @roles.require(*EITHER_ROLE)
    def get_command():
        return _bare_text(relay().legacy_slot.read_command(identity().home_id))

    @bp.post("/set_data")
    @roles.require(*EITHER_ROLE)
    def set_data():
        data = _json_body()
        sent = (_field(data, "temperature"), _field(data, "humidity"))
        temperature = _sensor_value(sent[0], "temperature", TEMPERATURE_MIN_C, TEMPERATURE_MAX_C)
        humidity = _sensor_value(sent[1], "humidity", HUMIDITY_MIN, HUMIDITY_MAX)
        # The original printed what it was sent: `24` stays `24`, `24.0` stays `24.0`.
        shown = (str(sent[0]), str(sent[1]))
        relay().legacy_slot.add_reading(identity().home_id, temperature, humidity, shown)
        return jsonify(list(sent))

    @bp.get("/get_data")
    @roles.require(*EITHER_ROLE)
    def get_data():
        return _bare_text(relay().legacy_slot.data_text(identity().home_id))

    @bp.post("/set_threshold")
    @roles.require(*EITHER_ROLE)
    def set_threshold():
        text = _raw_text()
        relay().legacy_slot.set_threshold(identity().home_id, _threshold(text), text)
        return jsonify(text)

    @bp.get("/get_threshold")
    @roles.require(*EITHER_ROLE)
    def get_threshold():
        return _bare_text(relay().legacy_slot.threshold_text(identity().home_id))

    @bp.post("/set_devices")
    @roles.require(*EITHER_ROLE)
    def set_devices():
        devices = _field(_json_body(), "devices")
        if not isinstance(devices, str):
            raise ApiError(400, "devices: expected a text such as '| living_room light | '")
        if strict_json.unstorable_reason(devices):
            raise ApiError(400, f"devices: {strict_json.unstorable_reason(devices)}")
        relay().legacy_slot.set_devices(identity().home_id, devices)
        return jsonify(devices)

    @bp.get("/get_devices")
    @roles.require(*EITHER_ROLE)
    def get_devices():
        return _bare_text(relay().legacy_slot.devices_text(identity().home_id))

    @bp.post("/set_inf")
    @roles.require(*EITHER_ROLE)
    def set_inf():
        return jsonify(_field(_json_body(), "information"))

    return bp


def register_legacy(app: Flask) -> None:
    """Mount the original endpoints at the root and under `/t/<token>/`."""
    app.register_blueprint(build_blueprint("legacy", None))
    app.register_blueprint(build_blueprint("legacy_token", "/t/<token>"))
