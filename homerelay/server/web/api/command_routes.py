"""v1 endpoints for commands: submit, list, read, and the agent's long-poll and acknowledgement."""

from __future__ import annotations

from flask import current_app, request

from homerelay.const import ROLE_AGENT, ROLE_APP, SOURCE_APP
from homerelay.server.web.api.blueprint import AGENT, COMMANDS, blueprint, identity, relay, roles
from homerelay.server.web.connection_caps import LONG_POLLS, open_connections
from homerelay.server.web.http_errors import ApiError, error_response
from homerelay.server.web.strict_json import unstorable_reason
from homerelay.server.services.commands import (
    WAITER_RECHECK_SECONDS,
    CommandNotFoundError,
    IdempotencyConflictError,
    WaiterRefusedError,
)
from homerelay.server.services.homes import token_is_active
from homerelay.server.web.schemas import (
    AckIn,
    CommandIn,
    CommandList,
    CommandListQuery,
    CommandOut,
    CommandPath,
    ErrorOut,
    NextQuery,
    NotUnderstood,
)

IDEMPOTENCY_KEY_MAX = 200


@blueprint.post("/commands", tags=[COMMANDS], responses={201: CommandOut, 200: CommandOut, 422: NotUnderstood})
@roles.require(ROLE_APP)
def submit_command(body: CommandIn):
    """Parse a sentence against the house and queue it; 422 with suggestions when not understood."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX:
        raise ApiError(400, f"Idempotency-Key must have 1 to {IDEMPOTENCY_KEY_MAX} characters")
    if key is not None and unstorable_reason(key):
        raise ApiError(400, f"Idempotency-Key: {unstorable_reason(key)}")
    try:
        submission = relay().submit_text(identity().home_id, body.text, SOURCE_APP, key)
    except IdempotencyConflictError as error:
        raise ApiError(422, str(error), "idempotency_conflict") from error
    if submission.command is None:
        parsed = submission.parsed
        return error_response(422, parsed.error, "not_understood", suggestions=list(parsed.suggestions))
    return submission.command, 201 if submission.created else 200


@blueprint.get("/commands", tags=[COMMANDS], responses={200: CommandList})
@roles.require(ROLE_APP)
def list_commands(query: CommandListQuery):
    """The latest commands, newest first."""
    return {"commands": relay().queue.recent(identity().home_id, query.limit)}


@blueprint.get("/commands/<int:command_id>", tags=[COMMANDS], responses={200: CommandOut, 404: ErrorOut})
@roles.require(ROLE_APP, ROLE_AGENT)
def get_command(path: CommandPath):
    """One command."""
    try:
        return relay().queue.get(identity().home_id, path.command_id)
    except CommandNotFoundError as error:
        raise ApiError(404, str(error)) from error


@blueprint.post("/commands/<int:command_id>/ack", tags=[AGENT], responses={200: CommandOut, 404: ErrorOut})
@roles.require(ROLE_AGENT)
def ack_command(path: CommandPath, body: AckIn):
    """The agent carried a command out (or could not); repeating it changes nothing."""
    try:
        return relay().queue.ack(identity().home_id, path.command_id, body.status, body.result)
    except CommandNotFoundError as error:
        raise ApiError(404, str(error)) from error


@blueprint.get("/agent/next", tags=[AGENT], responses={200: CommandOut, 204: None})
@roles.require(ROLE_AGENT)
def next_command(query: NextQuery):
    """Long-poll: the next command as soon as there is one; 204 after `wait` seconds without one."""
    wait = min(query.wait, current_app.config["MAX_WAIT_SECONDS"])
    long_polls = open_connections(LONG_POLLS)
    token_id = identity().token_id
    if wait > 0:
        long_polls.acquire(token_id)
    try:
        command = relay().queue.next_for_agent(
            identity().home_id, wait, still_allowed=lambda: token_is_active(relay().db, token_id),
            recheck_seconds=current_app.config.get("SSE_HEARTBEAT_SECONDS", WAITER_RECHECK_SECONDS),
        )
    except WaiterRefusedError as error:
        raise ApiError(401, "this token was revoked while it waited", headers={"WWW-Authenticate": "Bearer"}) from error
    finally:
        if wait > 0:
            long_polls.release(token_id)
    if command is None:
        return "", 204, {"X-Homerelay-Max-Wait": str(current_app.config["MAX_WAIT_SECONDS"])}
    return command
