"""The `crossroads` command, run as a user would run it: a real process on a real database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from crossroads.config import DEMO_SECRET_PREFIX
from crossroads.disclosure.engine.exchange import generate_signing_key, signing_key_text
from tests.helpers import run_cli as run


class TestServe:
    @pytest.mark.parametrize("secret", ["", DEMO_SECRET_PREFIX + "x" * 40, "short"])
    def test_refuses_missing_demo_or_weak_secret(self, secret, tmp_path):
        result = run(["serve"], {"CROSSROADS_SECRET_KEY": secret,
                                 "CROSSROADS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
        assert result.returncode != 0
        assert "refusing to start" in result.stderr

    def test_refuses_to_start_without_an_audit_signing_key(self, tmp_path):
        result = run(["serve"], {"CROSSROADS_SECRET_KEY": "s" * 40,
                                 "CROSSROADS_EXCHANGE_SIGNING_KEY": signing_key_text(generate_signing_key()),
                                 "CROSSROADS_DATA_DIR": str(tmp_path), "CROSSROADS_AUDIT_SIGNING_KEY": "",
                                 "CROSSROADS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
        assert result.returncode != 0
        assert "refusing to start: CROSSROADS_AUDIT_SIGNING_KEY is not set" in result.stderr


class TestDemo:
    def test_prints_the_logins_and_the_password_from_the_environment(self, tmp_path):
        result = run(["demo", "--data-dir", str(tmp_path), "--households", "3", "--no-serve"],
                     {"CROSSROADS_DEMO_PASSWORD": "my-demo-password"})
        assert result.returncode == 0, result.stderr
        for login in ("admin", "supervisor", "caseworker", "caseworker2", "partner", "data", "dpo"):
            assert f"{login}@example.org" in result.stdout
        assert "my-demo-password" in result.stdout
        # A directory to refer to, two of its services run by the demo partner, whose inbox receives them.
        db = sqlite3.connect(tmp_path / "crossroads.db")
        try:
            services = db.execute("SELECT count(*) FROM directory_services").fetchone()[0]
            linked = db.execute("SELECT count(*) FROM directory_organizations o JOIN organisations p "
                                "ON p.id = o.partner_organisation_id WHERE p.name = 'Safe Harbour Shelter Network'"
                                ).fetchone()[0]
        finally:
            db.close()
        assert services == 8 and linked == 1

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


class TestDbUpgrade:
    def test_creates_the_schema(self, tmp_path):
        result = run(["db", "upgrade"], {"CROSSROADS_DATABASE_URL": f"sqlite:///{tmp_path / 'new' / 'c.db'}"})
        assert result.returncode == 0, result.stderr
        with sqlite3.connect(tmp_path / "new" / "c.db") as conn:
            assert conn.execute("SELECT count(*) FROM programmes").fetchone()[0] == 7


class TestPeopleReindex:
    def test_fills_the_search_keys_of_an_upgraded_registry(self, tmp_path):
        env = {"CROSSROADS_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
        assert run(["db", "upgrade"], env).returncode == 0
        result = run(["people", "reindex"], env)
        assert result.returncode == 0, result.stderr
        assert "0 people, 0 with new search keys" in result.stderr
