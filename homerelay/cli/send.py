"""Send a command to the house, wait until the agent has carried it out, say what happened."""

from __future__ import annotations

import time

from homerelay import const
from homerelay.cli.connection import add_server_arguments, require_server

EXIT_DONE = 0
EXIT_NOT_DONE = 1
# Poll quickly at first (a loopback agent answers within milliseconds), then back off.
FIRST_POLL = 0.05
MAX_POLL = 0.5


def configure(parser):
    """Add this subcommand's arguments."""
    add_server_arguments(parser)
    parser.add_argument("text", help='what to do, e.g. "turn on the kitchen light"')
    parser.add_argument("--timeout", type=float, default=15.0, metavar="S",
                        help="seconds to wait for the agent (default 15)")


def run(args):
    """Run the subcommand."""
    from homerelay.http_client import RelayClient  # noqa: PLC0415 - keep `--help` light
    from homerelay.errors import RequestRejectedError  # noqa: PLC0415

    require_server(args)
    client = RelayClient(args.server, args.token)
    try:
        try:
            command = client.post_command(args.text).json()
        except RequestRejectedError as error:
            if error.status != 422:
                raise
            print(f"not understood: {_with_suggestions(error.detail, error.body)}")
            return EXIT_NOT_DONE
        command = wait_for(client, command, args.timeout)
    finally:
        client.close()
    print(describe(command))
    return EXIT_DONE if command["status"] == const.STATUS_DONE else EXIT_NOT_DONE


def wait_for(client, command: dict, timeout: float) -> dict:
    """Poll the command until the agent has finished it or the timeout has passed."""
    deadline = time.monotonic() + timeout
    pause = FIRST_POLL
    while command["status"] not in const.FINISHED_STATUSES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, MAX_POLL)
        command = client.get_command(command["id"])
    return command


def describe(command: dict) -> str:
    """One line: ``done: kitchen light on``, ``failed: …``, ``expired: …`` or ``timed out: …``."""
    status = command["status"]
    if status == const.STATUS_DONE:
        return f"done: {command.get('result') or _actions(command)}"
    if status == const.STATUS_FAILED:
        return f"failed: {command.get('result') or 'the agent could not carry it out'}"
    if status == const.STATUS_EXPIRED:
        return "expired: the agent did not take it in time, so it was not carried out"
    return (f"timed out: the agent has not carried it out yet "
            f"(command {command['id']} is {status})")


def _actions(command: dict) -> str:
    actions = command.get("actions") or []
    if not actions:
        return command.get("intent") or command.get("text", "")
    return ", ".join(f"{a['room']} {a['device']} {a['action']}" for a in actions)


def _with_suggestions(detail: str, body: dict) -> str:
    suggestions = body.get("suggestions") or []
    if not suggestions:
        return detail
    quoted = " or ".join(f'"{s}"' for s in suggestions)
    return f"{detail} Try {quoted}."
