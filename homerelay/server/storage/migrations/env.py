"""Alembic environment: runs homerelay's migrations on the connection the server hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from homerelay.server.storage import rate_limit_store  # noqa: F401  (its tables belong to the schema)
from homerelay.server.storage.db import normalize_url
from homerelay.server.storage.models import Base
from homerelay.paths import database_url

target_metadata = Base.metadata


def _run(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("homerelay migrations run online only (homerelay serve runs them at start-up)")

connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    # Run from the alembic command line: the database is `-x db=URL`, else $HOMERELAY_DB.
    url = normalize_url(context.get_x_argument(as_dictionary=True).get("db") or database_url())
    engine = create_engine(url)
    with engine.connect() as own_connection:
        _run(own_connection)
    engine.dispose()
