"""Arguments shared by the commands that run or talk to a relay server (`--server`, `--token`, ports)."""

from __future__ import annotations

import argparse
import os

from homerelay import const
from homerelay.errors import HomerelayError


def add_server_arguments(parser) -> None:
    """--server and --token, defaulting to HOMERELAY_SERVER / HOMERELAY_TOKEN."""
    parser.add_argument(
        "--server", default=os.environ.get(const.ENV_SERVER),
        help=f"relay server address, e.g. http://127.0.0.1:{const.DEFAULT_PORT} "
             f"(env {const.ENV_SERVER})",
    )
    parser.add_argument("--token", default=os.environ.get(const.ENV_TOKEN),
                        help=f"access token (env {const.ENV_TOKEN})")


def require_server(args) -> None:
    """Refuse to go on without a server address and a token."""
    if not args.server or not args.token:
        raise HomerelayError(
            f"--server and --token are needed (or {const.ENV_SERVER} and {const.ENV_TOKEN})"
        )


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is outside 1..65535")
    return port
