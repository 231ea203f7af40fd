from __future__ import annotations

import pytest
from sqlalchemy import select

from crossroads.dedup.models import CandidateStatus, MatchCandidate, PersonMerge
from crossroads.people.models import Person
from tests.factories import dedup as df
from tests.helpers import csrf, login

FORM = {"given_name": "Hussain", "family_name": "Muhammad", "sex": "male", "date_of_birth": "1988-07-03",
        "nationality": "SDN"}


@pytest.fixture
def as_caseworker(client, world):
    login(client, world.users["caseworker_a"].email)
    return client


@pytest.fixture
def as_supervisor(client, world):
    login(client, world.users["supervisor_a"].email)
    return client


def post_registration(client, **extra):
    token = csrf(client.get("/people/new").text)
    return client.post("/people/new", data={**FORM, "csrf_token": token, **extra}, follow_redirects=False)


class TestRegistrationCheck:
    def test_form_comes_back_with_the_candidate_and_its_reasons(self, as_caseworker, db, cw):
        original = df.person(db, cw, df.ORIGINAL)
        before = df.count(db, Person)
        response = post_registration(as_caseworker)
        assert response.status_code == 200
        page = response.text
        assert 'id="duplicates"' in page and f'href="/people/{original.id}"' in page
        assert "Mohammed Hussein" in page
        assert "date of birth with day and month swapped" in page and "given and family names swapped" in page
        assert "same nationality" in page and "same sex" in page
        assert "+" not in page.split('id="duplicates"')[1].split("</section>")[0]
        # Opening the existing record is the first, primary choice; registering anyway asks why.
        assert page.index("This is the same person: open their record") < page.index("Register anyway")
        assert 'name="duplicate_reason"' in page
        assert 'value="Hussain"' in page
        assert df.count(db, Person) == before

    def test_register_anyway_saves_the_person_with_the_reason_on_the_pair(self, as_caseworker, db, cw):
        df.person(db, cw, df.ORIGINAL)
        checked = post_registration(as_caseworker)
        fingerprint = checked.text.split('name="checked" value="')[1].split('"')[0]
        response = post_registration(as_caseworker, checked=fingerprint,
                                     duplicate_reason="Different father's name; met both in person.")
        assert response.status_code == 303 and response.headers["location"].startswith("/people/")
        pair = db.scalars(select(MatchCandidate)).one()
        assert pair.registration_reason == "Different father's name; met both in person."
        queued = df.events(db, "dedup.queue")[-1]
        assert queued.details["registered_anyway"] is True
        assert "father" not in str(queued.details)

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_register_anyway_without_a_reason_is_refused_naming_it(self, as_caseworker, db, cw, reason):
        df.person(db, cw, df.ORIGINAL)
        checked = post_registration(as_caseworker)
        fingerprint = checked.text.split('name="checked" value="')[1].split('"')[0]
        before = (df.count(db, Person), df.count(db, MatchCandidate))
        response = post_registration(as_caseworker, checked=fingerprint, duplicate_reason=reason)
        assert response.status_code == 422
        assert "say why this is a different person" in response.text and 'id="duplicates"' in response.text
        assert (df.count(db, Person), df.count(db, MatchCandidate)) == before

    def test_a_changed_form_is_checked_again(self, as_caseworker, db, cw):
        df.person(db, cw, df.ORIGINAL)
        checked = post_registration(as_caseworker)
        fingerprint = checked.text.split('name="checked" value="')[1].split('"')[0]
        response = post_registration(as_caseworker, checked=fingerprint, given_name="Husain")
        assert response.status_code == 200 and 'id="duplicates"' in response.text

    def test_without_candidates_the_person_is_registered_at_once(self, as_caseworker):
        response = post_registration(as_caseworker, given_name="Lucía", family_name="Fernández", sex="female",
                                     nationality="COL", date_of_birth="2001-11-30")
        assert response.status_code == 303

    def test_match_in_another_office_is_only_signalled(self, as_caseworker, db, world):
        df.person(db, world.principal(db, "caseworker_b"), df.ORIGINAL)
        page = post_registration(as_caseworker).text
        assert "a possible match exists in another office — ask your supervisor" in page
        assert "Mohammed" not in page


def post_member(client, head_id, **extra):
    token = csrf(client.get(f"/people/{head_id}").text)
    member = {f"member_{k}": v for k, v in FORM.items()}
    return client.post(f"/people/{head_id}/household", follow_redirects=False,
                       data={**member, "relationship": "sibling", "csrf_token": token, **extra})


