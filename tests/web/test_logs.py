"""Sensitive values must never reach a log line or an error message."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import pytest
from sqlalchemy import text

from crossroads.web.logs import exception_outline, printable
from tests.factories import auth as af
from tests.factories.people import person_payload
from tests.helpers import served, token_headers

SENTINELS = ("Zebulonia", "Quxterly", "1987-03-14", "+963944555666", "PX9988776")


def test_no_sensitive_value_in_logs_or_errors(client, db, caplog):
    world = af.world(db)
    headers = token_headers(client, world.users["caseworker_a"].email)
    body = person_payload(given_name="Zebulonia", family_name="Quxterly", date_of_birth="1987-03-14",
                          phone="+963944555666",
                          documents=[{"document_type": "passport", "number": "PX9988776"}])
    with caplog.at_level(logging.DEBUG):
        created = client.post("/api/v1/people", json=body, headers=headers)
        pid = created.json()["id"]
        responses = [
            client.get(f"/api/v1/people/{pid}", headers=headers),
            client.get("/api/v1/cases", params={"q": "Zebulonia Quxterly"}, headers=headers),
            client.post("/api/v1/people", json={**body, "nationality": "Zebulonia"}, headers=headers),
            client.post("/api/v1/people", json={**body, "given_name": "Zebulonia" * 30}, headers=headers),
            client.post("/api/v1/people", json={**body, "date_of_birth": "Quxterly"}, headers=headers),
            client.post("/api/v1/people", json={**body, "phone": "Zebulonia"}, headers=headers),
        ]
    assert created.status_code == 201
    assert [r.status_code for r in responses[2:]] == [422, 422, 422, 422]
    for response in responses[2:]:
        for sentinel in SENTINELS:
            assert sentinel not in response.text
    # The test client's own request log (httpx2) is the caller's, not Crossroads'.
    server_lines = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    for sentinel in SENTINELS:
        assert sentinel not in server_lines
    assert any(r.name == "crossroads.access" for r in caplog.records)


class TestPrintable:
    @pytest.mark.parametrize(("value", "expected"), [
        ("/cases/7f3e", "/cases/7f3e"),
        ("/people/أمينة", "/people/أمينة"),
        ("/a\nGET /admin", "/a\\x0aGET /admin"),
        ("/a\r\x1b[2J\x7f", "/a\\x0d\\x1b[2J\\x7f"),
        ("/a\x85\u2028\u202e", "/a\\x85\\u2028\\u202e"),
        ("/a\\x0a", "/a\\\\x0a"),
    ], ids=["plain", "arabic", "line-feed", "controls", "unicode-breaks-and-bidi", "backslash"])
    def test_one_line_of_printable_text(self, value, expected):
        assert printable(value) == expected
        assert printable(value).isprintable()


class TestExceptionOutline:
    def test_types_and_frames_of_the_chain_without_messages(self):
        def fail(name: str):
            try:
                raise KeyError("Zebulonia")
            except KeyError as exc:
                raise ValueError(name) from exc

        with pytest.raises(ValueError) as failed:
            fail("Qux" + "terly")  # built at run time: a value, not a line of the code
        outline = exception_outline(failed.value)
        assert outline.startswith("builtins.ValueError (message left out)\n")
        assert "caused by: builtins.KeyError (message left out)" in outline
        assert 'raise KeyError("Zebulonia")' in outline  # the code's own line, not a value it held
        assert "in fail" in outline
        assert "Quxterly" not in outline


def _refuse_user_name(db, name: str) -> None:
    """Make the database itself refuse users of this name: a constraint the service does not know of."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text(f"ALTER TABLE users ADD CONSTRAINT ck_users_test_refused CHECK (full_name <> '{name}')"))
    else:
        db.execute(text(f"CREATE TRIGGER users_test_refused BEFORE UPDATE ON users WHEN NEW.full_name = '{name}' "
                        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))
    db.commit()


class TestUnhandledDatabaseError:
    def test_the_server_log_names_the_error_and_the_request_never_the_values(self, app, client, db, caplog):
        # What a reviewer found in a PostgreSQL error log: the refused row, a user's e-mail and password hash in it.
        world = af.world(db)
        user = world.users["caseworker_a"]
        admin = token_headers(client, world.users["admin"].email)
        _refuse_user_name(db, "Sentinel Quxterly")
        body = {"full_name": "Sentinel Quxterly", "password": "sentinel-password-1234"}
        with caplog.at_level(logging.DEBUG), served(app) as base_url:
            request = urllib.request.Request(f"{base_url}/api/v1/users/{user.id}", data=json.dumps(body).encode(),
                                             method="PATCH", headers={**admin, "Content-Type": "application/json"})
            with pytest.raises(urllib.error.HTTPError) as failed:
                urllib.request.urlopen(request, timeout=30)
        # The server has stopped: whatever it logged about the request is in caplog, tracebacks included.
        assert failed.value.code == 500
        assert json.loads(failed.value.read()) == {
            "detail": [{"field": None, "message": "internal error", "type": "internal"}]}
        logged = caplog.text
        for value in (user.email, "Sentinel Quxterly", "$argon2", "sentinel-password"):
            assert value not in logged
        # Nor the database's message, whatever it quotes (PostgreSQL: "Failing row contains (...)").
        for message in ("refused by the test", "violates check constraint", "Failing row"):
            assert message not in logged
        [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
        request_id = failed.value.headers["X-Request-ID"]
        assert error.name == "crossroads.errors"
        assert error.getMessage().startswith(
            f"unhandled IntegrityError in request {request_id} on PATCH /api/v1/users/{user.id}\n")
        assert "crossroads/auth/service.py" in error.getMessage()
