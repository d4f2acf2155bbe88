"""Options shared by the subcommands, spelled and placed the same in each (`--server`, `--db`…)."""

from __future__ import annotations

import argparse
import os

from homerelay import const
from homerelay.errors import HomerelayError

DEFAULT_SCHEME = "http://"


def server_url(text: str) -> str:
    """argparse type: a server address; without a scheme, http:// is assumed."""
    text = text.strip().rstrip("/")
    if text and "://" not in text:
        return DEFAULT_SCHEME + text
    return text


def add_server_arguments(parser) -> None:
    """--server and --token, defaulting to HOMERELAY_SERVER / HOMERELAY_TOKEN."""
    parser.add_argument(
        "--server", type=server_url, default=os.environ.get(const.ENV_SERVER),
        help=f"relay server address, e.g. http://127.0.0.1:{const.DEFAULT_PORT} "
             f"(http:// is assumed without a scheme; env {const.ENV_SERVER})",
    )
    parser.add_argument("--token", default=os.environ.get(const.ENV_TOKEN),
                        help=f"access token (env {const.ENV_TOKEN})")


def require_server(args) -> None:
    """Refuse to go on without a server address and a token."""
    if not args.server or not args.token:
        raise HomerelayError(
            f"--server and --token are needed (or {const.ENV_SERVER} and {const.ENV_TOKEN})"
        )


def add_database_arguments(*parsers, json_help: str | None = None) -> None:
    """--db (and --json when `json_help` is given) on a command and on each of its actions.

    So that `homerelay token --db URL list` and `homerelay token list --db URL` both work. The
    defaults are suppressed: an action's unset option must not undo its command's.
    """
    for parser in parsers:
        parser.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                            help=f"database URL: sqlite:///path or postgresql://... "
                                 f"(default: env {const.ENV_DB}, else SQLite in the data folder)")
        if json_help:
            parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                                help=json_help)


def database_option(args) -> str | None:
    """The --db value given anywhere on the command line, or None."""
    return getattr(args, "db", None)


def json_option(args) -> bool:
    """True when --json was given anywhere on the command line."""
    return bool(getattr(args, "json", False))


def confidence(text: str) -> float:
    """argparse type: a confidence, 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:  # NaN is outside too
        raise argparse.ArgumentTypeError(f"{text} is outside 0..1")
    return value


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is outside 1..65535")
    return port
