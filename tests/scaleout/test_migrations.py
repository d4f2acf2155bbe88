"""Alembic migrations: a new database, a database from before migrations, and the models kept in step."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from homerelay.server import create_app
from homerelay.server.services.homes import hash_token
from homerelay.server.storage.db import Database, libpq_url, normalize_url
from homerelay.server.storage.migrate import alembic_config, current_revision
from homerelay.server.storage.models import Base
from homerelay.server.storage import rate_limit_store  # noqa: F401  (its tables are part of the schema)
from tests.support.homes import relay_of

FIXTURES = Path(__file__).parent / "fixtures"
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
APP_TOKEN, AGENT_TOKEN = "a" * 43, "b" * 43


def _revision(url: str) -> str | None:
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    finally:
        engine.dispose()


def _make_pre_migration_database(url: str) -> None:
    """The schema `create_all` made before migrations, with a home and a queued command in it."""
    db = Database(url)
    dialect = "postgresql" if db.is_postgresql else "sqlite"
    statements = [part.strip() for part in (FIXTURES / f"pre_alembic_{dialect}.sql").read_text().split(";")]
    now = "2026-01-01 12:00:00+00:00"
    with db.engine.begin() as connection:
        for statement in statements:
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
            if body:
                connection.exec_driver_sql(body)
        connection.execute(text("INSERT INTO homes (id, name, created_at) VALUES (1, 'old home', :now)"), {"now": now})
        for token_id, role, token in ((1, "app", APP_TOKEN), (2, "agent", AGENT_TOKEN)):
            connection.execute(
                text("INSERT INTO tokens (id, home_id, role, token_hash, hint, created_at) VALUES (:id, 1, :role, :hash, 'x', :now)"),
                {"id": token_id, "role": role, "hash": hash_token(token), "now": now},
            )
    db.dispose()


def test_postgresql_urls_go_through_psycopg_3():
    assert normalize_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgres://u@h:5433/db") == "postgresql+psycopg://u@h:5433/db"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert libpq_url("postgresql://u:p%40ss@h/db?options=-csearch_path%3Ds") == "postgresql://u:p%40ss@h/db?options=-csearch_path%3Ds"
    assert Database("postgresql://u@127.0.0.1:1/db").engine.dialect.driver == "psycopg"


def test_a_new_database_is_migrated_to_head_and_matches_the_models(empty_database_url):
    app = create_app({"DATABASE_URL": empty_database_url, "LIMITS_ENABLED": False})
    relay_of(app).close()
    assert _revision(empty_database_url) == HEAD
    engine = create_engine(normalize_url(empty_database_url))
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    # A model changed without a migration shows up here: add one (alembic revision --autogenerate).
    assert differences == []


def test_a_database_from_before_migrations_is_stamped_and_upgraded_in_place(empty_database_url):
    _make_pre_migration_database(empty_database_url)
    assert _revision(empty_database_url) is None

    app = create_app({"DATABASE_URL": empty_database_url, "LIMITS_ENABLED": False})
    try:
        assert _revision(empty_database_url) == HEAD
        client = app.test_client()
        posted = client.post("/api/v1/commands", json={"confirm": True, "text": "open the garage door"},
                             headers={"Authorization": f"Bearer {APP_TOKEN}"})
        assert posted.status_code == 201
        delivered = client.get("/api/v1/agent/next?wait=0", headers={"Authorization": f"Bearer {AGENT_TOKEN}"})
        assert delivered.get_json()["id"] == posted.get_json()["id"]
    finally:
        relay_of(app).close()
    # Starting again on a database at head changes nothing.
    again = create_app({"DATABASE_URL": empty_database_url, "LIMITS_ENABLED": False})
    relay_of(again).close()
    assert _revision(empty_database_url) == HEAD


@contextmanager
def _migrating_from_before_migrations(url: str):
    """A connection to a pre-migration database stamped 0001, and alembic's command module."""
    from alembic import command

    _make_pre_migration_database(url)
    engine = create_engine(normalize_url(url))
    try:
        with engine.begin() as connection:
            config = alembic_config(connection)
            command.stamp(config, "0001")
            yield connection, config, command
    finally:
        engine.dispose()


def _fails(connection, statement: str) -> None:
    with pytest.raises(Exception):
        with connection.begin_nested():
            connection.execute(text(statement))


def test_the_limits_tables_come_from_the_second_migration(empty_database_url):
    with _migrating_from_before_migrations(empty_database_url) as (connection, config, command):
        command.upgrade(config, "head")
        assert connection.execute(text("SELECT count(*) FROM rate_limit_hits")).scalar() == 0
        command.downgrade(config, "0001")
        _fails(connection, "SELECT count(*) FROM rate_limit_hits")
        assert connection.execute(text("SELECT name FROM homes")).scalar() == "old home"


def test_the_third_migration_names_tokens_and_old_tokens_keep_working(empty_database_url):
    with _migrating_from_before_migrations(empty_database_url) as (connection, config, command):
        command.upgrade(config, "0003")
        names = connection.execute(text("SELECT id, name FROM tokens ORDER BY id")).all()
        assert [tuple(row) for row in names] == [(1, None), (2, None)]
        connection.execute(text("UPDATE tokens SET name = 'anna''s phone' WHERE id = 1"))
        command.downgrade(config, "0002")
        _fails(connection, "SELECT name FROM tokens")
        assert connection.execute(text("SELECT count(*) FROM tokens")).scalar() == 2
    app = create_app({"DATABASE_URL": empty_database_url, "LIMITS_ENABLED": False})
    try:
        # Upgraded again at start: a token from before signs in as it did.
        client = app.test_client()
        assert client.get("/api/v1/commands", headers={"Authorization": f"Bearer {APP_TOKEN}"}).status_code == 200
    finally:
        app.extensions["homerelay"].close()
