"""Runs the app under gunicorn with gevent workers, so one process holds many long-polls at once.

Each waiting agent or open event stream is one greenlet parked on the EventHub, holding a
socket but no database connection; a database connection is taken only for the instant of
a transaction, so one worker holds a thousand waiting agents. Several workers (`--workers`, one
per CPU core at most) need PostgreSQL, where they share events by LISTEN/NOTIFY and limits in its
tables; on SQLite the server runs one process.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import resource
import signal
import subprocess
import sys

from gunicorn.app.base import BaseApplication

from homerelay.errors import HomerelayError

logger = logging.getLogger(__name__)

# Each waiting agent or open event stream is one greenlet; this caps them per process.
WORKER_CONNECTIONS = 4000
# Sockets per process beyond the connections: database, log files, the listener.
SPARE_FILES = 256
SQLITE_ONE_PROCESS = (
    "on SQLite the server runs one process (it holds 1,000 waiting agents); "
    "use PostgreSQL (--db postgresql://...) for several processes"
)


class RelayServer(BaseApplication):
    """gunicorn serving `create_app()`; the app is built inside each worker, after gevent patched it."""

    def __init__(self, options: dict, app_config: dict) -> None:
        self.options = options
        self.app_config = app_config
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from homerelay.server import create_app

        app = create_app(self.app_config)
        # Everything loaded so far (Flask, SQLAlchemy, pydantic, the app) lives as long as the
        # worker: keep it out of the garbage collector's full passes, which would otherwise walk
        # it every few thousand requests and stall every waiting request for a tenth of a second.
        gc.freeze()
        return app


def serve(host: str, port: int, database_url: str, workers: int = 1) -> None:
    """Run the server until it is stopped (SIGINT/SIGTERM)."""
    if workers < 1:
        raise HomerelayError(f"--workers must be at least 1, not {workers}")
    if workers > 1 and database_url.startswith("sqlite"):
        raise HomerelayError(SQLITE_ONE_PROCESS)
    from homerelay.server import config as server_config

    migrate_before_start(database_url)
    # The schema is ready: workers skip the migration and never load Alembic.
    app_config = {
        **server_config.defaults(),
        "DATABASE_URL": database_url,
        "MIGRATE_ON_START": False,
    }
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        # gunicorn's gevent worker, with a deadline on each request's headers (slow clients).
        "worker_class": "homerelay.server.gevent_worker.HeaderDeadlineWorker",
        "worker_connections": WORKER_CONNECTIONS,
        # Long-polls last up to 60 s; keep-alive lets an agent reuse its connection.
        "keepalive": 75,
        "graceful_timeout": 5,
        "timeout": 90,
        # No access log: URLs may carry a token (`/t/<token>/`, `?token=`).
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "homerelay",
        "control_socket_disable": True,
        "worker_exit": close_worker_app,
        "post_worker_init": leave_interrupt_to_master,
    }
    warn_if_trusting_beyond_loopback(host, app_config["TRUSTED_PROXIES"])
    raise_open_file_limit(WORKER_CONNECTIONS + SPARE_FILES)
    logger.info("homerelay server on http://%s:%s (database %s)", host, port, _redact(database_url))
    RelayServer(options, app_config).run()


def close_worker_app(_arbiter, worker) -> None:
    """gunicorn's worker_exit hook: stop the worker's LISTEN/NOTIFY bridge and close its pool."""
    app = getattr(worker, "wsgi", None)
    if app is not None:
        from homerelay.server.relay import current_relay

        try:
            with app.app_context():
                current_relay().close()
        except Exception:
            # The worker is leaving anyway; PostgreSQL drops its connections with the process.
            logger.exception("could not close the worker's relay cleanly")


def leave_interrupt_to_master(_worker) -> None:
    """gunicorn's post_worker_init hook: a worker ignores SIGINT and waits for the master's stop.

    Ctrl-C in a terminal reaches every process of the group. The master then stops each worker
    itself; a worker that also acted on the SIGINT would exit twice, and gevent would print the
    second exit as a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def migrate_before_start(database_url: str) -> None:
    """Bring the schema up to date in a short-lived process (see `homerelay.server.storage.migrate.main`)."""
    result = subprocess.run(
        [sys.executable, "-m", "homerelay.server.storage.migrate", database_url], capture_output=True, text=True
    )
    if result.returncode != 0:
        last_line = (result.stderr.strip().splitlines() or ["the migration failed"])[-1]
        raise HomerelayError(last_line)


def warn_if_trusting_beyond_loopback(host: str, trusted_proxies: int) -> None:
    """One warning when the server believes X-Forwarded-For while clients can reach it directly."""
    if trusted_proxies <= 0 or _is_loopback(host):
        return
    logger.warning(
        "HOMERELAY_TRUSTED_PROXIES=%s while listening on %s: a client that reaches the server directly can "
        "forge its address (and slip past the sign-in throttle); listen on 127.0.0.1 behind the proxy, or set 0",
        trusted_proxies, host,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve beyond loopback


def raise_open_file_limit(wanted: int) -> int:
    """Raise this process's soft limit on open files towards `wanted` (up to the hard limit); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < wanted:
        logger.warning("open-file limit is %s; fewer than %s agents can wait at once (raise LimitNOFILE)", soft, wanted)
    return soft


def _redact(url: str) -> str:
    """The database URL without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, place = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{place}"
    return url
