"""The v1 API blueprint, its access rules and its OpenAPI tags."""

from __future__ import annotations

from flask import request
from flask_openapi3 import APIBlueprint, Tag

from homerelay.server.web.auth import RoleMap
from homerelay.server.web.http_errors import ApiError
from homerelay.server.web.strict_json import check_json_body
from homerelay.server.web.schemas import ErrorOut

# Answers any v1 operation may give besides its own.
COMMON_RESPONSES = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 429: ErrorOut}

blueprint = APIBlueprint(
    "v1", __name__, url_prefix="/api/v1", abp_security=[{"bearer": []}], abp_responses=COMMON_RESPONSES
)
roles = RoleMap()
# GETs that claim a command or open a subscription: a HEAD would do the same and drop the answer.
GETS_WITH_SIDE_EFFECTS = frozenset({"next_command", "events"})


def refuse_head_with_side_effects() -> None:
    """`before_request`: HEAD is refused (405) where the GET it mirrors changes something."""
    if request.method == "HEAD" and (request.endpoint or "").rsplit(".", 1)[-1] in GETS_WITH_SIDE_EFFECTS:
        raise ApiError(405, "HEAD is not allowed here: a GET of this resource claims or subscribes; use GET",
                       headers={"Allow": "GET"})


blueprint.before_request(refuse_head_with_side_effects)
blueprint.before_request(roles.check_request)
blueprint.before_request(check_json_body)

COMMANDS = Tag(name="commands", description="Sentences for the house and their progress")
AGENT = Tag(name="agent", description="What the Pi agent calls")
READINGS = Tag(name="readings", description="Temperature and humidity")
DEVICES = Tag(name="devices", description="Device states and the house layout")
AUTOMATION = Tag(name="automation", description="The cooling rule")
EVENTS = Tag(name="events", description="Live updates as Server-Sent Events")

