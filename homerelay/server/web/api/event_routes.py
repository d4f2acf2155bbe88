"""v1 Server-Sent Events: command, reading, devices and automation changes as they happen."""

from __future__ import annotations

import json
import time

from flask import Response, current_app

from homerelay.const import EVENT_AGENT, ROLE_APP
from homerelay.server.relay import current_relay
from homerelay.server.storage.serialize import presence_to_dict
from homerelay.server.web.api.blueprint import EVENTS, blueprint, roles
from homerelay.server.web.auth import identity
from homerelay.server.web.connection_caps import EVENT_STREAMS, open_connections
from homerelay.server.web.schemas import EventsQuery

# A comment line this often keeps proxies and phones from closing an idle stream.
HEARTBEAT_SECONDS = 15.0
# How long the browser waits before reconnecting after the stream drops.
RECONNECT_MS = 2000


@blueprint.get("/events", tags=[EVENTS], responses={200: None})
@roles.require(ROLE_APP, allow_query_token=True)
def events(query: EventsQuery):
    """Server-Sent Events named `command`, `reading` (one per batch, with its `count`), `devices`,
    `automation`, `agent` (the agent's presence, also sent first thing, so a new stream knows it)."""
    streams = open_connections(EVENT_STREAMS)
    token_id = identity().token_id
    streams.acquire(token_id)
    try:
        subscription = current_relay().hub.subscribe(identity().home_id)
    except Exception:
        streams.release(token_id)
        raise
    heartbeat = current_app.config.get("SSE_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    try:
        # Read after subscribing: a change in between arrives twice, never not at all.
        presence = _event(EVENT_AGENT, presence_to_dict(current_relay().presence.status(identity().home_id)))
    except Exception:
        subscription.close()
        streams.release(token_id)
        raise

    services = current_relay()

    def stream():
        try:
            yield f"retry: {RECONNECT_MS}\n: connected\n\n{presence}"
            checked = time.monotonic()
            while not subscription.fell_behind:
                event = subscription.get(timeout=heartbeat)
                if event is None:
                    yield ": keep-alive\n\n"
                else:
                    yield _event(event.name, event.data)
                if time.monotonic() - checked >= heartbeat:
                    # A revoked token's stream ends within a heartbeat, busy or idle, in every process.
                    # Asked after a write, so a stream whose client left ends there without a query.
                    if services.closed or not services.homes.token_is_active(token_id):
                        return
                    checked = time.monotonic()
        finally:
            subscription.close()

    def closed() -> None:
        # Runs when the server closes the response, also if the stream never started.
        subscription.close()
        streams.release(token_id)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    response = Response(stream(), mimetype="text/event-stream", headers=headers)
    response.call_on_close(closed)
    return response


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
