"""Bringing the blocking index up to date with the key definitions of this version of Crossroads.

Registration writes a person's keys as keys.blocking_keys defines them at the time. When a release changes
that definition (a new kind of key, a different skeleton), the stored keys no longer match what a check
computes for a new record, and candidates are missed without any error. ``index_status`` recomputes the
keys of a sample of people and says how many differ; ``reindex`` recomputes everyone's and writes only the
keys that changed, so running it twice writes nothing the second time, and a reindex killed midway and run
again ends as one that was not.
"""

from __future__ import annotations

import os
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, tuple_
from sqlalchemy.orm import Session, selectinload

from crossroads.audit.service import record_event
from crossroads.dedup import jobs
from crossroads.dedup.engine.keys import PersonRecord, blocking_keys
from crossroads.dedup.index import person_record
from crossroads.dedup.models import PersonMatchKey
from crossroads.people.models import Person

CHUNK = 2_000
# Key pairs per DELETE statement: bound parameters stay well under SQLite's limit of 32,766.
DELETE_BATCH = 5_000
# Below this many people a pool of processes costs more to start than the keys take to compute.
POOL_FROM = 20_000


@dataclass(frozen=True)
class IndexStatus:
    people: int
    sampled: int
    stale: int
    merged_with_keys: int

    @property
    def up_to_date(self) -> bool:
        return self.stale == 0 and self.merged_with_keys == 0


@dataclass(frozen=True)
class ReindexResult:
    people: int
    changed: int
    keys_removed: int
    keys_added: int
    # Taken up after a reindex that was killed: the counts include that run's committed chunks.
    resumed: bool = False


def _keys_of(records: Sequence[PersonRecord]) -> list[set[str]]:
    return [blocking_keys(r) for r in records]


def _records(session: Session, ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, PersonRecord]]:
    people = session.scalars(select(Person).where(Person.id.in_(ids))
                             .options(selectinload(Person.names), selectinload(Person.documents)))
    # A merged record keeps no keys (index_person), so nothing finds it again.
    return [(p.id, person_record(p)) for p in people if p.merged_into_id is None]


