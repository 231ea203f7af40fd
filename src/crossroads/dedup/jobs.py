"""Registry-wide jobs that commit a chunk of people at a time and resume where a killed run stopped.

A job walks the people in id order, a chunk at a time, in three steps. It reads what the chunk needs and ends
that short transaction; computes (keys, scores) holding no transaction at all; then writes in a second short
transaction that locks the job's row, checks that its high-water mark (the last id done) has not moved since
the read, writes the chunk's changes, moves the mark and adds its counts. The chunk's writes and its
checkpoint commit together or not at all, so a kill loses at most the chunk in hand and the next start takes
up the unfinished job after its mark; a mark that moved means another process did the chunk meanwhile, and
this one drops its copy. The work of a chunk is idempotent (writes only the difference, or queues pairs that
a second pass leaves as they are), which is what makes redoing it harmless.

On SQLite, where every writing transaction takes the one write lock from its start, a chunk holds the lock
only for its reads and its writes, never for the computing between them: web requests write beside a job.
People registered behind the mark while a job runs are not visited by it; registration indexes and checks
them itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crossroads.db.base import utcnow
from crossroads.db.session import new_session
from crossroads.dedup.models import BatchJob
from crossroads.kit.errors import Conflict
from crossroads.kit.i18n import N_
from crossroads.people.models import Person


def open_job(session: Session, kind: str, parameters: Mapping[str, Any]) -> tuple[BatchJob, bool]:
    """The unfinished job of this kind to resume, or a new one: (job, resumed). An unfinished job started with
    other parameters (another model) is closed as abandoned, since its chunks are not this run's."""
    job = _unfinished(session, kind)
    if job is not None and job.parameters == dict(parameters):
        return job, job.high_water is not None
    now = utcnow()
    if job is not None:
        job.finished_at, job.counts = now, {**job.counts, "abandoned": True}
        session.flush()
    job = BatchJob(kind=kind, parameters=dict(parameters), counts={}, started_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        # Another process started this kind of job between the read above and this insert (on PostgreSQL the
        # insert waits for its commit, then meets the unique index): run as part of that job, not beside it.
        started = _unfinished(session, kind)
        if started is None or started.parameters != dict(parameters):
            raise Conflict(N_("another run of this job started at the same moment; start again"),
                           field="job") from None
        return started, started.high_water is not None
    return job, False


def _unfinished(session: Session, kind: str) -> BatchJob | None:
    return session.scalar(select(BatchJob).where(BatchJob.kind == kind, BatchJob.finished_at.is_(None))
                          .with_for_update().execution_options(populate_existing=True))


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """Where a chunk's reads run: a read-only session of their own beside a job's session bound to an engine.

    A read-only transaction takes no write lock on SQLite (every other one begins IMMEDIATE), so loading a
    chunk's people lets web requests write meanwhile. A session bound to one connection (the tests' rolled-back
    transaction) reads on that connection, the only one that sees its rows.
    """
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        yield session
        session.commit()
        return
    with new_session(bind, read_only=True) as reader:
        yield reader
        # Ended by a commit (it wrote nothing), which leaves what it loaded readable; a rollback would expire it.
        reader.commit()


def next_chunk(session: Session, job_id: int, size: int, *where: ColumnElement[bool]
               ) -> tuple[uuid.UUID | None, list[uuid.UUID]]:
    """The job's mark and the ids of the next chunk after it (none left: an empty list), read without a lock."""
    mark = session.scalar(select(BatchJob.high_water).where(BatchJob.id == job_id)
                          .execution_options(populate_existing=True))
    query = select(Person.id).where(*where).order_by(Person.id).limit(size)
    if mark is not None:
        query = query.where(Person.id > mark)
    return mark, list(session.scalars(query))


def claim(session: Session, job_id: int, mark: uuid.UUID | None) -> BatchJob | None:
    """The job's row, locked for the chunk's writes, if its mark is still the one the chunk was read after."""
    job = session.scalars(select(BatchJob).where(BatchJob.id == job_id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    return job if job.high_water == mark else None


def advance(job: BatchJob, last: uuid.UUID, counts: Mapping[str, int]) -> None:
    job.high_water = last
    job.counts = {key: job.counts.get(key, 0) + counts.get(key, 0) for key in {*job.counts, *counts}}
    job.updated_at = utcnow()


def finish(session: Session, job: BatchJob) -> dict[str, Any]:
    """Close the job; its totals over every chunk, this run's and any killed run's before it."""
    job = session.scalars(select(BatchJob).where(BatchJob.id == job.id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    job.finished_at = utcnow()
    session.flush()
    return dict(job.counts)
