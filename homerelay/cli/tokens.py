"""List and revoke access tokens (`homerelay token list`, `homerelay token revoke ID`)."""

from __future__ import annotations


def configure(parser):
    """Add this subcommand's arguments."""
    parser.add_argument("--db", help="database URL (default: env HOMERELAY_DB, else SQLite in the data folder)")
    actions = parser.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="every token: id, home, role, first characters, state")
    revoke = actions.add_parser("revoke", help="revoke a token by id; it stops working at once")
    revoke.add_argument("token_id", type=int, help="the id that `homerelay token list` shows")


def run(args):
    """List or revoke."""
    from homerelay.paths import database_url
    from homerelay.server.storage.db import Database
    from homerelay.server.storage.migrate import upgrade_schema
    from homerelay.server.services.homes import list_tokens, revoke_token

    db = Database(database_url(args.db))
    try:
        upgrade_schema(db)
        if args.token_action == "revoke":
            info = revoke_token(db, args.token_id)
            print(f"token {info.id} ({info.role} of '{info.home}', {info.hint}…) is revoked")
            return 0
        for info in list_tokens(db):
            state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
            print(f"{info.id:>4}  {info.home:<20} {info.role:<6} {info.hint}…  {state}")
        return 0
    finally:
        db.dispose()
