from __future__ import annotations

import ast
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from crossroads.audit.leaves import event_leaf_hash
from crossroads.audit.models import AuditEvent, AuditTreeNode
from crossroads.audit.seal import seal_pending
from crossroads.audit.service import event_content
from crossroads.audit.tree import latest_head
from crossroads.audit.verify import prove_event
from crossroads.auth.roles import Role
from crossroads.cases.schemas import CaseCreate
from crossroads.cases.service import open_case
from crossroads.db.base import UTCDateTime
from crossroads.db.migrate import alembic_config, include_object
from crossroads.db.session import make_engine, unit_of_work
from crossroads.dedup.merges import merge_people
from crossroads.schema import metadata, upgrade_database
from tests.conftest import fresh_database
from tests.factories import audit as au
from tests.factories import auth as af
from tests.factories import people as pf


class TestMigrations:
    # Programme-field indexes are expressions SQLite reflection skips; include_object leaves them out anyway.
    @pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index ix_casefield_")
    def test_models_and_migrations_agree(self, engine):
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                             "include_object": include_object})
            assert compare_metadata(context, metadata) == []

    def test_versions_import_no_live_code_but_the_column_types(self):
        # What a migration writes must not change when the code does: data it seeds is frozen inside it.
        versions = Path(ScriptDirectory.from_config(alembic_config()).versions)
        imported = {
            (path.name, node.module if isinstance(node, ast.ImportFrom) else alias.name)
            for path in versions.glob("*.py")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        live = {(name, module) for name, module in imported
                if module and module.startswith("crossroads") and module != "crossroads.db.base"}
        assert len({name for name, _ in imported}) >= 7
        assert live == set()

    def test_one_head(self):
        assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


PREVIOUS = "e7c1a9d40b12"
AUDIT_TREE = "a3f9c2d18b47"


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


def chain_hash(row: dict, prev_hash: str) -> str:
    """The hash chain of the trail before the tree: each event's content, position and previous hash."""
    body = {**{k: row[k] for k in ("seq", "actor_role", "action", "entity_type", "entity_id", "details")},
            "occurred_at": row["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": None, "office_id": None, "prev_hash": prev_hash}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode()).hexdigest()


OLD_EVENTS = sa.table("audit_events", *(sa.column(c) for c in (
    "seq", "actor_role", "action", "entity_type", "entity_id", "prev_hash", "hash")),
    sa.column("occurred_at", UTCDateTime()), sa.column("details", sa.JSON()))


def chained_rows(n: int) -> list[dict]:
    rows, prev = [], "0" * 64
    for seq in range(1, n + 1):
        row = {"seq": seq, "occurred_at": datetime(2026, 11, 1, 9, 0, seq, 250, tzinfo=UTC), "actor_role": "system",
               "action": "person.read", "entity_type": "person", "entity_id": str(seq), "details": {"n": seq}}
        row["prev_hash"], row["hash"] = prev, chain_hash(row, prev)
        prev = row["hash"]
        rows.append(row)
    return rows


def events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq.nulls_last(), AuditEvent.id)))


