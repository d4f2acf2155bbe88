"""Fixtures shared by every test: a fresh app on a temporary database, clients, a live server."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from homerelay.server import create_app
import tests.support.schemathesis_wav  # noqa: F401  (registers the audio/wav serializer for every Schemathesis run)
from tests.support.availability import missing
from tests.support.homes import add_home, relay_of
from tests.support.servers import ThreadServer

# A PostgreSQL database the tests may use, e.g. postgresql://homerelay:pw@127.0.0.1/homerelay_test.
# Tests only ever touch a schema of their own in it (one per test run, dropped at the end).
POSTGRES_URL_ENV = "HOMERELAY_TEST_POSTGRES_URL"
TEST_SCHEMA = f"homerelay_test_{os.getpid()}"
# Tests in these folders run on SQLite and on PostgreSQL (server behaviour that touches storage).
BOTH_DATABASES_DIRS = ("server", "scaleout")
TESTS_DIR = Path(__file__).parent


def pytest_generate_tests(metafunc):
    """Run the server's tests on both databases; everything else on SQLite only."""
    folder = Path(metafunc.definition.path).relative_to(TESTS_DIR).parts[0]
    for name in ("database_url", "empty_database_url"):
        if name in metafunc.fixturenames and folder in BOTH_DATABASES_DIRS:
            metafunc.parametrize(name, ["sqlite", "postgresql"], indirect=True)


def postgres_test_url(empty: bool = False) -> str:
    """The PostgreSQL test database with no rows (no tables at all if `empty`); skips (fails on CI) without one."""
    base = os.environ.get(POSTGRES_URL_ENV)
    if not base:
        missing("PostgreSQL", f"set {POSTGRES_URL_ENV}=postgresql://user:password@host/database; .ci/run starts one")
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, make_url, text

    from homerelay.server.storage.db import normalize_url
    from homerelay.server.storage.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = create_engine(normalize_url(base))
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            tables = connection.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"), {"schema": TEST_SCHEMA}
            ).all()
            at_head = "alembic_version" in tables and connection.scalar(
                text(f"SELECT version_num FROM {TEST_SCHEMA}.alembic_version")
            ) == head
            if at_head and not empty:
                # Emptying the tables is much faster than migrating a new schema for every test.
                names = ", ".join(f"{TEST_SCHEMA}.{table}" for table in tables if table != "alembic_version")
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {TEST_SCHEMA} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA {TEST_SCHEMA}"))
                _schema_made.append(True)
    finally:
        engine.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={TEST_SCHEMA}"})
    return url.render_as_string(hide_password=False)


def pytest_sessionfinish(session):
    """Drop this run's PostgreSQL schema, if it made one."""
    base = os.environ.get(POSTGRES_URL_ENV)
    if not base or not _schema_made:
        return
    from sqlalchemy import create_engine, text

    from homerelay.server.storage.db import normalize_url

    engine = create_engine(normalize_url(base))
    try:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {TEST_SCHEMA} CASCADE"))
    finally:
        engine.dispose()


_schema_made: list[bool] = []


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """This test's empty database: a SQLite file in `tmp_path`, or PostgreSQL where parametrized."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return postgres_test_url()
    return f"sqlite:///{tmp_path / 'homerelay.db'}"


@pytest.fixture
def empty_database_url(request, tmp_path) -> str:
    """A database without any table (for migration tests): SQLite, or PostgreSQL where parametrized."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return postgres_test_url(empty=True)
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture(scope="module")
def postgres_url() -> str:
    """The PostgreSQL test database, rows emptied, shared by a module (several server processes on it)."""
    return postgres_test_url()


def app_config(tmp_path, database_url: str | None = None, **overrides) -> dict:
    """The test configuration: this test's database (a SQLite file by default), limits off unless asked."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'homerelay.db'}",
        "LIMITS_ENABLED": False,
        **overrides,
    }


@pytest.fixture
def make_app(tmp_path, database_url):
    """Build apps on this test's database, with settings overridden; all closed afterwards."""
    built = []

    def build(**overrides):
        application = create_app(app_config(tmp_path, database_url, **overrides))
        built.append(application)
        return application

    yield build
    for application in built:
        relay_of(application).close()


@dataclass
class SignedInHome:
    """An app with its own settings, one home in it, a test client, and both roles' headers."""

    app: object
    client: object
    app_headers: dict
    agent_headers: dict


@pytest.fixture
def make_home(make_app):
    """Build an app with settings overridden and a home in it, ready to call as app or agent."""

    def build(**overrides) -> SignedInHome:
        application = make_app(**overrides)
        tokens = add_home(application)
        return SignedInHome(
            application,
            application.test_client(),
            {"Authorization": f"Bearer {tokens.app_token}"},
            {"Authorization": f"Bearer {tokens.agent_token}"},
        )

    return build


@pytest.fixture
def app(make_app):
    """A fresh server app on its own database file."""
    return make_app()


@pytest.fixture
def home(app):
    """A home with its app and agent tokens."""
    return add_home(app)


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def app_headers(home):
    """Headers that sign in as the home's app."""
    return {"Authorization": f"Bearer {home.app_token}"}


@pytest.fixture
def agent_headers(home):
    """Headers that sign in as the home's agent."""
    return {"Authorization": f"Bearer {home.agent_token}"}


@pytest.fixture
def live_server(app, home):
    """A real HTTP server for the app (agent and end-to-end tests)."""
    server = ThreadServer(app, home)
    yield server
    server.stop()
