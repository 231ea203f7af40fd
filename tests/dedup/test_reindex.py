from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from crossroads.dedup.index import key_rows, person_record
from crossroads.dedup.models import BatchJob, PersonMatchKey
from crossroads.dedup.reindex import index_status, reindex
from crossroads.people.models import Person
from tests.factories import dedup as df


def stored(db, person: Person) -> set[str]:
    return set(db.scalars(select(PersonMatchKey.key).where(PersonMatchKey.person_id == person.id)))


def expected(db, person: Person) -> set[str]:
    return {row.key for row in key_rows(person.id, person_record(df.loaded(db, person.id)))}


def outdate(db, a: Person, b: Person) -> None:
    """Keys as an older definition wrote them: one person lost some, another has one nobody computes today."""
    one = sorted(stored(db, a))[0]
    db.execute(delete(PersonMatchKey).where(PersonMatchKey.person_id == a.id, PersonMatchKey.key == one))
    db.add(PersonMatchKey(person_id=b.id, key="x:from-an-older-definition"))
    db.flush()


class TestIndexStatus:
    def test_keys_written_at_registration_are_up_to_date(self, db, cw):
        df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        status = index_status(db, sample=1_000)
        assert status.up_to_date and status.sampled == status.people >= 2

    def test_outdated_keys_are_found_in_the_sample(self, db, cw):
        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        outdate(db, a, b)
        status = index_status(db, sample=1_000)
        assert status.stale == 2 and not status.up_to_date

    def test_a_registry_no_larger_than_the_sample_is_checked_whole(self, db, cw):
        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        outdate(db, a, b)
        status = index_status(db, sample=db.scalar(select(func.count()).select_from(Person)))
        assert status.sampled == status.people and status.stale == status.people


class TestReindex:
    def test_rewrites_only_the_people_whose_keys_changed(self, db, cw):
        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        c = df.person(db, cw, df.STRANGER)
        outdate(db, a, b)
        result = reindex(db, chunk=1)
        # Only the difference is written: a's lost key back, b's key of an older definition gone.
        assert (result.changed, result.keys_removed, result.keys_added) == (2, 1, 1)
        assert stored(db, a) == expected(db, a) and stored(db, b) == expected(db, b)
        assert stored(db, c) == expected(db, c)
        assert index_status(db, sample=1_000).up_to_date

    def test_keys_computed_in_worker_processes_are_the_same(self, db, cw, monkeypatch):
        from crossroads.dedup import reindex as module

        people = [df.person(db, cw, df.ORIGINAL, given_name=g) for g in ("Mohammed", "Muhammad", "Ahmed", "Omar")]
        for p in people:
            db.execute(delete(PersonMatchKey).where(PersonMatchKey.person_id == p.id))
        monkeypatch.setattr(module, "POOL_FROM", 0)
        result = reindex(db, workers=2, chunk=3)
        assert result.changed == 4 and all(stored(db, p) == expected(db, p) for p in people)

    def test_a_second_run_writes_nothing(self, db, cw):
        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        outdate(db, a, b)
        reindex(db)
        again = reindex(db)
        assert (again.changed, again.keys_removed, again.keys_added) == (0, 0, 0)

    def test_a_merged_record_loses_its_keys(self, db, cw):
        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        b.merged_into_id = a.id
        db.flush()
        assert not index_status(db, sample=1_000).up_to_date
        keys_of_b = len(stored(db, b))
        result = reindex(db)
        assert (result.changed, result.keys_removed, result.keys_added) == (1, keys_of_b, 0)
        assert stored(db, b) == set() and stored(db, a) == expected(db, a)

    def test_is_audited_by_counts(self, db, cw):
        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        outdate(db, a, b)
        reindex(db)
        [event] = df.events(db, "dedup.reindex")
        assert event.details["changed"] == 2 and event.actor_role == "cli"


class Stop(Exception):
    """Stands for a kill between two chunks."""


def stop_after_first_chunk():
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise Stop

    return progress


class TestResume:
    def test_a_stopped_reindex_resumes_and_ends_as_one_uninterrupted(self, db, cw):
        people = [df.person(db, cw, df.ORIGINAL, given_name=g) for g in ("Mohammed", "Ahmed", "Karim", "Omar")]
        for a, b in zip(people, people[1:], strict=False):
            outdate(db, a, b)
        with pytest.raises(Stop):
            reindex(db, chunk=1, progress=stop_after_first_chunk())
        job = db.scalars(select(BatchJob).where(BatchJob.kind == "reindex")).one()
        assert job.finished_at is None and job.counts["people"] == 1
        result = reindex(db, chunk=1)
        assert result.resumed and result.people == db.scalar(select(func.count()).select_from(Person))
        assert all(stored(db, p) == expected(db, p) for p in people)
        assert index_status(db, sample=1_000).up_to_date
        # The totals count the stopped run's committed chunk too: every outdated person once.
        assert result.changed == 4 and result.keys_removed == result.keys_added == 3
        assert reindex(db, chunk=2).changed == 0
