"""Run the relay server (production WSGI server, not Flask's development server)."""

from __future__ import annotations

from homerelay.cli.connection import add_database_arguments, database_option, port_number
from homerelay.const import DEFAULT_PORT


def configure(parser):
    """Add this subcommand's arguments."""
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: every interface)")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    add_database_arguments(parser)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (one per CPU core at most)")


def run(args):
    """Serve until stopped."""
    from homerelay.paths import database_url
    from homerelay.server.serving import serve

    serve(args.host, args.port, database_url(database_option(args)), args.workers)
    return 0
