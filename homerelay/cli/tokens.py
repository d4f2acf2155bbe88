"""Issue, list and revoke access tokens (`homerelay token create|list|revoke`)."""

from __future__ import annotations

import json

from homerelay import const
from homerelay.cli.connection import add_database_arguments, database_option, json_option


def configure(parser):
    """Add this subcommand's arguments."""
    actions = parser.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="a new token for an existing home (one per phone)")
    create.add_argument("home", metavar="HOME", help="the home's name, or its id")
    create.add_argument("--role", required=True, choices=const.ROLES,
                        help="app (a phone, the web app) or agent (the Raspberry Pi)")
    create.add_argument("--name", help="what the token is for, e.g. \"anna's phone\"")
    listing = actions.add_parser("list", help="every token: id, home, role, name, first characters, state")
    revoke = actions.add_parser("revoke", help="revoke a token by id; it stops working at once")
    revoke.add_argument("token_id", type=int, help="the id that `homerelay token list` shows")
    add_database_arguments(parser, json_help="print JSON")
    add_database_arguments(create, json_help='print {"id", "home", "role", "name", "token"}')
    add_database_arguments(listing, json_help="print one JSON object per token")
    add_database_arguments(revoke, json_help="print the revoked token as JSON")


def run(args):
    """Create, list or revoke."""
    from homerelay.paths import database_url
    from homerelay.server.storage.db import Database
    from homerelay.server.services.homes import find_home, issue_token, list_tokens, revoke_token

    as_json = json_option(args)
    db = Database(database_url(database_option(args)))
    try:
        db.create_schema()
        if args.token_action == "create":
            issued = issue_token(db, find_home(db, args.home).id, args.role, args.name)
            if as_json:
                print(json.dumps(issued.to_dict()))
            else:
                named = f" ({issued.name})" if issued.name else ""
                print(f"New {issued.role} token {issued.id}{named} for '{issued.home}'. "
                      "Keep it: it is shown only this once.")
                print(f"  {issued.token}")
            return 0
        if args.token_action == "revoke":
            info = revoke_token(db, args.token_id)
            if as_json:
                print(json.dumps(_token_dict(info)))
            else:
                print(f"token {info.id} ({info.role} of '{info.home}', {info.hint}…) is revoked")
            return 0
        for info in list_tokens(db):
            if as_json:
                print(json.dumps(_token_dict(info)))
                continue
            state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
            print(f"{info.id:>4}  {info.home:<20} {info.role:<6} {info.name or '-':<16} "
                  f"{info.hint}…  {state}")
        return 0
    finally:
        db.dispose()


def _token_dict(info) -> dict:
    return {"id": info.id, "home": info.home, "role": info.role, "name": info.name,
            "hint": info.hint, "created_at": info.created_at.isoformat(),
            "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None}
