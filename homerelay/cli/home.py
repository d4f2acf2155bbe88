"""Manage homes: `homerelay home create NAME` prints its app and agent tokens once."""

from __future__ import annotations

import json


def configure(parser):
    """Add this subcommand's arguments."""
    actions = parser.add_subparsers(dest="home_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a home with an app token and an agent token")
    create.add_argument("name", help="a name for the home, e.g. 'flat'")
    create.add_argument("--db", help="database URL (default: env HOMERELAY_DB, else SQLite in the data folder)")
    create.add_argument("--json", action="store_true", help='print {"home", "app_token", "agent_token"} on one line')


def run(args):
    """Create the home and print its tokens."""
    from homerelay.paths import database_url
    from homerelay.server.storage.db import Database
    from homerelay.server.storage.migrate import upgrade_schema
    from homerelay.server.services.homes import create_home

    db = Database(database_url(args.db))
    try:
        upgrade_schema(db)
        tokens = create_home(db, args.name)
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(tokens.to_dict()))
        return 0
    print(f"Home '{tokens.home}' created. Keep these tokens: they are shown only this once.")
    print(f"  app token   (phone / web app): {tokens.app_token}")
    print(f"  agent token (Raspberry Pi):    {tokens.agent_token}")
    return 0
