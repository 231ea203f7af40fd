"""Headers every answer carries, the access log's one line per request, and the limit on request bodies."""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import uuid
from urllib.parse import urlsplit

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.auth.models import LoginAttempt
from crossroads.people.models import Person
from tests.factories import people as pf
from tests.factories.people import person_payload
from tests.helpers import login, served, token_headers

MiB = 1024 * 1024


class TestSecurityHeaders:
    def test_security_headers(self, client):
        response = client.get("/login")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"

    def test_every_answer_names_its_request(self, client):
        first, second = client.get("/login"), client.get("/login")
        assert re.fullmatch(r"[0-9a-f]{16}", first.headers["x-request-id"])
        assert first.headers["x-request-id"] != second.headers["x-request-id"]


def _path(route_path: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m.group(1), str(uuid.uuid4())), route_path)


class TestCaching:
    @pytest.mark.parametrize("user", ["admin", "caseworker_a"])
    def test_every_get_route_answers_no_store(self, app, client, db, world, user):
        principal = world.principal(db, "caseworker_a")
        person = pf.person(db, principal)
        case = pf.case(db, principal, person)
        db.commit()
        values = {"person_id": str(person.id), "case_id": str(case.id), "office_id": str(world.office_a.id),
                  "code": "counter_trafficking"}
        login(client, world.users[user].email)
        bearer = token_headers(client, world.users[user].email)
        answers = {}
        for route in iter_route_contexts(app.routes):
            if "GET" in (route.methods or ()):
                path = _path(route.path, values)
                answers[path] = client.get(path, headers=bearer, follow_redirects=False)
        cached = {path: (r.status_code, r.headers.get("cache-control")) for path, r in answers.items()
                  if r.headers.get("cache-control") != "no-store"}
        assert cached == {}
        # The walk reached pages that show people, not only refusals.
        assert len(answers) > 50
        assert sum(r.status_code == 200 for r in answers.values()) > 10
        for page in ("/admin", "/dedup/review", "/disclosure", "/api/v1/users"):
            assert page in answers

    @pytest.mark.parametrize("asset", ["/static/crossroads.css", "/static/swagger-ui/swagger-ui-bundle.js"])
    def test_static_assets_may_be_kept(self, client, asset):
        response = client.get(asset)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=3600"

    def test_a_missing_static_asset_is_not_kept(self, client):
        response = client.get("/static/no-such-file.css")
        assert response.status_code == 404
        assert response.headers["cache-control"] == "no-store"


class TestStrictTransportSecurity:
    def test_sent_where_cookies_are_secure(self, app, client, settings):
        app.state.settings = settings.model_copy(update={"cookie_secure": True})
        for path in ("/login", "/api/v1/nothing-here", "/static/crossroads.css"):
            assert client.get(path).headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"

    def test_not_sent_over_plain_http(self, client, settings):
        assert settings.cookie_secure is False
        assert "strict-transport-security" not in client.get("/login").headers


class TestAccessLog:
    @pytest.mark.parametrize("encoded", ["%0A", "%0D", "%0D%0A", "%1B[31m", "%7F", "%C2%85", "%E2%80%A8",
                                         "%E2%80%AE"])
    def test_control_characters_in_the_path_cannot_forge_a_line(self, client, caplog, encoded):
        forged = f"/people/x{encoded}GET%20/admin%20200%200ms"
        with caplog.at_level(logging.INFO, logger="crossroads.access"):
            client.get(forged, follow_redirects=False)
        [line] = [r.getMessage() for r in caplog.records if r.name == "crossroads.access"]
        assert line.isprintable()
        assert line.startswith("GET /people/x\\")
        assert "GET /admin 200 0ms" in line

    def test_a_backslash_is_doubled_so_that_escapes_cannot_be_faked(self, client, caplog):
        with caplog.at_level(logging.INFO, logger="crossroads.access"):
            client.get("/people/a%5Cx0ab", follow_redirects=False)
        [line] = [r.getMessage() for r in caplog.records if r.name == "crossroads.access"]
        assert line.startswith("GET /people/a\\\\x0ab ")

    def test_the_line_names_the_request(self, client, caplog):
        with caplog.at_level(logging.INFO, logger="crossroads.access"):
            response = client.get("/login")
        [line] = [r.getMessage() for r in caplog.records if r.name == "crossroads.access"]
        assert re.fullmatch(rf"GET /login 200 \d+ms {response.headers['x-request-id']}", line)


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def _padded_person(size: int) -> bytes:
    """A valid registration of `size` bytes: the JSON of a person, padded with whitespace."""
    body = json.dumps(person_payload()).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


