"""The printable case summary: what each user may read of a case, in their language, audited."""

from __future__ import annotations

import pytest

from crossroads.auth.roles import Role
from crossroads.cases.schemas import NoteCreate
from crossroads.cases.service import add_case_note
from tests.factories import auth as af
from tests.factories import cases as cf
from tests.factories import work as wf
from tests.helpers import login

DATA = {
    "country_of_exploitation": "THA",  # general
    "identified_by": "ngo",  # personal
    "risk_assessment": "high",  # sensitive
    "safety_plan": "Moves to the shelter in Sfax on Monday",  # highly sensitive
    "exploitation_ongoing": True,  # highly sensitive
}


@pytest.fixture
def trafficking_case(db, world):
    """A counter-trafficking case of office A, assigned to the caseworker who opened it, with its work."""
    cw = world.principal(db, "caseworker_a")
    case = cf.case_in_state(db, cw, "counter_trafficking", data=DATA, given_name="Amina", family_name="Osman",
                            nationality="NGA", sex="female", phone="+234 802 123 4567",
                            documents=[{"document_type": "passport", "number": "A01234567", "issuing_country": "NGA"}])
    wf.task(db, cw, case, title="Book the interpreter")
    add_case_note(db, principal=cw, case_id=case.id, data=NoteCreate(body="She fears her former employer."))
    db.commit()
    return case


def _summary(client, world, user, case, **params):
    login(client, user.email if hasattr(user, "email") else world.users[user].email)
    return client.get(f"/cases/{case.id}/summary", params=params)


class TestCaseSummary:
    def test_the_assigned_caseworker_gets_the_whole_case(self, client, db, world, trafficking_case):
        response = _summary(client, world, "caseworker_a", trafficking_case)
        assert response.status_code == 200
        page = response.text
        assert trafficking_case.case_number in page and "Amina Osman" in page and "A01234567" in page
        assert "Thailand" in page or "THA" in page
        assert "Non-governmental organisation" in page and "High" in page
        assert "Moves to the shelter in Sfax" in page and "Exploitation still ongoing" in page
        assert "Book the interpreter" in page and "She fears her former employer." in page
        assert "left out" not in page
        assert 'href="/static/summary.css"' in page and "@media print" in client.get("/static/summary.css").text

    def test_another_caseworker_of_the_office_gets_no_sensitive_value(self, client, db, world, trafficking_case):
        colleague = af.user(db, world.agency, Role.CASEWORKER, [world.office_a])
        db.commit()
        page = _summary(client, world, colleague, trafficking_case).text
        # The person is their office's: their identity is theirs to read; the case is someone else's.
        assert "Amina Osman" in page and "A01234567" in page
        assert "Non-governmental organisation" in page and "THA" in page
        for withheld in ("Risk assessment", "High", "Moves to the shelter", "Exploitation still ongoing",
                         "She fears her former employer."):
            assert withheld not in page
        assert "4 recorded values are left out" in page

    def test_a_supervisor_of_the_office_gets_the_whole_case(self, client, db, world, trafficking_case):
        page = _summary(client, world, "supervisor_a", trafficking_case).text
        assert "Moves to the shelter in Sfax" in page and "She fears her former employer." in page

    def test_each_summary_is_audited_with_what_was_left_out_and_no_value(self, client, db, world, trafficking_case):
        colleague = af.user(db, world.agency, Role.CASEWORKER, [world.office_a])
        db.commit()
        _summary(client, world, colleague, trafficking_case)
        [event] = cf.events(db, trafficking_case.id, "case.summary_read")
        assert event.actor_id == colleague.id
        assert event.details == {"format": "html", "case_classes": ["general", "personal"],
                                 "person_classes": ["general", "highly_sensitive", "personal", "sensitive"],
                                 "withheld": 4}

    def test_the_summary_is_in_the_users_language(self, client, db, world, trafficking_case):
        page = _summary(client, world, "caseworker_a", trafficking_case, lang="fr").text
        assert '<html lang="fr"' in page and "Résumé du dossier" in page
        arabic = _summary(client, world, "caseworker_a", trafficking_case, lang="ar").text
        assert 'dir="rtl"' in arabic

    def test_the_case_page_links_to_it(self, client, db, world, trafficking_case):
        login(client, world.users["caseworker_a"].email)
        assert f'href="/cases/{trafficking_case.id}/summary"' in client.get(f"/cases/{trafficking_case.id}").text

    @pytest.mark.parametrize(("user", "status"), [("caseworker_b", 404), ("partner", 403), ("data_officer", 403)])
    def test_others_are_refused_and_nothing_is_audited(self, client, db, world, trafficking_case, user, status):
        assert _summary(client, world, user, trafficking_case).status_code == status
        assert cf.events(db, trafficking_case.id, "case.summary_read") == []


class TestCaseSummaryCost:
    def test_statements_do_not_grow_with_the_cases_work(self, client, db, world, trafficking_case):
        cw = world.principal(db, "caseworker_a")
        login(client, world.users["caseworker_a"].email)
        url = f"/cases/{trafficking_case.id}/summary"

        def measured() -> int:
            client.get(url)  # nothing cached on first use is counted
            db.commit()
            db.expunge_all()
            with wf.statements(db.get_bind()) as seen:
                assert client.get(url).status_code == 200
            return len(seen)

        few = measured()
        for i in range(10):
            wf.task(db, cw, trafficking_case, title=f"Call back {i}")
            wf.service(db, cw, trafficking_case, code="medical_care")
            add_case_note(db, principal=cw, case_id=trafficking_case.id, data=NoteCreate(body=f"Follow-up {i}."))
        assert measured() == few
