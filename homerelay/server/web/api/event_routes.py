"""v1 Server-Sent Events: command, reading, devices and automation changes as they happen."""

from __future__ import annotations

import json

from flask import Response, current_app

from homerelay.const import EVENT_AGENT, ROLE_APP
from homerelay.server.storage.serialize import presence_to_dict
from homerelay.server.web.api.blueprint import EVENTS, blueprint, identity, relay, roles
from homerelay.server.web.schemas import EventsQuery

# A comment line this often keeps proxies and phones from closing an idle stream.
HEARTBEAT_SECONDS = 15.0
# How long the browser waits before reconnecting after the stream drops.
RECONNECT_MS = 2000


@blueprint.get("/events", tags=[EVENTS], responses={200: None})
@roles.require(ROLE_APP, allow_query_token=True)
def events(query: EventsQuery):
    """Server-Sent Events named `command`, `reading`, `devices`, `automation`, `agent` (the agent's
    presence, also sent first thing, so a new stream knows it)."""
    subscription = relay().hub.subscribe(identity().home_id)
    heartbeat = current_app.config.get("SSE_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    try:
        # Read after subscribing: a change in between arrives twice, never not at all.
        presence = _event(EVENT_AGENT, presence_to_dict(relay().presence.status(identity().home_id)))
    except Exception:
        subscription.close()
        raise

    def stream():
        try:
            yield f"retry: {RECONNECT_MS}\n: connected\n\n{presence}"
            while True:
                event = subscription.get(timeout=heartbeat)
                if event is None:
                    yield ": keep-alive\n\n"
                    continue
                yield _event(event.name, event.data)
        finally:
            subscription.close()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream(), mimetype="text/event-stream", headers=headers)


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