class TestBodyLimit:
    def test_json_body_over_the_limit_is_413_in_the_api_error_body_and_nothing_is_written(self, client, db, cw):
        people, events = _count(db, Person), _count(db, AuditEvent)
        response = client.post("/api/v1/people", content=_padded_person(MiB + 1),
                               headers={**cw, "Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.json() == {"detail": [{"field": None, "message": "the request body is larger than 1 MiB",
                                               "type": "too_large"}]}
        assert (_count(db, Person), _count(db, AuditEvent)) == (people, events)

    def test_json_body_of_exactly_the_limit_is_read(self, client, db, cw):
        response = client.post("/api/v1/people", content=_padded_person(MiB),
                               headers={**cw, "Content-Type": "application/json"})
        assert response.status_code == 201

    def test_the_limits_are_the_settings(self, app, client, cw, settings):
        app.state.settings = settings.model_copy(update={"max_body_bytes": 1000})
        response = client.post("/api/v1/people", content=_padded_person(1001),
                               headers={**cw, "Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.json()["detail"][0]["message"] == "the request body is larger than 1000 bytes"

    def test_form_over_the_limit_is_a_413_page_and_nothing_is_written(self, client, db, world):
        attempts = _count(db, LoginAttempt)
        response = client.post("/login", data={"email": world.users["admin"].email, "password": "x" * MiB,
                                               "csrf_token": "x"})
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("text/html")
        assert "the request body is larger than 1 MiB" in response.text
        assert _count(db, LoginAttempt) == attempts

    def test_declared_length_over_every_limit_is_refused_before_the_app(self, client, db, cw):
        people = _count(db, Person)
        response = client.post("/api/v1/people", content=json.dumps(person_payload()).encode(),
                               headers={**cw, "Content-Type": "application/json", "Content-Length": str(150 * MiB)})
        assert response.status_code == 413
        assert response.json()["detail"][0]["type"] == "too_large"
        assert _count(db, Person) == people


def _send_head(base_url: str, path: str, headers: dict[str, str]) -> socket.socket:
    """Open a connection to the live server and send a POST's request line and headers, no body yet."""
    address = urlsplit(base_url)
    sock = socket.create_connection((address.hostname, address.port), timeout=10)
    lines = [f"POST {path} HTTP/1.1", f"Host: {address.netloc}", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def _send_chunks(sock: socket.socket, body: bytes, *, last: bool) -> None:
    for start in range(0, len(body), 64 * 1024):
        chunk = body[start:start + 64 * 1024]
        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    if last:
        sock.sendall(b"0\r\n\r\n")


def _response(sock: socket.socket) -> tuple[int, dict]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, json.loads(response.read())


class TestBodyLimitOnALiveServer:
    def test_streamed_body_over_the_limit_is_refused_and_nothing_is_written(self, app, db, cw):
        people, events = _count(db, Person), _count(db, AuditEvent)
        with served(app) as base_url:
            sock = _send_head(base_url, "/api/v1/people",
                              {**cw, "Content-Type": "application/json", "Transfer-Encoding": "chunked"})
            with sock:
                _send_chunks(sock, _padded_person(2 * MiB), last=True)
                status, body = _response(sock)
        assert (status, body["detail"][0]["type"]) == (413, "too_large")
        assert (_count(db, Person), _count(db, AuditEvent)) == (people, events)

    def test_streamed_body_is_refused_while_it_is_still_arriving(self, app, cw):
        with served(app) as base_url:
            sock = _send_head(base_url, "/api/v1/people",
                              {**cw, "Content-Type": "application/json", "Transfer-Encoding": "chunked"})
            with sock:
                # The body never ends: the answer can only come from counting what arrived.
                _send_chunks(sock, _padded_person(MiB + 128 * 1024), last=False)
                status, body = _response(sock)
        assert (status, body["detail"][0]["message"]) == (413, "the request body is larger than 1 MiB")

    def test_declared_length_is_refused_before_any_byte_is_sent(self, app, cw):
        with served(app) as base_url:
            sock = _send_head(base_url, "/api/v1/people",
                              {**cw, "Content-Type": "application/json", "Content-Length": str(150 * MiB)})
            with sock:
                status, body = _response(sock)
        assert (status, body["detail"][0]["type"]) == (413, "too_large")