def _versions(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    return {person_id: version for person_id, version in
            session.execute(select(Person.id, Person.version).where(Person.id.in_(ids)))}


def _stored(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    stored: dict[uuid.UUID, set[str]] = defaultdict(set)
    for person_id, key in session.execute(select(PersonMatchKey.person_id, PersonMatchKey.key)
                                          .where(PersonMatchKey.person_id.in_(ids))):
        stored[person_id].add(key)
    return stored


def spread_sample(conn: Session | Connection, count: int, *, seed: int = 0, where: Sequence[Any] = (),
                  tries: int | None = None) -> list[uuid.UUID]:
    """Up to `count` people spread over the registry, without reading every id: random points in id space,
    each the next person's id after it, wrapping around past the last (uuid4 ids are uniform, so every person
    is about equally likely). Drawing nearly all of a small registry takes many tries, as repeats pile up;
    `tries` bounds them (4 × count by default)."""
    rng = random.Random(seed)
    found: dict[uuid.UUID, None] = {}
    for _ in range(tries if tries is not None else count * 4):
        if len(found) >= count:
            break
        point = uuid.UUID(int=rng.getrandbits(128))
        person_id = conn.scalar(select(Person.id).where(Person.id >= point, *where).order_by(Person.id).limit(1))
        if person_id is None:  # past the last id: the first person's share is the gap before it, wrapped
            person_id = conn.scalar(select(Person.id).where(*where).order_by(Person.id).limit(1))
        if person_id is not None:
            found[person_id] = None
    return list(found)


def index_status(session: Session, *, sample: int = 200, seed: int = 0) -> IndexStatus:
    """How many of `sample` people drawn across the registry have stored keys that differ from today's."""
    people = session.scalar(select(func.count()).select_from(Person)) or 0
    # A registry no larger than the sample is checked whole: random points would draw the same few people
    # again and again before reaching every one of them.
    ids = (list(session.scalars(select(Person.id))) if people <= sample
           else spread_sample(session, sample, seed=seed, tries=sample * 2))
    records = _records(session, ids)
    stored = _stored(session, [i for i, _ in records])
    expected = _keys_of([r for _, r in records])
    stale = sum(1 for (person_id, _), keys in zip(records, expected, strict=True)
                if stored.get(person_id, set()) != keys)
    merged_with_keys = session.scalar(
        select(func.count(func.distinct(PersonMatchKey.person_id)))
        .join(Person, Person.id == PersonMatchKey.person_id).where(Person.merged_into_id.is_not(None))) or 0
    return IndexStatus(people=people, sampled=len(records), stale=stale, merged_with_keys=merged_with_keys)


def reindex(session: Session, *, chunk: int = CHUNK, progress: Callable[[int, int], None] | None = None,
            workers: int | None = None) -> ReindexResult:
    """Recompute every person's blocking keys and rewrite those that changed, committing a chunk of people at
    a time (dedup/jobs.py); a reindex killed midway is taken up where it stopped by the next one."""
    job, resumed = jobs.open_job(session, "reindex", {})
    session.commit()
    total = session.scalar(select(func.count()).select_from(Person)) or 0
    # Reads take SQLite's write lock too (BEGIN IMMEDIATE): each read ends as soon as it is done.
    session.commit()
    workers = workers or (os.cpu_count() or 1)
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 and total >= POOL_FROM else None
    done = job.counts.get("people", 0)
    if progress:
        progress(done, total)
    try:
        while True:
            with jobs.reading(session) as reader:
                mark, ids = jobs.next_chunk(reader, job.id, chunk)
                if not ids:
                    break
                records = _records(reader, ids)
                versions = _versions(reader, ids)
            # Computing keys holds no transaction, and so on SQLite no write lock.
            session.expunge_all()
            if pool is not None:
                # Keys are pure Python, a few hundred microseconds a person: split across the cores.
                step = max(1, len(records) // workers + 1)
                parts = [records[i:i + step] for i in range(0, len(records), step)]
                expected = [k for part in pool.map(_keys_of, [[r for _, r in p] for p in parts]) for k in part]
            else:
                expected = _keys_of([r for _, r in records])
            current = jobs.claim(session, job.id, mark)
            if current is None:
                session.rollback()
                continue
            # A person edited (or merged) since the read has had their keys rewritten by that change: theirs
            # are left as they are, not replaced by keys of what they were.
            edited = {person_id for person_id, version in _versions(session, ids).items()
                      if versions.get(person_id) != version}
            stored = _stored(session, ids)
            live = {person_id for person_id, _ in records}
            # Only the difference is written: a release that adds a kind of key leaves every existing key
            # in place, and rewriting all of them would cost a million-person registry gigabytes of writes.
            obsolete = [(person_id, k) for person_id in ids if person_id not in live and person_id not in edited
                        for k in stored.get(person_id, ())]
            missing: list[dict] = []
            touched = {person_id for person_id, _ in obsolete}
            for (person_id, _), keys in zip(records, expected, strict=True):
                have = stored.get(person_id, set())
                if person_id not in edited and have != keys:
                    touched.add(person_id)
                    obsolete.extend((person_id, k) for k in have - keys)
                    missing.extend({"person_id": person_id, "key": k} for k in sorted(keys - have))
            for i in range(0, len(obsolete), DELETE_BATCH):
                part = obsolete[i:i + DELETE_BATCH]
                session.execute(delete(PersonMatchKey).where(tuple_(PersonMatchKey.person_id, PersonMatchKey.key)
                                                             .in_(part)).execution_options(synchronize_session=False))
            if missing:
                session.execute(insert(PersonMatchKey), missing)
            jobs.advance(current, ids[-1], {"people": len(ids), "changed": len(touched),
                                            "keys_removed": len(obsolete), "keys_added": len(missing)})
            session.commit()
            done += len(ids)
            # Nothing read here is needed again: a bounded identity map keeps memory flat over a million.
            session.expunge_all()
            if progress:
                progress(done, total)
    finally:
        if pool is not None:
            pool.shutdown()
    counts = jobs.finish(session, job)
    result = ReindexResult(people=counts.get("people", 0), changed=counts.get("changed", 0),
                           keys_removed=counts.get("keys_removed", 0), keys_added=counts.get("keys_added", 0),
                           resumed=resumed)
    record_event(session, actor=None, action="dedup.reindex", entity_type="person_match_key", system_actor="cli",
                 details={"people": result.people, "changed": result.changed, "keys_removed": result.keys_removed,
                          "keys_added": result.keys_added, "job": job.id, "resumed": resumed})
    session.commit()
    return result
