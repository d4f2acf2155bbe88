"""v1 endpoints about the Pi agent itself: whether it is connected (`GET /agent`), and who is asking."""

from __future__ import annotations

from typing import Callable

from flask import g, request

from homerelay.agent_header import AgentIdentity, parse_agent_header
from homerelay.const import AGENT_HEADER, ROLE_AGENT, ROLE_APP
from homerelay.server.services.commands import WAITER_RECHECK_SECONDS
from homerelay.server.storage.records import Command
from homerelay.server.storage.serialize import presence_to_dict
from homerelay.server.relay import current_relay
from homerelay.server.web.api.blueprint import AGENT, blueprint, roles
from homerelay.server.web.auth import identity
from homerelay.server.web.client_connection import ClientConnection
from homerelay.server.web.schemas import AgentOut

# The long-poll records its own start and end; every other agent request counts as "heard from".
LONG_POLL_ENDPOINT = "v1.next_command"


def agent_identity() -> AgentIdentity:
    """The agent process that sent this request, from its `X-Homerelay-Agent` header."""
    return parse_agent_header(request.headers.get(AGENT_HEADER))


@blueprint.before_request
def _heard_from_the_agent() -> None:
    """After sign-in: an agent's request shows it is there."""
    signed_in = getattr(g, "identity", None)
    if signed_in is None or signed_in.role != ROLE_AGENT or request.endpoint == LONG_POLL_ENDPOINT:
        return
    current_relay().presence.touch(signed_in.home_id, agent_identity())


@blueprint.get("/agent", tags=[AGENT], responses={200: AgentOut})
@roles.require(ROLE_APP)
def agent_presence():
    """Whether the home's agent is connected, since when, and how many agent processes use its token."""
    return presence_to_dict(current_relay().presence.status(identity().home_id))


def wait_for_command(
    home_id: int, wait: float, still_allowed: Callable[[], bool] | None = None,
    recheck_seconds: float = WAITER_RECHECK_SECONDS,
) -> Command | None:
    """The agent's long-poll with its presence: online while it waits; if its connection closes,
    the poll ends at once and claims nothing (so the next agent process gets the command).
    `still_allowed` is the queue's re-check of the caller's right to commands (see `next_for_agent`)."""
    who = agent_identity()
    connection = ClientConnection(request.environ)
    presence = current_relay().presence
    poll = presence.poll_opened(home_id, who, wait)
    command = None
    try:
        command = current_relay().queue.next_for_agent(
            home_id, wait, instance=who.instance, connected=connection.alive,
            still_allowed=still_allowed, recheck_seconds=recheck_seconds,
        )
    finally:
        presence.poll_closed(poll, dropped=connection.closed, delivered=command is not None)
    return command
