"""`crossroads audit`, run as an operator would: real processes on a copy of a demo database (SQLite)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from crossroads.audit.models import AuditEvent
from crossroads.audit.service import record_event
from crossroads.db.session import make_engine, unit_of_work
from tests.helpers import run_cli as run


def as_database_admin(conn: sqlite3.Connection) -> None:
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'"):
        conn.execute(f'DROP TRIGGER "{name}"')


def scalar(path, sql: str, *params):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchone()[0]


def grow(env) -> None:
    """A command that writes audit events (and seals them as it ends): one more signed head."""
    result = run(["offices", "create-organisation", "--name", f"Org {time.monotonic_ns()}", "--kind", "partner"], env)
    assert result.returncode == 0, result.stderr


def cut_back_to(path, size: int) -> None:
    """What an administrator does to remove the newest events unnoticed: events, nodes and heads past `size`."""
    with sqlite3.connect(path) as conn:
        as_database_admin(conn)
        conn.execute("DELETE FROM audit_events WHERE seq > ?", (size,))
        conn.execute("DELETE FROM audit_tree_heads WHERE tree_size > ?", (size,))
        conn.execute("DELETE FROM audit_tree_nodes WHERE (idx + 1) * (1 << level) > ?", (size,))


class TestSeal:
    def test_the_demo_is_sealed_and_a_command_that_writes_events_seals_them_as_it_ends(self, seeded):
        env, path = seeded
        assert scalar(path, "SELECT count(*) FROM audit_events WHERE seq IS NULL") == 0
        heads = scalar(path, "SELECT count(*) FROM audit_tree_heads")
        assert heads >= 1
        grow(env)
        assert scalar(path, "SELECT count(*) FROM audit_events WHERE seq IS NULL") == 0
        assert scalar(path, "SELECT count(*) FROM audit_tree_heads") == heads + 1

    def test_seals_what_was_recorded_by_others_and_says_so(self, seeded):
        env, path = seeded
        engine = make_engine(env["CROSSROADS_DATABASE_URL"])
        try:
            with unit_of_work(engine) as session:
                record_event(session, actor=None, action="test.elsewhere", entity_type="test")
        finally:
            engine.dispose()
        result = run(["audit", "seal"], env)
        assert result.returncode == 0, result.stderr
        assert "sealed 1 events" in result.stdout
        assert run(["audit", "seal"], env).stdout.startswith("nothing to seal")

    def test_every_keeps_sealing_until_interrupted(self, seeded):
        env, path = seeded
        sealer = subprocess.Popen([sys.executable, "-m", "crossroads.cli", "audit", "seal", "--every", "0.2"],
                                  env={**os.environ, **env}, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        try:
            engine = make_engine(env["CROSSROADS_DATABASE_URL"])
            try:
                with unit_of_work(engine) as session:
                    record_event(session, actor=None, action="test.looped", entity_type="test")
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    with unit_of_work(engine, read_only=True) as session:
                        if session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "test.looped")):
                            break
                    time.sleep(0.1)
                else:
                    pytest.fail("`audit seal --every` did not seal within 30 s")
            finally:
                engine.dispose()
        finally:
            sealer.send_signal(signal.SIGINT)
            out, errors = sealer.communicate(timeout=30)
        assert sealer.returncode == 0, errors
        assert "sealed 1 events" in out

    def test_refuses_without_a_key_naming_the_setting(self, seeded, tmp_path):
        env, _ = seeded
        result = run(["audit", "seal"], {**env, "CROSSROADS_DATA_DIR": str(tmp_path)})
        assert result.returncode == 2
        assert "CROSSROADS_AUDIT_SIGNING_KEY is not set" in result.stderr

    def test_refuses_to_extend_a_trail_cut_back_since_its_last_head(self, seeded):
        env, path = seeded
        size = scalar(path, "SELECT max(seq) FROM audit_events")
        with sqlite3.connect(path) as conn:
            as_database_admin(conn)
            conn.execute("DELETE FROM audit_events WHERE seq = ?", (size,))
        result = run(["audit", "seal"], env)
        assert result.returncode == 1
        assert "does not match its latest signed head" in result.stderr


class TestVerify:
    def test_passes_on_an_intact_trail_then_starts_from_the_head_it_verified(self, seeded):
        env, path = seeded
        first = run(["audit", "verify"], env)
        assert first.returncode == 0, first.stderr
        assert "audit trail intact" in first.stdout and "all " in first.stdout
        remembered = json.loads((path.parent / "audit-verified-head.json").read_text())
        assert remembered["tree_size"] == scalar(path, "SELECT max(seq) FROM audit_events")
        grow(env)
        second = run(["audit", "verify"], env)
        assert second.returncode == 0, second.stderr
        assert "sealed since the head verified before recomputed" in second.stdout

    def test_names_an_altered_event(self, seeded):
        env, path = seeded
        with sqlite3.connect(path) as conn:
            as_database_admin(conn)
            conn.execute("UPDATE audit_events SET details = '{}' WHERE seq = 7")
        event_id = scalar(path, "SELECT id FROM audit_events WHERE seq = 7")
        broken = run(["audit", "verify"], env)
        assert broken.returncode == 1
        assert f"event #{event_id} at position 7 was altered" in broken.stderr

    def test_a_head_kept_elsewhere_detects_a_cut_off_tail(self, seeded, tmp_path):
        env, path = seeded
        earlier = scalar(path, "SELECT max(tree_size) FROM audit_tree_heads")
        grow(env)
        exported = tmp_path / "head.json"
        assert run(["audit", "export-head", "--output", str(exported)], env).returncode == 0
        assert run(["audit", "verify"], env).returncode == 0  # remembers the head too
        cut_back_to(path, earlier)
        alone = run(["audit", "verify", "--no-remember", "--state", str(tmp_path / "none.json")], env)
        assert alone.returncode == 0, alone.stderr
        for args, label in ((["--from-head", str(exported)], f"the head in {exported}"),
                            ([], "the head verified before")):
            result = run(["audit", "verify", *args], env)
            assert result.returncode == 1
            assert label in result.stderr and "events were removed" in result.stderr

    def test_a_damaged_head_file_is_named(self, seeded, tmp_path):
        env, _ = seeded
        bad = tmp_path / "head.json"
        bad.write_text('{"tree_size": "many"}')
        result = run(["audit", "verify", "--from-head", str(bad)], env)
        assert result.returncode == 2
        assert f"--from-head: {bad} is not an exported tree head (tree_size" in result.stderr

    def test_runs_while_a_writer_holds_the_sqlite_write_lock(self, seeded):
        env, path = seeded
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            # Taking the write lock would wait 10 s for the writer, then fail with "database is locked".
            results = [run(["audit", *args], env) for args in (["verify"], ["export-head"], ["prove", "1"])]
        finally:
            writer.rollback()
            writer.close()
        for result in results:
            assert result.returncode == 0, result.stderr


class TestProve:
    def test_prints_an_events_audit_path_and_verifies_it(self, seeded):
        env, path = seeded
        event_id = scalar(path, "SELECT id FROM audit_events WHERE seq = 5")
        result = run(["audit", "prove", str(event_id)], env)
        assert result.returncode == 0, result.stderr
        proof = json.loads(result.stdout)
        assert proof["verified"] is True and proof["leaf_index"] == 4
        size = scalar(path, "SELECT max(seq) FROM audit_events")
        assert proof["head"]["tree_size"] == size and 0 < len(proof["audit_path"]) <= size.bit_length()

    def test_an_altered_event_fails_naming_it(self, seeded):
        env, path = seeded
        event_id = scalar(path, "SELECT id FROM audit_events WHERE seq = 5")
        with sqlite3.connect(path) as conn:
            as_database_admin(conn)
            conn.execute("UPDATE audit_events SET action = 'person.forged' WHERE id = ?", (event_id,))
        result = run(["audit", "prove", str(event_id)], env)
        assert result.returncode == 1
        assert f"event #{event_id} is not in the tree" in result.stderr

    def test_an_unknown_event_is_named(self, seeded):
        env, _ = seeded
        result = run(["audit", "prove", "99999999"], env)
        assert result.returncode == 1 and "no audit event #99999999" in result.stderr


class TestConsistency:
    def test_the_latest_head_extends_an_exported_one_and_a_rewritten_trail_does_not(self, seeded, tmp_path):
        env, path = seeded
        exported = tmp_path / "head.json"
        assert run(["audit", "export-head", "--output", str(exported)], env).returncode == 0
        grow(env)
        result = run(["audit", "consistency", str(exported)], env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["verified"] is True
        with sqlite3.connect(path) as conn:
            as_database_admin(conn)
            conn.execute("UPDATE audit_tree_nodes SET hash = ? WHERE level = (SELECT max(level) FROM "
                         "audit_tree_nodes)", ("ab" * 32,))
        rewritten = run(["audit", "consistency", str(exported)], env)
        assert rewritten.returncode == 1 and "does not extend the earlier one" in rewritten.stderr


class TestKeygen:
    def test_writes_an_owner_only_key_file_once_and_prints_the_public_key(self, tmp_path):
        key = tmp_path / "audit.key"
        result = run(["audit", "keygen", "--output", str(key)], {})
        assert result.returncode == 0, result.stderr
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert key.read_text().startswith("ed25519:") and "public key" in result.stdout
        again = run(["audit", "keygen", "--output", str(key)], {})
        assert again.returncode == 2 and "already exists" in again.stderr

    def test_a_generated_key_seals_a_new_database(self, tmp_path):
        key = tmp_path / "audit.key"
        env = {"CROSSROADS_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
               "CROSSROADS_AUDIT_SIGNING_KEY_FILE": str(key), "CROSSROADS_DATA_DIR": str(tmp_path)}
        assert run(["audit", "keygen", "--output", str(key)], env).returncode == 0
        assert run(["db", "upgrade"], env).returncode == 0
        grow(env)
        result = run(["audit", "verify"], env)
        assert result.returncode == 0, result.stderr
        assert "1 events sealed" in result.stdout
