"""Headers every answer carries, and the access log's one line per request."""

from __future__ import annotations

import logging
import re
import uuid

import pytest
from fastapi.routing import iter_route_contexts

from tests.factories import people as pf
from tests.helpers import login, token_headers


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
