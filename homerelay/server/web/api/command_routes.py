"""v1 endpoints for commands: submit, list, read, and the agent's long-poll and acknowledgement."""

from __future__ import annotations

from flask import current_app, request

from homerelay.const import ROLE_AGENT, ROLE_APP, SOURCE_APP
from homerelay.errors import UnknownDeviceError
from homerelay.language import Action
from homerelay.server.relay import Submission, current_relay
from homerelay.server.services.commands import (
    WAITER_RECHECK_SECONDS,
    CommandNotFoundError,
    IdempotencyConflictError,
    WaiterRefusedError,
)
from homerelay.server.storage.records import Command
from homerelay.server.storage.serialize import command_to_dict, to_iso
from homerelay.server.web.api.agent_routes import wait_for_command
from homerelay.server.web.api.blueprint import AGENT, COMMANDS, blueprint, roles
from homerelay.server.web.auth import identity
from homerelay.server.web.connection_caps import LONG_POLLS, open_connections
from homerelay.server.web.http_errors import ApiError, error_response
from homerelay.server.web.strict_json import unstorable_reason
from homerelay.server.web.schemas import (
    AckIn,
    CommandIn,
    CommandList,
    CommandListQuery,
    CommandOrAnswer,
    CommandOut,
    ConfirmationRequired,
    CommandPath,
    ErrorOut,
    NextQuery,
    NotUnderstood,
)

IDEMPOTENCY_KEY_MAX = 200
CONFIRMATION_REQUIRED = "confirmation_required"
# When a command still waiting will expire instead of being carried out (`homerelay send` says it).
EXPIRES_HEADER = "X-Homerelay-Expires-At"
# `?confirm=true` says yes as `"confirm": true` in the body does.
CONFIRM_WORDS = ("true", "1", "yes")


@blueprint.post(
    "/commands", tags=[COMMANDS],
    responses={201: CommandOut, 200: CommandOrAnswer, 409: ConfirmationRequired, 422: NotUnderstood},
)
@roles.require(ROLE_APP)
def submit_command(body: CommandIn):
    """Queue a sentence parsed against the house (422 with suggestions when not understood), or device
    switches given as such (422 when one is not a device of the house); 409 when it needs a yes
    (`"confirm": true` or `?confirm=true` gives it); a question is answered (200), not queued."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX:
        raise ApiError(400, f"Idempotency-Key must have 1 to {IDEMPOTENCY_KEY_MAX} characters")
    unstorable = unstorable_reason(key) if key is not None else None
    if unstorable:
        raise ApiError(400, f"Idempotency-Key: {unstorable}")
    confirmed = body.confirm or request.args.get("confirm", "").lower() in CONFIRM_WORDS
    home_id = identity().home_id
    relay = current_relay()
    try:
        if body.actions is not None:
            actions = [Action(a.room, a.device, a.action) for a in body.actions]
            needed = None if confirmed else relay.confirmation_for_actions(home_id, actions)
            if needed is not None:
                return _confirmation_required(needed)
            command, created = relay.submit_actions(home_id, actions, SOURCE_APP, key)
            return command_to_dict(command), 201 if created else 200, {EXPIRES_HEADER: _expires_at(command)}
        submission = relay.submit_text(home_id, body.text, SOURCE_APP, key, confirmed=confirmed, answer_questions=True)
    except IdempotencyConflictError as error:
        raise ApiError(422, str(error), "idempotency_conflict") from error
    except UnknownDeviceError as error:
        raise ApiError(422, f"actions: {error}", "not_understood") from error
    return submission_response(submission, body.text)


def submission_response(submission: Submission, text: str, **extra):
    """The answer to a submitted sentence, typed or spoken (`extra`: what a recogniser heard): a
    question's answer (200), 409 when it needs a yes, 422 when not understood, else the command."""
    parsed = submission.parsed
    if submission.answer is not None:
        actions = [action.to_dict() for action in parsed.actions]
        return {"intent": parsed.intent, "text": text, "actions": actions, "answer": submission.answer, **extra}, 200
    if submission.confirmation is not None:
        return _confirmation_required(submission.confirmation, **extra)
    if submission.command is None:
        return error_response(422, parsed.error, "not_understood", suggestions=list(parsed.suggestions), **extra)
    command = submission.command
    return ({**command_to_dict(command), **extra}, 201 if submission.created else 200,
            {EXPIRES_HEADER: _expires_at(command)})


def _confirmation_required(needed, **extra):
    """409: what the command would change that needs a person's yes first."""
    return error_response(409, needed.detail, CONFIRMATION_REQUIRED,
                          actions=[a.to_dict() for a in needed.actions], **extra)


@blueprint.get("/commands", tags=[COMMANDS], responses={200: CommandList})
@roles.require(ROLE_APP)
def list_commands(query: CommandListQuery):
    """The latest commands, newest first."""
    return {"commands": [command_to_dict(c) for c in current_relay().queue.recent(identity().home_id, query.limit)]}


@blueprint.get("/commands/<int:command_id>", tags=[COMMANDS], responses={200: CommandOut, 404: ErrorOut})
@roles.require(ROLE_APP, ROLE_AGENT)
def get_command(path: CommandPath):
    """One command."""
    try:
        return command_to_dict(current_relay().queue.get(identity().home_id, path.command_id))
    except CommandNotFoundError as error:
        raise ApiError(404, str(error)) from error


@blueprint.post("/commands/<int:command_id>/ack", tags=[AGENT], responses={200: CommandOut, 404: ErrorOut})
@roles.require(ROLE_AGENT)
def ack_command(path: CommandPath, body: AckIn):
    """The agent carried a command out (or could not); repeating it changes nothing."""
    try:
        return command_to_dict(current_relay().queue.ack(identity().home_id, path.command_id, body.status, body.result))
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
        command = wait_for_command(
            identity().home_id, wait, still_allowed=lambda: current_relay().homes.token_is_active(token_id),
            recheck_seconds=current_app.config.get("SSE_HEARTBEAT_SECONDS", WAITER_RECHECK_SECONDS),
        )
    except WaiterRefusedError as error:
        raise ApiError(401, "this token was revoked while it waited", headers={"WWW-Authenticate": "Bearer"}) from error
    finally:
        if wait > 0:
            long_polls.release(token_id)
    if command is None:
        return "", 204, {"X-Homerelay-Max-Wait": str(current_app.config["MAX_WAIT_SECONDS"])}
    return command_to_dict(command)


def _expires_at(command: Command) -> str:
    return to_iso(command.created_at + current_relay().queue.ttl)
