"""The `--server` and `--token` arguments shared by the commands that talk to a relay server."""

from __future__ import annotations

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
