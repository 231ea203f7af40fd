"""No N+1: the case list, search and case pages run as many SQL statements for 20 cases as for 2."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from crossroads.cases.schemas import NoteCreate
from crossroads.cases.service import add_case_note
from tests.factories import auth as af
from tests.factories import people as pf


@pytest.fixture
def statements(engine) -> Iterator[list[str]]:
    """Every SQL statement sent on the test engine while the test runs."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _html_login(client, email: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    response = client.post("/login", data={"email": email, "password": af.PASSWORD, "csrf_token": token.group(1)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def _add_cases(db, principal, count: int) -> list:
    cases = []
    for i in range(count):
        person = pf.person(db, principal, aliases=[f"Pepe Muñoz {i}"])
        case = pf.case(db, principal, person, programme=("avrr", "legal_counselling", "uasc")[i % 3])
        cases.append(case)
    db.commit()
    return cases


def _count(client, statements: list[str], url: str, headers: dict | None = None, rows: int | None = None) -> int:
    """Statements of one request, after a first untimed one (nothing cached on first use is counted)."""
    client.get(url, headers=headers)
    statements.clear()
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    if rows is not None and url.startswith("/api/"):
        assert len(response.json()["items"]) == rows
    elif rows is not None:
        assert response.text.count('<a href="/cases/') == rows
    return len(statements)


def _measure(client, statements, cw, case_id, rows: int) -> dict[str, int]:
    return {
        "api list": _count(client, statements, "/api/v1/cases", cw, rows),
        "api list, second page": _count(client, statements, "/api/v1/cases?page_size=1&page=2", cw, 1),
        "api search": _count(client, statements, "/api/v1/cases?q=munoz", cw, rows),
        "api search alias": _count(client, statements, "/api/v1/cases?q=pepe", cw, rows),
        "api case": _count(client, statements, f"/api/v1/cases/{case_id}", cw),
        "html list": _count(client, statements, "/cases", rows=rows),
        "html search": _count(client, statements, "/cases?q=mu%C3%B1oz", rows=rows),
        "html case": _count(client, statements, f"/cases/{case_id}"),
    }


def test_statement_counts_do_not_grow_with_the_number_of_cases(client, db, world, cw, statements):
    principal = world.principal(db, "caseworker_a")
    _html_login(client, world.users["caseworker_a"].email)
    cases = _add_cases(db, principal, 2)
    first = cases[0]
    for i in range(2):
        add_case_note(db, principal=principal, case_id=first.id, data=NoteCreate(body=f"note {i}"))
    db.commit()
    with_two = _measure(client, statements, cw, first.id, rows=2)

    _add_cases(db, principal, 18)
    for i in range(18):
        add_case_note(db, principal=principal, case_id=first.id, data=NoteCreate(body=f"note {i + 2}"))
    db.commit()
    with_twenty = _measure(client, statements, cw, first.id, rows=20)

    assert with_twenty == with_two
