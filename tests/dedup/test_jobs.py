"""Starting a registry-wide job: a second start at the same moment joins the first instead of failing."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, update

from crossroads.db.base import utcnow
from crossroads.db.session import new_session
from crossroads.dedup.jobs import open_job
from crossroads.dedup.models import BatchJob


def test_a_start_beside_an_uncommitted_start_joins_its_job(scratch_engine):
    joined: dict[str, object] = {}

    def second_start() -> None:
        with new_session(scratch_engine) as session, session.begin():
            job, resumed = open_job(session, "reindex", {})
            joined.update(id=job.id, resumed=resumed)

    with new_session(scratch_engine) as first:
        first.begin()
        job, resumed = open_job(first, "reindex", {})
        assert not resumed
        other = threading.Thread(target=second_start)
        other.start()
        # Long enough for the second start to reach its insert (PostgreSQL) or wait for the write lock (SQLite).
        time.sleep(0.5)
        first.commit()
        other.join(timeout=30)
    assert joined == {"id": job.id, "resumed": False}
    with new_session(scratch_engine) as session, session.begin():
        unfinished = select(func.count()).select_from(BatchJob).where(BatchJob.kind == "reindex",
                                                                      BatchJob.finished_at.is_(None))
        assert session.scalar(unfinished) == 1
        session.execute(update(BatchJob).where(BatchJob.id == job.id).values(finished_at=utcnow()))
