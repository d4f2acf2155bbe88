"""Send a command to the house, wait until the agent has carried it out, say what happened."""

from __future__ import annotations

import json
import time

from homerelay import const
from homerelay.cli.connection import add_server_arguments, require_server
from homerelay.house import said

EXIT_DONE = 0
EXIT_NOT_DONE = 1
# A command ends done, failed, or expired (waited longer than its time to live, never carried out).
FINISHED = (const.STATUS_DONE, const.STATUS_FAILED, const.STATUS_EXPIRED)
# Poll quickly at first (a loopback agent answers within milliseconds), then back off.
FIRST_POLL = 0.05
MAX_POLL = 0.5


def configure(parser):
    """Add this subcommand's arguments."""
    add_server_arguments(parser)
    # The words need no quotes: `homerelay send turn on the kitchen light`.
    parser.add_argument("text", nargs="+", metavar="TEXT",
                        help="what to do, e.g. turn on the kitchen light (quotes optional)")
    parser.add_argument("--timeout", type=float, default=15.0, metavar="S",
                        help="seconds to wait for the agent (default 15)")
    parser.add_argument("--json", action="store_true",
                        help="print the command as the server has it, as JSON on one line")


def run(args):
    """Run the subcommand."""
    from homerelay.http_client import RelayClient  # noqa: PLC0415 - keep `--help` light
    from homerelay.errors import RequestRejectedError  # noqa: PLC0415

    require_server(args)
    client = RelayClient(args.server, args.token)
    try:
        try:
            command = client.post_command(" ".join(args.text)).json()
        except RequestRejectedError as error:
            if error.status != 422:
                raise
            if args.json:
                print(json.dumps({"error": "not_understood", "detail": error.detail, **error.body}))
            else:
                print(f"not understood: {_with_suggestions(error.detail, error.body)}")
            return EXIT_NOT_DONE
        command = wait_for(client, command, args.timeout)
        kinds = {} if args.json or command.get("result") else _kinds(client)
    finally:
        client.close()
    print(json.dumps(command) if args.json else describe(command, kinds))
    return EXIT_DONE if command["status"] == const.STATUS_DONE else EXIT_NOT_DONE


def wait_for(client, command: dict, timeout: float) -> dict:
    """Poll the command until the agent has finished it or the timeout has passed."""
    deadline = time.monotonic() + timeout
    pause = FIRST_POLL
    while command["status"] not in FINISHED:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, MAX_POLL)
        command = client.get_command(command["id"])
    return command


def describe(command: dict, kinds: dict | None = None) -> str:
    """One line: ``done: kitchen light on``, ``failed: …``, ``expired: …`` or ``timed out: …``.

    `kinds` maps (room, device) to its kind, so that a door is said open or closed.
    """
    status = command["status"]
    if status == const.STATUS_DONE:
        return f"done: {command.get('result') or _actions(command, kinds or {})}"
    if status == const.STATUS_FAILED:
        return f"failed: {command.get('result') or 'the agent could not carry it out'}"
    if status == const.STATUS_EXPIRED:
        return "expired: the agent did not take it in time, so it was not carried out"
    return (f"timed out: the agent has not carried it out yet "
            f"(command {command['id']} is {status})")


def _actions(command: dict, kinds: dict) -> str:
    actions = command.get("actions") or []
    if not actions:
        return command.get("intent") or command.get("text", "")
    return ", ".join(said(a["room"], a["device"], a["action"], kinds.get((a["room"], a["device"])))
                     for a in actions)


def _kinds(client) -> dict:
    """(room, device) -> kind from the server's device list; empty when it cannot be had."""
    from homerelay.errors import HomerelayError  # noqa: PLC0415

    try:
        devices = client.get_devices().get("devices", [])
    except HomerelayError:
        return {}   # the command is done; only its wording suffers
    return {(d["room"], d["device"]): d.get("kind") for d in devices}


def _with_suggestions(detail: str, body: dict) -> str:
    suggestions = body.get("suggestions") or []
    if not suggestions:
        return detail
    quoted = " or ".join(f'"{s}"' for s in suggestions)
    return f"{detail} Try {quoted}."