class TestHouseholdMemberCheck:
    """Adding a household member registers a person, so it is checked for duplicates the same way."""

    @pytest.fixture
    def head(self, db, cw):
        return df.person(db, cw, {**df.ORIGINAL, "given_name": "Amina", "family_name": "Osman", "sex": "female",
                                  "date_of_birth": "1990-02-11", "nationality": "ERI"})

    def test_candidates_come_back_before_the_member_is_saved(self, as_caseworker, db, cw, head):
        original = df.person(db, cw, df.ORIGINAL)
        before = df.count(db, Person)
        response = post_member(as_caseworker, head.id)
        assert response.status_code == 200
        page = response.text
        assert 'id="duplicates"' in page and f'href="/people/{original.id}"' in page
        assert "Add anyway" in page and 'name="member_duplicate_reason"' in page
        assert 'value="Hussain"' in page and 'value="sibling" selected' in page
        assert df.count(db, Person) == before

    def test_add_anyway_saves_the_member_into_the_household(self, as_caseworker, db, cw, head):
        df.person(db, cw, df.ORIGINAL)
        checked = post_member(as_caseworker, head.id)
        fingerprint = checked.text.split('name="member_checked" value="')[1].split('"')[0]
        assert post_member(as_caseworker, head.id, member_checked=fingerprint).status_code == 422
        response = post_member(as_caseworker, head.id, member_checked=fingerprint,
                               member_duplicate_reason="Her brother, not the man registered in March.")
        assert response.status_code == 303 and response.headers["location"].endswith("#household")
        member = db.scalars(select(Person).where(Person.given_name == "Hussain")).one()
        assert member.household_id == head.household_id is not None
        assert {p.registration_reason for p in db.scalars(select(MatchCandidate))} == {
            "Her brother, not the man registered in March."}

    def test_without_candidates_the_member_is_added_at_once(self, as_caseworker, head):
        response = post_member(as_caseworker, head.id, member_given_name="Lucía", member_family_name="Fernández",
                               member_nationality="COL", member_date_of_birth="2001-11-30")
        assert response.status_code == 303


class TestReviewPages:
    def test_queue_lists_the_pair_and_the_pair_page_shows_both_records(self, as_supervisor, db, cw):
        df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        pair = db.scalars(select(MatchCandidate)).one()
        queue = as_supervisor.get("/dedup/review")
        assert queue.status_code == 200 and f'href="/dedup/review/{pair.id}"' in queue.text
        page = as_supervisor.get(f"/dedup/review/{pair.id}").text
        assert 'id="person-a"' in page and 'id="person-b"' in page
        assert "Mohammed Hussein" in page and "Hussain Muhammad" in page
        assert "date of birth with day and month swapped" in page and "(+" not in page
        assert page.count(f'action="/dedup/review/{pair.id}/merge"') == 2

    def test_reject_from_the_page(self, as_supervisor, db, cw):
        df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        pair = db.scalars(select(MatchCandidate)).one()
        token = csrf(as_supervisor.get(f"/dedup/review/{pair.id}").text)
        response = as_supervisor.post(f"/dedup/review/{pair.id}/reject", data={"csrf_token": token},
                                      follow_redirects=False)
        assert response.status_code == 303
        db.expire_all()
        assert db.get(MatchCandidate, pair.id).status == CandidateStatus.REJECTED

    def test_merge_then_unmerge_from_the_pages(self, as_supervisor, db, cw):
        a, b = df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT)
        pair = db.scalars(select(MatchCandidate)).one()
        token = csrf(as_supervisor.get(f"/dedup/review/{pair.id}").text)
        merged = as_supervisor.post(f"/dedup/review/{pair.id}/merge", follow_redirects=False,
                                    data={"csrf_token": token, "survivor_id": str(a.id), "merged_id": str(b.id)})
        assert merged.status_code == 303 and merged.headers["location"] == f"/people/{a.id}"
        survivor_page = as_supervisor.get(f"/people/{a.id}").text
        assert "merge-banner" in survivor_page and "Unmerge" in survivor_page
        redirect = as_supervisor.get(f"/people/{b.id}", follow_redirects=False)
        assert redirect.status_code == 303 and redirect.headers["location"] == f"/people/{a.id}"
        merge = db.scalars(select(PersonMerge)).one()
        undone = as_supervisor.post(f"/dedup/merges/{merge.id}/unmerge", follow_redirects=False,
                                    data={"csrf_token": csrf(survivor_page)})
        assert undone.status_code == 303 and undone.headers["location"] == f"/people/{b.id}"
        assert as_supervisor.get(f"/people/{b.id}", follow_redirects=False).status_code == 200

    def test_caseworker_cannot_open_the_queue(self, as_caseworker):
        assert as_caseworker.get("/dedup/review").status_code == 403

    def test_arabic_queue_page_is_translated(self, as_supervisor):
        page = as_supervisor.get("/dedup/review?lang=ar").text
        assert 'dir="rtl"' in page and "تكرارات محتملة" in page
