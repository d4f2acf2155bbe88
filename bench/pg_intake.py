"""PostgreSQL intake: `POST /api/v1/commands` per second with 1, 2 and 4 server processes (limits off).

Run: `python -m bench.pg_intake --db postgresql://user:pw@127.0.0.1/db` (or set HOMERELAY_DB or
HOMERELAY_TEST_POSTGRES_URL). Uses wrk when it is installed, else a Python keep-alive client.
The database is used as it is: each run adds a home and its commands.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import HOST, bench_env, children, free_port, stop, wait_until_up
from bench.intake import TEXTS, Target, python_client, wrk_available, wrk_client

PROCESS_COUNTS = (1, 2, 4)


def create_home(database_url: str) -> str:
    """A home for the run (migrating the database first); returns its app token."""
    from homerelay.server.storage.db import Database
    from homerelay.server.services.homes import create_home as make_home

    db = Database(database_url)
    try:
        db.create_schema()
        return make_home(db, "pg intake bench").app_token
    finally:
        db.dispose()


def measure(database_url: str, processes: int, seconds: float, connections: int, workdir: Path, use_wrk: bool) -> dict:
    """Serve with `processes` gunicorn workers on PostgreSQL and post commands as fast as they are taken."""
    import json

    token = create_home(database_url)
    port = free_port()
    with open(workdir / f"server-{processes}.log", "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "homerelay", "serve", "--host", HOST, "--port", str(port),
             "--db", database_url, "--workers", str(processes)],
            env=bench_env(), stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://{HOST}:{port}"
        wait_until_up(f"{url}/healthz", server)
        target = Target(
            "homerelay-postgresql", f"{url}/api/v1/commands",
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            tuple(json.dumps({"text": text}).encode() for text in TEXTS), 201, tuple(children(server.pid)),
        )
        # Warm every worker up (imports, pools, first parse) before counting.
        python_client(target, threads=processes * 2, seconds=1.0)
        if use_wrk:
            rate = wrk_client(target, connections, seconds)
        else:
            rate = python_client(target, threads=connections, seconds=seconds)
    finally:
        stop(server)
    return {"processes": processes, "client": rate.client, "requests": rate.requests, "errors": rate.errors,
            "per_second": round(rate.per_second, 1)}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.pg_intake", description=__doc__)
    parser.add_argument("--db", default=os.environ.get("HOMERELAY_TEST_POSTGRES_URL") or os.environ.get("HOMERELAY_DB"),
                        help="PostgreSQL URL (default: $HOMERELAY_TEST_POSTGRES_URL, else $HOMERELAY_DB)")
    parser.add_argument("--seconds", type=float, default=8.0, help="per process count")
    parser.add_argument("--connections", type=int, default=16, help="concurrent client connections")
    parser.add_argument("--processes", type=int, nargs="+", default=list(PROCESS_COUNTS))
    parser.add_argument("--no-wrk", action="store_true", help="use the Python client even if wrk is installed")
    args = parser.parse_args(argv)
    if not args.db or not args.db.startswith(("postgresql", "postgres:")):
        parser.error("give a PostgreSQL database: --db postgresql://user:password@host/database")
    use_wrk = wrk_available() and not args.no_wrk
    print(f"intake of POST /api/v1/commands on PostgreSQL, HOMERELAY_LIMITS=off, {args.connections} connections, "
          f"{os.cpu_count()} CPU cores, client {'wrk' if use_wrk else 'python'}:")
    with tempfile.TemporaryDirectory(prefix="homerelay-pg-intake-") as workdir:
        for processes in args.processes:
            result = measure(args.db, processes, args.seconds, args.connections, Path(workdir), use_wrk)
            print(f"  {processes} process(es): {result['per_second']:>8} requests/s "
                  f"({result['requests']} requests, {result['errors']} errors)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
