"""pgbench on the benchmarked PostgreSQL database: what the database alone allows, for a benchmark to compare to."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import BenchError

PGBENCH_TABLE = "bench_pgbench_inserts"


def run_script(database_url: str, clients: int, seconds: float, script: str, setup: list[str],
               teardown: list[str]) -> tuple[float, int]:
    """Run one pgbench script (transactions per second, duration) between setup and teardown statements."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from crossroads.db.session import make_engine

    binary = shutil.which("pgbench")
    if binary is None:
        raise BenchError("pgbench is not on PATH (Debian: apt-get install postgresql-client)")
    url = make_url(database_url)
    engine = make_engine(database_url)
    path: Path | None = None
    try:
        with engine.begin() as conn:
            for statement in teardown + setup:
                conn.execute(text(statement))
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
            handle.write(script)
        path = Path(handle.name)
        duration = max(1, round(seconds))
        cmd = [binary, "-n", "-c", str(clients), "-j", str(min(2, clients)), "-T", str(duration), "-f", str(path),
               "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
               url.database or "postgres"]
        env = dict(os.environ)
        if url.password:
            env["PGPASSWORD"] = url.password
        completed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 120)  # noqa: S603
        match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", completed.stdout)
        if completed.returncode != 0 or match is None:
            raise BenchError(f"pgbench failed ({completed.returncode}): {completed.stderr.strip()[-500:]}")
        return float(match.group(1)), duration
    finally:
        if path is not None:
            path.unlink(missing_ok=True)
        with engine.begin() as conn:
            for statement in teardown:
                conn.execute(text(statement))
        engine.dispose()


def run_pgbench(database_url: str, clients: int, seconds: float) -> dict[str, Any]:
    """pgbench: one single-row INSERT per transaction into a throwaway table, on the benchmarked database."""
    tps, duration = run_script(
        database_url, clients, seconds,
        f"INSERT INTO {PGBENCH_TABLE} (client_id) VALUES (:client_id);\n",  # noqa: S608 - a constant
        setup=[f"CREATE TABLE {PGBENCH_TABLE} (id bigserial PRIMARY KEY, client_id integer NOT NULL,"
               " created_at timestamptz NOT NULL DEFAULT now())"],
        teardown=[f"DROP TABLE IF EXISTS {PGBENCH_TABLE}"])
    return {"pgbench_inserts_per_s": round(tps, 1), "pgbench_seconds": duration}
