"""Manage homes: `homerelay home create NAME` prints its app and agent tokens once; `home list`."""

from __future__ import annotations

import json

from homerelay.cli.connection import add_database_arguments, database_option, json_option


def configure(parser):
    """Add this subcommand's arguments."""
    actions = parser.add_subparsers(dest="home_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a home with an app token and an agent token")
    create.add_argument("name", help="a name for the home, e.g. 'flat'")
    create.add_argument("--force", action="store_true",
                        help="create it even if a home of that name exists")
    listing = actions.add_parser("list", help="every home: id, name, working tokens")
    add_database_arguments(parser, json_help="print JSON")
    add_database_arguments(create, json_help='print {"home", "app_token", "agent_token"} on one line')
    add_database_arguments(listing, json_help="print one JSON object per home")


def run(args):
    """Create a home and print its tokens, or list the homes."""
    from homerelay.paths import database_url
    from homerelay.server.storage.db import Database
    from homerelay.server.services.homes import create_home, list_homes

    db = Database(database_url(database_option(args)))
    try:
        db.create_schema()
        if args.home_action == "list":
            return _print_homes(list_homes(db), json_option(args))
        tokens = create_home(db, args.name, unique=not args.force)
    finally:
        db.dispose()
    if json_option(args):
        print(json.dumps(tokens.to_dict()))
        return 0
    print(f"Home '{tokens.home}' created. Keep these tokens: they are shown only this once.")
    print(f"  app token   (phone / web app): {tokens.app_token}")
    print(f"  agent token (Raspberry Pi):    {tokens.agent_token}")
    return 0


def _print_homes(homes, as_json: bool) -> int:
    if as_json:
        for home in homes:
            print(json.dumps(home.to_dict()))
        return 0
    if not homes:
        print("No homes yet: homerelay home create NAME")
    for home in homes:
        print(f"{home.id:>4}  {home.name:<20} {home.app_tokens} app, {home.agent_tokens} agent "
              f"token(s)  created {home.created_at:%Y-%m-%d}")
    return 0