class TestAuditTreeMigration:
    @pytest.fixture
    def chained(self, tmp_path_factory):
        """A database at the revision before the tree, holding a hash chain of 11 events."""
        with fresh_database(tmp_path_factory) as url:
            engine = make_engine(url)
            try:
                migrate(engine, PREVIOUS)
                with engine.begin() as conn:
                    for row in chained_rows(11):
                        conn.execute(sa.insert(OLD_EVENTS).values(**row))
                yield engine
            finally:
                engine.dispose()

    def test_existing_events_become_the_first_leaves_in_their_order(self, chained):
        migrate(chained, AUDIT_TREE)
        rows = events(chained)
        assert [r.seq for r in rows] == list(range(1, 12))
        assert [r.entity_id for r in rows] == [str(i) for i in range(1, 12)]
        assert all(r.leaf_hash == event_leaf_hash(event_content(r)) for r in rows)
        with Session(chained) as session:
            assert session.scalar(select(func.count()).select_from(AuditTreeNode)) == 11 - 3
            assert latest_head(session) is None
        # The first seal signs a head over them; the trail and each event's proof verify.
        totals = seal_pending(chained, key=au.KEY, trusted=au.TRUSTED)
        assert (totals.sealed, totals.tree_size, totals.heads) == (0, 11, 1)
        with unit_of_work(chained, read_only=True) as session:
            assert au.verify(session).problem is None
            assert all(prove_event(session, event_id=r.id, keys=au.TRUSTED).verified for r in rows)

    def test_a_broken_chain_is_refused_and_left_as_it_was(self, chained):
        with chained.begin() as conn:
            conn.execute(sa.update(OLD_EVENTS).where(OLD_EVENTS.c.seq == 4).values(details={"n": 40}))
        with pytest.raises(RuntimeError, match="broken at event 4"):
            migrate(chained, AUDIT_TREE)
        assert "leaf_hash" not in {c["name"] for c in inspect(chained).get_columns("audit_events")}
        assert "audit_tree_nodes" not in inspect(chained).get_table_names()

    def test_a_broken_chain_is_converted_when_the_operator_accepts_it(self, chained, monkeypatch):
        with chained.begin() as conn:
            conn.execute(sa.delete(OLD_EVENTS).where(OLD_EVENTS.c.seq == 4))
        with pytest.raises(RuntimeError, match="event 4 is missing"):
            migrate(chained, AUDIT_TREE)
        monkeypatch.setenv("CROSSROADS_AUDIT_ACCEPT_BROKEN_CHAIN", "1")
        migrate(chained, AUDIT_TREE)
        assert [r.seq for r in events(chained)] == list(range(1, 11))
        seal_pending(chained, key=au.KEY, trusted=au.TRUSTED)
        with unit_of_work(chained, read_only=True) as session:
            assert au.verify(session).problem is None

    def test_downgrade_chains_every_event_again_sealed_or_not(self, chained):
        migrate(chained, AUDIT_TREE)
        with unit_of_work(chained) as session:
            au.record(session, 2, action="test.after_upgrade")
        migrate(chained, PREVIOUS, down=True)
        with chained.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(sa.select(OLD_EVENTS).order_by(OLD_EVENTS.c.seq))]
        assert [r["seq"] for r in rows] == list(range(1, 14))
        assert [r["action"] for r in rows[-2:]] == ["test.after_upgrade"] * 2
        prev = "0" * 64
        for row in rows[:11]:
            assert (row["prev_hash"], row["hash"]) == (prev, chain_hash(row, prev))
            prev = row["hash"]
        assert "audit_tree_heads" not in inspect(chained).get_table_names()


STATE_CHANGES = "28e5dc15560e"
VERSIONS = sa.table("programme_versions", sa.column("id", sa.Integer), sa.column("programme", sa.String),
                    sa.column("version", sa.Integer), sa.column("config", sa.JSON))
PROGRAMMES = sa.table("programmes", sa.column("code", sa.String), sa.column("current_version_id", sa.Integer))


def current_configs(engine: Engine) -> dict[str, tuple[int, dict]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(PROGRAMMES.c.code, VERSIONS.c.version, VERSIONS.c.config)
                            .join(VERSIONS, VERSIONS.c.id == PROGRAMMES.c.current_version_id)).all()
    return {code: (version, config) for code, version, config in rows}


