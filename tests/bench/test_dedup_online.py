"""The online duplicate-check benchmark at a tiny size: bulk seeding writes what registration would, only the
missing people, and the timed checks report their figures."""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bench.dedup_online import count_bench_people, seed_people, time_checks
from bench.harness.seed import ensure_world
from crossroads.db.session import make_engine
from crossroads.dedup.index import key_rows, person_record
from crossroads.dedup.models import PersonMatchKey
from crossroads.people.models import Person
from crossroads.schema import upgrade_database


def test_seeding_writes_the_keys_registration_would_and_only_the_missing_people(bench_url: str):
    engine = make_engine(bench_url)
    try:
        upgrade_database(engine)
        first = seed_people(engine, 150, seed=3)
        assert (first["existing"], first["added"], first["total"]) == (0, 150, 150)
        again = seed_people(engine, 260, seed=3)
        assert (again["existing"], again["added"], again["total"]) == (150, 110, 260)
        world = ensure_world(engine)
        assert count_bench_people(engine, world) == 260

        with Session(engine) as session:
            ids = list(session.scalars(select(Person.id).order_by(Person.id)))
            sample = random.Random(5).sample(ids, 20)
            people = session.scalars(select(Person).where(Person.id.in_(sample))
                                     .options(selectinload(Person.names), selectinload(Person.documents)))
            for person in people:
                stored = set(session.scalars(select(PersonMatchKey.key).where(PersonMatchKey.person_id == person.id)))
                assert stored == {row.key for row in key_rows(person.id, person_record(person))}
            assert session.scalar(select(func.count(func.distinct(PersonMatchKey.person_id)))) == 260

        figures = time_checks(engine, world, checks=5, seed=3)
        assert figures["online_checks"] == 5
        assert 0 < figures["online_p50_ms"] <= figures["online_p95_ms"] <= figures["online_max_ms"]
    finally:
        engine.dispose()
