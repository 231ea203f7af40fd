"""The database's working set read into memory before a benchmark times anything."""

from __future__ import annotations

import os
import time
from typing import Any


def warm_cache(engine: Any, tables: list[str]) -> dict[str, Any]:
    """Read these tables and their indexes into the operating system's cache before anything is timed.

    A registry in service has its working set in memory; right after bulk seeding, or after another large
    database was read, its pages may be on a disk that reads at tens of MB/s here, and the first queries
    would time the disk. PostgreSQL reads each relation with pg_prewarm (contrib; skipped, and said so, if
    the extension cannot be created); SQLite reads the database file through once.
    """
    from sqlalchemy import text

    started = time.perf_counter()
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        read = 0
        if path and path != ":memory:" and os.path.exists(path):
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    read += len(chunk)
        return {"warmed_bytes": read, "warm_seconds": round(time.perf_counter() - started, 1)}
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
    # A missing contrib package or no privilege: measure cold, and say so.
    except Exception as exc:
        return {"warmed_bytes": None, "warm_skipped": str(exc).splitlines()[0][:200]}
    blocks = 0
    with engine.connect() as conn:
        relations = conn.execute(text(
            "SELECT CAST(CAST(c.oid AS regclass) AS text) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i') AND "
            "(c.relname = ANY(:t) OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN "
            "(SELECT oid FROM pg_class WHERE relname = ANY(:t))))"), {"t": tables}).scalars().all()
        for name in relations:
            blocks += conn.execute(text("SELECT pg_prewarm(CAST(:r AS regclass), 'read')"), {"r": name}).scalar() or 0
        block_size = int(conn.execute(text("SHOW block_size")).scalar())
    return {"warmed_bytes": blocks * block_size, "warm_seconds": round(time.perf_counter() - started, 1)}
