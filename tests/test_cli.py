"""The `crossroads` command, run as a user would run it: a real process on a real database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from crossroads.config import DEMO_SECRET_PREFIX


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crossroads.cli", *args], env={**os.environ, **env}, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    """The data directory of one `crossroads demo --no-serve`, seeded once for the module."""
    data_dir = tmp_path_factory.mktemp("demo")
    result = run(["demo", "--data-dir", str(data_dir), "--households", "5", "--no-serve"],
                 {"CROSSROADS_DEMO_PASSWORD": "demo-password-for-tests"})
    assert result.returncode == 0, result.stderr
    return data_dir


@pytest.fixture
def seeded(demo_data, tmp_path):
    """A copy of the demo database for this test alone, so that a test that writes leaves the next one alone."""
    data_dir = tmp_path / "demo"
    shutil.copytree(demo_data, data_dir)
    return {"CROSSROADS_DATABASE_URL": f"sqlite:///{data_dir / 'crossroads.db'}"}, data_dir / "crossroads.db"


class TestServe:
    @pytest.mark.parametrize("secret", ["", DEMO_SECRET_PREFIX + "x" * 40, "short"])
    def test_refuses_missing_demo_or_weak_secret(self, secret, tmp_path):
        result = run(["serve"], {"CROSSROADS_SECRET_KEY": secret,
                                 "CROSSROADS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
        assert result.returncode != 0
        assert "refusing to start" in result.stderr


class TestDemo:
    def test_prints_the_logins_and_the_password_from_the_environment(self, tmp_path):
        result = run(["demo", "--data-dir", str(tmp_path), "--households", "3", "--no-serve"],
                     {"CROSSROADS_DEMO_PASSWORD": "my-demo-password"})
        assert result.returncode == 0, result.stderr
        for login in ("admin", "supervisor", "caseworker", "caseworker2", "partner", "data", "dpo"):
            assert f"{login}@example.org" in result.stdout
        assert "my-demo-password" in result.stdout

    def test_generates_a_password_when_none_is_set(self, tmp_path):
        env = {k: v for k, v in os.environ.items() if k != "CROSSROADS_DEMO_PASSWORD"}
        result = subprocess.run([sys.executable, "-m", "crossroads.cli", "demo", "--data-dir", str(tmp_path),
                                 "--households", "1", "--no-serve"], env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        assert "(generated" in result.stdout


class TestUsers:
    def test_create_with_password_from_stdin_then_list(self, seeded):
        env, _ = seeded
        result = run(["users", "create", "--email", "amira@example.org", "--name", "Amira Saleh", "--role",
                      "supervisor", "--organisation", "Crossroads Migration Agency", "--office", "OUJ"], env,
                     stdin="a long enough password\n")
        assert result.returncode == 0, result.stderr
        listed = run(["users", "list"], env)
        assert "amira@example.org" in listed.stdout and "OUJ" in listed.stdout

    @pytest.mark.parametrize(("extra", "message"), [
        (["--role", "emperor"], "--role"),
        (["--role", "caseworker", "--office", "NOPE"], "--office"),
    ])
    def test_bad_input_exits_non_zero_naming_the_option(self, seeded, extra, message):
        env, _ = seeded
        result = run(["users", "create", "--email", "x@example.org", "--name", "X", "--organisation",
                      "Crossroads Migration Agency", *extra], env, stdin="a long enough password\n")
        assert result.returncode == 2
        assert message in result.stderr

    @pytest.mark.parametrize(("args", "option"), [
        (["users", "create", "--email", "x@example.org", "--name", "X\x1b[2J", "--role", "caseworker",
          "--organisation", "Crossroads Migration Agency"], "--name"),
        (["users", "create", "--email", "x@example.org", "--name", "X", "--role", "caseworker",
          "--organisation", "Crossroads\x01 Migration Agency"], "--organisation"),
        (["offices", "create", "--organisation", "Crossroads Migration Agency", "--code", "NEW", "--name",
          "New\u202e office"], "--name"),
        (["offices", "create-organisation", "--name", "Partner\x07", "--kind", "partner"], "--name"),
    ])
    def test_control_characters_exit_2_naming_the_option_and_write_nothing(self, seeded, args, option):
        env, path = seeded
        before = sqlite3.connect(path).execute("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM offices)"
                                               " + (SELECT count(*) FROM organisations)").fetchone()
        result = run(args, env, stdin="a long enough password\n")
        assert result.returncode == 2, result.stderr
        said = " ".join(result.stderr.split())
        assert option in said
        assert "must not contain control characters" in said or "characters that reorder text" in said
        after = sqlite3.connect(path).execute("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM offices)"
                                              " + (SELECT count(*) FROM organisations)").fetchone()
        assert after == before

    def test_deactivate(self, seeded):
        env, _ = seeded
        assert run(["users", "update", "--email", "caseworker2@example.org", "--deactivate"], env).returncode == 0
        assert "caseworker2@example.org" in run(["users", "list"], env).stdout


class TestAuditVerify:
    def test_passes_on_an_intact_trail_and_names_an_altered_event(self, seeded):
        env, path = seeded
        ok = run(["audit", "verify"], env)
        assert ok.returncode == 0, ok.stderr
        assert "intact" in ok.stdout
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE audit_events SET details = '{}' WHERE seq = 7")
        broken = run(["audit", "verify"], env)
        assert broken.returncode == 1
        assert "broken at event 7" in broken.stderr

    def test_anchor_detects_removed_newest_events(self, seeded):
        env, path = seeded
        head = run(["audit", "verify"], env).stdout.split("head ")[1].split()[0]
        with sqlite3.connect(path) as conn:
            conn.execute("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)")
        assert run(["audit", "verify"], env).returncode == 0
        result = run(["audit", "verify", "--anchor", head], env)
        assert result.returncode == 1 and "removed" in result.stderr

    def test_runs_while_a_writer_holds_the_sqlite_write_lock(self, seeded):
        env, path = seeded
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            # Taking the write lock would wait 10 s for the writer, then fail with "database is locked".
            result = run(["audit", "verify"], env)
        finally:
            writer.rollback()
            writer.close()
        assert result.returncode == 0, result.stderr
        assert "intact" in result.stdout


class TestDbUpgrade:
    def test_creates_the_schema(self, tmp_path):
        result = run(["db", "upgrade"], {"CROSSROADS_DATABASE_URL": f"sqlite:///{tmp_path / 'new' / 'c.db'}"})
        assert result.returncode == 0, result.stderr
        with sqlite3.connect(tmp_path / "new" / "c.db") as conn:
            assert conn.execute("SELECT count(*) FROM programmes").fetchone()[0] == 7
