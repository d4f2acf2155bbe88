"""The original server's endpoints, answered byte for byte as before, over the same store as v1."""

from __future__ import annotations

import json
import logging
import math

from flask import Blueprint, Flask, g, jsonify, request
from sqlalchemy import select

from homerelay.const import (
    COMMAND_TEXT_MAX,
    HUMIDITY_MAX,
    HUMIDITY_MIN,
    INTENT_TERMINATE,
    ROLE_AGENT,
    ROLE_APP,
    SOURCE_LEGACY,
    TEMPERATURE_MAX_C,
    TEMPERATURE_MIN_C,
)
from homerelay.server.web.api.blueprint import identity, relay
from homerelay.server.web import strict_json
from homerelay.server.web.auth import RoleMap
from homerelay.server.web.http_errors import ApiError
from homerelay.server.storage.models import LegacyValue, utcnow

logger = logging.getLogger(__name__)

KEY_DEVICES = "devices"
KEY_INFORMATION = "information"

roles = RoleMap()


def _json_body():
    """The body as the original clients send it: JSON, often a JSON string of JSON."""
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


def _raw_text(limit: int) -> str:
    text = request.get_data(as_text=True).strip()
    if not text:
        raise ApiError(400, "the body is empty; send the text as the raw body")
    if len(text) > limit:
        raise ApiError(400, f"the text is longer than {limit} characters")
    return text


def _number(value, name: str, low: float, high: float) -> float:
    try:
        number = strict_json.strict_number(value)
    except (TypeError, ValueError) as error:
        raise ApiError(400, f"{name}: {value!r} is not a number") from error
    if not math.isfinite(number) or not low <= number <= high:
        raise ApiError(400, f"{name}: {value!r} is outside {low:g}..{high:g}")
    return number


def _store_value(key: str, value: str) -> None:
    home_id = identity().home_id
    with relay().db.transaction() as session:
        row = session.get(LegacyValue, (home_id, key))
        if row is None:
            session.add(LegacyValue(home_id=home_id, key=key, value=value, updated_at=utcnow()))
        else:
            row.value, row.updated_at = value, utcnow()


def _load_value(key: str) -> str | None:
    with relay().db.reading() as session:
        row = session.scalars(
            select(LegacyValue).where(LegacyValue.home_id == identity().home_id, LegacyValue.key == key)
        ).first()
        return row.value if row is not None else None


def _format_number(value: float) -> str:
    """25.0 -> '25', 25.5 -> '25.5' (the original showed what the sensor sent)."""
    return f"{value:g}"


def legacy_device_list(devices: list[dict]) -> str:
    """The original device list: `| living_room light | kitchen oven | ` of the devices that are on."""
    on = [f"{d['room']} {d['device']}" for d in devices if d["state"] == "on"]
    return "| " + "".join(f"{name} | " for name in on)


def build_blueprint(name: str, url_prefix: str | None) -> Blueprint:
    """The original endpoints, mounted at `url_prefix` (root, or `/t/<token>`)."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)

    @bp.url_value_preprocessor
    def _take_path_token(_endpoint, values):
        if values is not None and "token" in values:
            g.path_token = values.pop("token")

    bp.before_request(roles.check_request)

    @bp.post("/set_command")
    @roles.require(ROLE_APP)
    def set_command():
        text = _raw_text(COMMAND_TEXT_MAX)
        if strict_json.command_text_reason(text):
            # Answered as the original did, but never queued: it cannot be stored or shown safely.
            logger.info("original app sent a command that is refused: %s", strict_json.command_text_reason(text))
            return jsonify([text])
        submission = relay().submit_text(identity().home_id, text, SOURCE_LEGACY)
        if submission.command is None:
            # The original app has no way to show an error: answer as before, log why.
            logger.info("original app sent a sentence that is not understood: %s", submission.parsed.error)
        return jsonify([text])

    @bp.get("/get_command")
    @roles.require(ROLE_AGENT)
    def get_command():
        latest = relay().queue.latest(identity().home_id)
        if latest is None:
            return jsonify(None)
        if latest.intent == INTENT_TERMINATE:
            if latest.legacy_served:
                return jsonify(None)
            relay().queue.mark_legacy_served(latest.id)
        return jsonify(latest.text)

    @bp.post("/set_data")
    @roles.require(ROLE_AGENT)
    def set_data():
        data = _json_body()
        temperature = _number(data.get("temperature"), "temperature", TEMPERATURE_MIN_C, TEMPERATURE_MAX_C)
        humidity = _number(data.get("humidity"), "humidity", HUMIDITY_MIN, HUMIDITY_MAX)
        relay().add_readings(identity().home_id, [(temperature, humidity, utcnow())])
        return jsonify([data.get("temperature"), data.get("humidity")])

    @bp.get("/get_data")
    @roles.require(ROLE_APP, ROLE_AGENT)
    def get_data():
        latest = relay().readings.latest(identity().home_id)
        if latest["at"] is None:
            return jsonify(None)
        return f"temperature: {_format_number(latest['temperature'])}°C  humidity: {_format_number(latest['humidity'])}%"

    @bp.post("/set_threshold")
    @roles.require(ROLE_APP)
    def set_threshold():
        text = _raw_text(32)
        threshold = _number(text, "threshold", TEMPERATURE_MIN_C, TEMPERATURE_MAX_C)
        relay().cooling.set_threshold(identity().home_id, threshold)
        return jsonify(text)

    @bp.get("/get_threshold")
    @roles.require(ROLE_APP, ROLE_AGENT)
    def get_threshold():
        settings, _, saved = relay().cooling.settings(identity().home_id)
        return _format_number(settings.threshold) if saved else jsonify(None)

    @bp.post("/set_devices")
    @roles.require(ROLE_AGENT)
    def set_devices():
        data = _json_body()
        devices = data.get("devices")
        if not isinstance(devices, str):
            raise ApiError(400, "devices: expected a text such as '| living_room light | '")
        if strict_json.unstorable_reason(devices):
            raise ApiError(400, f"devices: {strict_json.unstorable_reason(devices)}")
        _store_value(KEY_DEVICES, devices)
        return jsonify(data)

    @bp.get("/get_devices")
    @roles.require(ROLE_APP, ROLE_AGENT)
    def get_devices():
        states = relay().devices.states(identity().home_id)
        if states["devices"]:
            return legacy_device_list(states["devices"])
        stored = _load_value(KEY_DEVICES)
        return stored if stored is not None else jsonify(None)

    @bp.post("/set_inf")
    @roles.require(ROLE_APP, ROLE_AGENT)
    def set_inf():
        data = _json_body()
        information = data.get("information")
        _store_value(KEY_INFORMATION, json.dumps(information))
        return jsonify(information)

    return bp


def register_legacy(app: Flask) -> None:
    """Mount the original endpoints at the root and under `/t/<token>/`."""
    app.register_blueprint(build_blueprint("legacy", None))
    app.register_blueprint(build_blueprint("legacy_token", "/t/<token>"))
