"""The engine over the registry itself: every person against those sharing a blocking key, into the review queue.

People are taken in id order, a chunk at a time, each chunk committed with the job's checkpoint
(dedup/jobs.py). A chunk's keys are looked up in ``person_match_keys``; keys so common that they would pair
hundreds of people (a frequent name without a year) are left out, as in the online check. Each pair is scored
once, from its smaller id, and queued idempotently: an open pair takes the newer score, a decided one keeps
its decision.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from crossroads.audit.service import record_event
from crossroads.dedup import jobs
from crossroads.dedup.engine.keys import features
from crossroads.dedup.engine.model import MatchModel
from crossroads.dedup.index import person_record
from crossroads.dedup.models import CandidateSource, PersonMatchKey
from crossroads.dedup.service import PER_KEY_LIMIT, THRESHOLD, active_model, queue_pairs
from crossroads.people.models import Person

CHUNK = 500


@dataclass(frozen=True)
class RunResult:
    people: int
    pairs_scored: int
    pairs_kept: int
    added: int
    updated: int
    model_version: str
    # Taken up after a run that was killed: the counts include that run's committed chunks.
    resumed: bool = False


# Keys per statement when asking which of a chunk's keys are too common: well under SQLite's bound parameters.
KEY_BATCH = 5_000


def _broad_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of these keys pair more people than the online check would look at.

    Asked per chunk, of the chunk's own keys, through the key index: counting every key of the registry at
    once took tens of seconds at a million people, all of it inside one transaction.
    """
    broad: set[str] = set()
    for i in range(0, len(keys), KEY_BATCH):
        broad.update(session.scalars(select(PersonMatchKey.key).where(PersonMatchKey.key.in_(keys[i:i + KEY_BATCH]))
                                     .group_by(PersonMatchKey.key).having(func.count() > PER_KEY_LIMIT)))
    return broad


def _pairs_of_chunk(session: Session, ids: list[uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    keys_of: dict[str, list[uuid.UUID]] = defaultdict(list)
    for person_id, key in session.execute(select(PersonMatchKey.person_id, PersonMatchKey.key)
                                          .where(PersonMatchKey.person_id.in_(ids))):
        keys_of[key].append(person_id)
    for key in _broad_keys(session, sorted(keys_of)):
        del keys_of[key]
    pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
    if not keys_of:
        return pairs
    wanted = sorted(keys_of)
    rows = [row for i in range(0, len(wanted), KEY_BATCH) for row in session.execute(
        select(PersonMatchKey.person_id, PersonMatchKey.key).where(PersonMatchKey.key.in_(wanted[i:i + KEY_BATCH])))]
    for other, key in rows:
        for person_id in keys_of[key]:
            # Each pair once: from its smaller id, whichever chunk holds the other.
            if other > person_id:
                pairs.add((person_id, other))
    return pairs


def run_registry(session: Session, *, model: MatchModel | None = None, chunk: int = CHUNK,
                 progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Score the whole registry through the blocking index and fill the review queue, committing a chunk of
    people at a time (dedup/jobs.py); a run killed midway is taken up where it stopped by the next one with
    the same model."""
    model = model or active_model(session)
    job, resumed = jobs.open_job(session, "run", {"model": model.version})
    session.commit()
    live = Person.merged_into_id.is_(None)
    total = session.scalar(select(func.count()).select_from(Person).where(live)) or 0
    # Reads take SQLite's write lock too (BEGIN IMMEDIATE): each read ends as soon as it is done.
    session.commit()
    done = job.counts.get("people", 0)
    if progress:
        progress(done, total)
    while True:
        with jobs.reading(session) as reader:
            mark, ids = jobs.next_chunk(reader, job.id, chunk, live)
            if not ids:
                break
            pairs = _pairs_of_chunk(reader, ids)
            involved = {p for pair in pairs for p in pair}
            loaded = list(reader.scalars(select(Person).where(Person.id.in_(list(involved)), live)
                                         .options(selectinload(Person.names), selectinload(Person.documents)))
                          ) if involved else []
        # Comparing names and scoring hold no transaction (the loaded people stay readable: sessions do not
        # expire on commit).
        people = {p.id: features(person_record(p)) for p in loaded}
        session.expunge_all()
        found = []
        scored = 0
        for a, b in pairs:
            if a in people and b in people:
                score = model.score(people[a], people[b])
                scored += 1
                if score.probability >= THRESHOLD:
                    found.append((a, b, score))
        current = jobs.claim(session, job.id, mark)
        if current is None:
            session.rollback()
            continue
        added, updated = queue_pairs(session, found, model=model, source=CandidateSource.BATCH)
        jobs.advance(current, ids[-1], {"people": len(ids), "pairs_scored": scored, "pairs_kept": len(found),
                                        "added": added, "updated": updated})
        session.commit()
        done += len(ids)
        # The scored people are not needed again: a bounded identity map keeps memory flat over a million.
        session.expunge_all()
        if progress:
            progress(done, total)
    counts = jobs.finish(session, job)
    result = RunResult(people=counts.get("people", 0), pairs_scored=counts.get("pairs_scored", 0),
                       pairs_kept=counts.get("pairs_kept", 0), added=counts.get("added", 0),
                       updated=counts.get("updated", 0), model_version=model.version, resumed=resumed)
    record_event(session, actor=None, action="dedup.run", entity_type="match_candidate", system_actor="cli",
                 details={"people": result.people, "pairs_scored": result.pairs_scored,
                          "pairs_kept": result.pairs_kept, "added": result.added, "updated": result.updated,
                          "model": model.version, "job": job.id, "resumed": resumed})
    session.commit()
    return result