class TestReopenApprovalMigration:
    def test_protection_programmes_get_a_version_whose_endings_reopen_with_approval(self, tmp_path_factory):
        with fresh_database(tmp_path_factory) as url:
            engine = make_engine(url)
            try:
                migrate(engine, AUDIT_TREE)
                before = current_configs(engine)
                migrate(engine, STATE_CHANGES)
                after = current_configs(engine)
                for code in ("counter_trafficking", "uasc"):
                    version, config = after[code]
                    assert version == before[code][0] + 1
                    ended = [s for s in config["states"] if s.get("terminal")]
                    assert ended and all(s["reopen_requires_approval"] is True for s in ended)
                    # Nothing else changed: the previous version with the flag taken out again.
                    assert [{k: v for k, v in s.items() if k != "reopen_requires_approval"}
                            for s in config["states"]] == before[code][1]["states"]
                    assert {k: v for k, v in config.items() if k != "states"} == \
                        {k: v for k, v in before[code][1].items() if k != "states"}
                assert {c: after[c] for c in after if c not in ("counter_trafficking", "uasc")} == \
                    {c: before[c] for c in before if c not in ("counter_trafficking", "uasc")}

                migrate(engine, AUDIT_TREE, down=True)
                assert current_configs(engine) == before
                with engine.connect() as conn:
                    assert conn.scalar(sa.select(func.count()).select_from(VERSIONS)) == len(before)
            finally:
                engine.dispose()


BEFORE_KEYS_BY_OFFICE = "7c31d9e0a4b2"


KEYS = sa.table("person_search_keys", sa.column("key", sa.String()), sa.column("office_id", sa.Uuid()),
                sa.column("person_id", sa.Uuid()))
OLD_KEYS = sa.table("person_search_keys", sa.column("key", sa.String()), sa.column("person_id", sa.Uuid()))


def key_rows(engine: Engine) -> set[tuple]:
    with engine.connect() as conn:
        return {tuple(r) for r in conn.execute(sa.select(KEYS.c.key, KEYS.c.office_id, KEYS.c.person_id))}


class TestSearchKeysByOfficeMigration:
    def test_keys_are_stored_for_each_office_that_sees_the_person_and_collapse_back(self, tmp_path_factory):
        with fresh_database(tmp_path_factory) as url:
            engine = make_engine(url)
            try:
                upgrade_database(engine)
                with Session(engine) as db:
                    world = af.world(db)
                    both = af.principal(db, af.user(db, world.agency, Role.CASEWORKER,
                                                    [world.office_a, world.office_b]))
                    amina = pf.person(db, both, given_name="Amina", family_name="Haddad",
                                      office_id=str(world.office_a.id))
                    open_case(db, principal=both, data=CaseCreate(person_id=amina.id, programme="avrr",
                                                                  office_id=world.office_b.id))
                    youssef = pf.person(db, world.principal(db, "caseworker_b"), given_name="Youssef",
                                        family_name="Al-Haddad")
                    twin = pf.person(db, world.principal(db, "caseworker_b"), given_name="Yousef",
                                     family_name="Haddad")
                    sup_b = af.principal(db, af.user(db, world.agency, Role.SUPERVISOR, [world.office_b]))
                    merge_people(db, principal=sup_b, survivor_id=youssef.id, merged_id=twin.id)
                    db.commit()
                    offices = {amina.id: {world.office_a.id, world.office_b.id}, youssef.id: {world.office_b.id}}
                    twin_id = twin.id
                keyed = key_rows(engine)
                assert {(person, office) for _, office, person in keyed} == \
                    {(person, office) for person, seen in offices.items() for office in seen}

                migrate(engine, BEFORE_KEYS_BY_OFFICE, down=True)
                with engine.begin() as conn:
                    old = {tuple(r) for r in conn.execute(sa.select(OLD_KEYS.c.key, OLD_KEYS.c.person_id))}
                    assert old == {(key, person) for key, _, person in keyed}
                    # Before, a merged record kept its keys; it has none after the upgrade.
                    conn.execute(sa.insert(OLD_KEYS).values(person_id=twin_id, key="w:merged"))
                migrate(engine, "head")
                assert key_rows(engine) == keyed
            finally:
                engine.dispose()
