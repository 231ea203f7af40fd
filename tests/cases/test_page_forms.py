"""The case page's own forms, refused: each error beside its input (aria-invalid, aria-describedby), a summary
at the top linking to it, the form unfolded, and what was typed still there."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from crossroads.cases.work.models import CaseTask
from crossroads.cases.workflow.models import CaseTransfer
from tests.factories import people as pf
from tests.helpers import csrf, login


@pytest.fixture
def case(db, world):
    principal = world.principal(db, "caseworker_a")
    c = pf.case(db, principal, pf.person(db, principal))
    db.commit()
    return c


@pytest.fixture
def page(client, world, case):
    login(client, world.users["caseworker_a"].email)
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response.text


def linked_error(html: str, field_id: str) -> str:
    """The message shown for the input `field_id`, checked to be linked from the input and from the summary."""
    tag = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{field_id}"[^>]*>', html)
    assert tag, f"no input {field_id}"
    assert 'aria-invalid="true"' in tag.group(0)
    assert f'aria-describedby="{field_id}-error"' in tag.group(0)
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', html, re.S)
    assert summary and f'href="#{field_id}"' in summary.group(0)
    message = re.search(rf'<span class="field-error" id="{field_id}-error">(.*?)</span>', html, re.S)
    assert message, f"no message beside {field_id}"
    return message.group(1)


def folded_open(html: str, section: str) -> bool:
    return bool(re.search(rf'<details class="fold" open>\s*<summary>.*?</summary>\s*<section id="{section}">',
                          html, re.S))


class TestTaskForm:
    def test_a_bad_due_date_is_named_and_the_title_kept(self, client, db, case, page):
        response = client.post(f"/cases/{case.id}/tasks", data={
            "csrf_token": csrf(page), "title": "Call the embassy about the laissez-passer", "due_date": "31/02/2027"})
        assert response.status_code == 422
        assert linked_error(response.text, "task-due_date")
        assert 'value="Call the embassy about the laissez-passer"' in response.text
        assert folded_open(response.text, "tasks")
        assert 'aria-invalid="true"' not in re.search(r'<input[^>]*id="task-title"[^>]*>', response.text).group(0)
        assert db.scalar(select(func.count()).select_from(CaseTask).where(CaseTask.case_id == case.id)) == 0

    def test_in_french_the_message_is_french(self, client, case, page):
        response = client.post(f"/cases/{case.id}/tasks?lang=fr", data={
            "csrf_token": csrf(page), "title": "Appeler", "due_date": "demain"})
        assert response.status_code == 422
        assert "Veuillez corriger" in response.text
        assert "date" in linked_error(response.text, "task-due_date").lower()


class TestServiceForm:
    def test_a_bad_currency_is_named_and_the_rest_kept(self, client, case, page):
        response = client.post(f"/cases/{case.id}/services", data={
            "csrf_token": csrf(page), "service_code": "counselling", "status": "delivered", "date": "2026-11-02",
            "provider": "Croissant-Rouge", "cost": "12.50", "currency": "E1"})
        assert response.status_code == 422, response.status_code
        assert linked_error(response.text, "service-currency")
        for kept in ('value="Croissant-Rouge"', 'value="12.50"', 'value="2026-11-02"', 'value="E1"',
                     '<option value="delivered" selected>'):
            assert kept in response.text, kept
        assert folded_open(response.text, "assistance")


class TestTransferForm:
    def test_an_office_not_on_the_list_is_named_and_the_reason_kept(self, client, db, case, page):
        response = client.post(f"/cases/{case.id}/transfer", data={
            "csrf_token": csrf(page), "to_office_id": "not-an-office", "reason": "The family moved to Sfax"})
        assert response.status_code == 422
        assert linked_error(response.text, "transfer-to_office_id")
        assert 'value="The family moved to Sfax"' in response.text
        assert folded_open(response.text, "transfer")
        assert db.scalar(select(func.count()).select_from(CaseTransfer)) == 0


class TestNoteForm:
    def test_a_note_too_long_is_named_and_kept(self, client, case, page):
        body = "Interview notes. " * 1_200
        response = client.post(f"/cases/{case.id}/notes", data={"csrf_token": csrf(page), "body": body})
        assert response.status_code == 422
        assert linked_error(response.text, "body")
        assert body.strip() in response.text
        assert folded_open(response.text, "notes")
