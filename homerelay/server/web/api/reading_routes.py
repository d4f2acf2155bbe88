"""v1 endpoints for sensor readings."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request

from homerelay.clock import utcnow
from homerelay.const import ROLE_AGENT, ROLE_APP
from homerelay.server.relay import current_relay
from homerelay.server.storage.serialize import reading_to_dict
from homerelay.server.web.api.blueprint import READINGS, blueprint, roles
from homerelay.server.web.auth import identity
from homerelay.server.web.http_errors import ApiError
from homerelay.server.web.schemas import MAX_BATCH_READINGS, HistoryQuery, LatestReadingOut, ReadingsIn, ReadingsOut, ReadingsStored

# A reading from the future beyond this much clock skew is refused.
MAX_CLOCK_SKEW = timedelta(minutes=5)


@blueprint.before_request
def refuse_oversized_batch() -> None:
    """`before_request`: a batch of more than `MAX_BATCH_READINGS` is too large (413), not malformed."""
    if request.endpoint != "v1.add_readings" or request.method != "POST":
        return
    body = request.get_json(silent=True)
    if isinstance(body, list) and len(body) > MAX_BATCH_READINGS:
        raise ApiError(413, f"a batch holds at most {MAX_BATCH_READINGS:,} readings, not {len(body):,}; "
                            "send the rest in another request")


@blueprint.post("/readings", tags=[READINGS], responses={201: ReadingsStored})
@roles.require(ROLE_AGENT)
def add_readings(body: ReadingsIn):
    """One reading, or a batch buffered while the agent was offline."""
    items = body.root if isinstance(body.root, list) else [body.root]
    now = utcnow()
    oldest = now - timedelta(days=current_app.config["READING_RETENTION_DAYS"])
    readings = []
    for item in items:
        at = item.at or now
        if at - now > MAX_CLOCK_SKEW:
            raise ApiError(400, f"at: {at.isoformat()} is in the future; is the agent's clock right?")
        if at < oldest:
            raise ApiError(400, f"at: {at.isoformat()} is older than the {current_app.config['READING_RETENTION_DAYS']:g} "
                                "days of history kept; is the agent's clock right?")
        # Within the skew allowed, a future time is stored as now: otherwise the reading would stay
        # "fresh" (able to drive the cooling rule) that much longer after the sensor stops.
        readings.append((item.temperature, item.humidity, min(at, now)))
    stored = current_relay().add_readings(identity().home_id, readings)
    return {"stored": len(stored)}, 201


@blueprint.get("/readings/latest", tags=[READINGS], responses={200: LatestReadingOut})
@roles.require(ROLE_APP)
def latest_reading():
    """The newest reading, and `stale` when it is too old to trust (or there is none)."""
    readings = current_relay().readings
    latest = readings.latest(identity().home_id)
    if latest is None:
        return {"temperature": None, "humidity": None, "at": None, "stale": True}
    return {**reading_to_dict(latest), "stale": readings.is_stale(latest.at)}


@blueprint.get("/readings", tags=[READINGS], responses={200: ReadingsOut})
@roles.require(ROLE_APP)
def reading_history(query: HistoryQuery):
    """Readings since a moment, oldest first, at most `limit` (the newest ones)."""
    history = current_relay().readings.history(identity().home_id, query.since, query.limit)
    return {"readings": [reading_to_dict(reading) for reading in history]}
