"""Send a command to the house, wait until the agent has carried it out, say what happened."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime

from homerelay import const
from homerelay.cli.connection import add_server_arguments, require_server
from homerelay.house import said

EXIT_DONE = 0
EXIT_NOT_DONE = 1
# Poll quickly at first (a loopback agent answers within milliseconds), then back off.
FIRST_POLL = 0.05
MAX_POLL = 0.5
CONFIRMATION_REQUIRED = "confirmation_required"
EXPIRES_HEADER = "X-Homerelay-Expires-At"
YES_WORDS = ("y", "yes")


def configure(parser):
    """Add this subcommand's arguments."""
    add_server_arguments(parser)
    # The words need no quotes: `homerelay send turn on the kitchen light`.
    parser.add_argument("text", nargs="+", metavar="TEXT",
                        help="what to do, e.g. turn on the kitchen light (quotes optional)")
    parser.add_argument("--timeout", type=float, default=15.0, metavar="S",
                        help="seconds to wait for the agent (default 15)")
    parser.add_argument("--yes", action="store_true",
                        help="say yes to what asks first (a garage door, an oven, terminate)")
    parser.add_argument("--json", action="store_true",
                        help="print the command as the server has it, as JSON on one line")


def run(args):
    """Run the subcommand."""
    from homerelay.http_client import RelayClient  # noqa: PLC0415 - keep `--help` light
    from homerelay.errors import RequestRejectedError  # noqa: PLC0415

    require_server(args)
    client = RelayClient(args.server, args.token)
    text = " ".join(args.text)
    try:
        try:
            response = post(client, text, args)
        except RequestRejectedError as error:
            if error.status != 422:
                raise
            if args.json:
                print(json.dumps({"error": "not_understood", "detail": error.detail, **error.body}))
            else:
                print(f"not understood: {_with_suggestions(error.detail, error.body)}")
            return EXIT_NOT_DONE
        if response is None:
            return EXIT_NOT_DONE
        body = response.json()
        if "answer" in body:
            print(json.dumps(body) if args.json else body["answer"])
            return EXIT_DONE
        offline = offline_notice(client, response.headers.get(EXPIRES_HEADER))
        if offline is not None:
            print(json.dumps(body) if args.json else offline)
            return EXIT_NOT_DONE
        command = wait_for(client, body, args.timeout)
        kinds = {} if args.json or command.get("result") else _kinds(client)
    finally:
        client.close()
    print(json.dumps(command) if args.json else describe(command, kinds))
    return EXIT_DONE if command["status"] == const.STATUS_DONE else EXIT_NOT_DONE


def post(client, text: str, args):
    """Post the command; on a 409 ask on the terminal (or take --yes) and post it again confirmed.

    Returns the response, or None when it was not sent (declined, or no terminal to ask on).
    """
    from homerelay.errors import RequestRejectedError  # noqa: PLC0415

    try:
        return client.post_command(text, confirm=args.yes)
    except RequestRejectedError as error:
        if error.status != 409 or (error.body or {}).get("error") != CONFIRMATION_REQUIRED:
            raise
        if not sys.stdin.isatty():
            print(f"needs a yes: {error.detail} Run it again with --yes to go ahead.")
            return None
        if not ask(error.detail):
            print("not sent")
            return None
        return client.post_command(text, confirm=True)


def ask(detail: str) -> bool:
    """Ask on the terminal: "Open the garage door? [y/N]"; True for yes."""
    prefix = "This will "
    if detail.startswith(prefix):
        what = detail[len(prefix):].rstrip(".")
        question = f"{what[:1].upper()}{what[1:]}?"
    else:
        print(detail)
        question = "Go ahead?"
    try:
        reply = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return reply.strip().lower() in YES_WORDS


def offline_notice(client, expires_at: str | None) -> str | None:
    """The line to print when the server says the Pi is offline; None when it is online (or cannot say)."""
    from homerelay.errors import HomerelayError  # noqa: PLC0415

    try:
        presence = client.get_agent()
    except HomerelayError:
        return None   # an older server without presence: wait as before
    if presence.get("online", True):
        return None
    notice = "the Pi is offline; the command is queued and will run when it is back"
    if expires_at:
        moment = datetime.fromisoformat(expires_at.replace("Z", "+00:00")).astimezone()
        notice += f" (or expire at {moment:%H:%M})"
    return notice


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


def describe(command: dict, kinds: dict | None = None) -> str:
    """One line: ``done: kitchen light on``, ``failed: …``, ``expired: …``, ``replaced: …`` or ``timed out: …``.

    `kinds` maps (room, device) to its kind, so that a door is said open or closed.
    """
    status = command["status"]
    if status == const.STATUS_DONE:
        return f"done: {command.get('result') or _actions(command, kinds or {})}"
    if status == const.STATUS_FAILED:
        return f"failed: {command.get('result') or 'the agent could not carry it out'}"
    if status == const.STATUS_EXPIRED:
        return "expired: the agent did not take it in time, so it was not carried out"
    if status in (const.STATUS_REPLACED, const.STATUS_REJECTED):
        return f"{status}: {command.get('result')}"
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
