"""Schema migrations at start-up: Alembic `upgrade head`, recognising databases made before migrations."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from homerelay.server.storage.db import Database

logger = logging.getLogger(__name__)
# Alembic narrates every plugin and step at INFO; `upgrade_schema` logs what happened in one line.
logging.getLogger("alembic").setLevel(logging.WARNING)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The revision whose schema equals what `create_all` made before migrations existed.
BASELINE_REVISION = "0001"
# A table every homerelay database has had from the start.
MARKER_TABLE = "homes"
VERSION_TABLE = "alembic_version"
# Several processes starting at once on one PostgreSQL database migrate one after another.
MIGRATION_LOCK_ID = 0x686F6D65


def alembic_config(connection: Connection | None = None):
    """An Alembic configuration for homerelay's migrations, optionally bound to a connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_schema(db: Database) -> None:
    """Upgrade the database to the newest schema in one transaction; create it if it is empty."""
    from alembic import command

    with db.engine.begin() as connection:
        if db.is_postgresql:
            # Released at commit; the next process then finds nothing left to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        config = alembic_config(connection)
        if is_unversioned(connection):
            logger.info("database made before migrations; marking it as revision %s", BASELINE_REVISION)
            command.stamp(config, BASELINE_REVISION)
        before = current_revision(connection)
        command.upgrade(config, "head")
        after = current_revision(connection)
    if before != after:
        logger.info("database schema upgraded from %s to %s", before or "nothing", after)


def is_unversioned(connection: Connection) -> bool:
    """True for a homerelay database that `create_all` made (tables, but no Alembic version)."""
    tables = set(inspect(connection).get_table_names())
    return MARKER_TABLE in tables and VERSION_TABLE not in tables


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for an unversioned one."""
    if VERSION_TABLE not in inspect(connection).get_table_names():
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def main(argv: list[str] | None = None) -> int:
    """`python -m homerelay.server.storage.migrate DATABASE_URL`: upgrade that database and exit.

    `homerelay serve` runs this in a short-lived process before its workers start, so that
    Alembic never loads into a worker that then holds a thousand long-polls.
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m homerelay.server.storage.migrate DATABASE_URL", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    db = Database(args[0])
    try:
        upgrade_schema(db)
    except Exception as error:  # one readable line for the operator, whatever the driver raised
        print(f"cannot prepare the database: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
