"""The eligibility API: bad input named and nothing written, scope, audit, and the whole flow."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.eligibility import rulesets
from crossroads.eligibility.models import Override, RuleSetVersion, Screening
from tests.factories import cases as cf
from tests.factories import eligibility as ef

API = "/api/v1"


@pytest.fixture
def case_id(client, cw, db):
    ef.active(db, "avrr")
    return cf.register_and_open(client, cw)["id"]


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def screen(client, headers, case_id, instrument="return_counselling", answers=None):
    return client.post(f"{API}/cases/{case_id}/screenings", headers=headers,
                       json={"instrument": instrument, "answers": ef.READY_TO_RETURN if answers is None else answers})


class TestScreenings:
    @pytest.mark.parametrize(("body", "field"), [
        ({"instrument": "horoscope", "answers": {}}, "instrument"),
        ({"instrument": "return_counselling", "answers": {"wishes_to_return": "perhaps"}}, "answers.wishes_to_return"),
        ({"instrument": "return_counselling", "answers": {"favourite_colour": "blue"}}, "answers.favourite_colour"),
        ({"instrument": "return_counselling", "answers": {"holds_travel_document": True,
                                                          "can_obtain_travel_document": True}},
         "answers.can_obtain_travel_document"),
        ({"instrument": "return_counselling"}, "answers"),
        ({"instrument": "Return Counselling!", "answers": {}}, "instrument"),
    ])
    def test_bad_answers_name_the_field_and_write_nothing(self, client, cw, db, case_id, body, field):
        before = count(db, Screening)
        response = client.post(f"{API}/cases/{case_id}/screenings", headers=cw, json=body)
        assert response.status_code == 422, response.text
        assert field in {e.get("field") or ".".join(map(str, e.get("loc", [])[1:])) for e in response.json()["detail"]}
        assert count(db, Screening) == before

    def test_lists_answers_under_the_readers_classes(self, client, cw, headers, case_id):
        assert screen(client, cw, case_id).status_code == 201
        mine = client.get(f"{API}/cases/{case_id}/screenings", headers=cw).json()[0]
        assert mine["answers"]["legal_obstacle_to_departure"] is False and mine["hidden"] == 0

    def test_other_office_is_not_found(self, client, headers, case_id):
        assert screen(client, headers("caseworker_b"), case_id).status_code == 404


class TestDeterminationFlow:
    def test_screening_to_determination_to_override_with_approval_and_appeal(self, client, cw, headers, db,
                                                                              case_id):
        version = client.get(f"{API}/cases/{case_id}", headers=cw).json()["version"]
        cf.fill(client, cw, case_id, version, country_of_return="IRQ")
        screen(client, cw, case_id)
        screen(client, cw, case_id, "medical_protection", {"fear_of_harm_on_return": True})
        response = client.post(f"{API}/cases/{case_id}/determinations", headers=cw)
        assert response.status_code == 201, response.text
        determination = response.json()
        assert determination["outcome"] == "not_eligible"
        refused = [c for c in determination["trace"]["criteria"] if c["status"] == "not_met"]
        assert [c["code"] for c in refused] == ["no_fear_of_harm_on_return"]

        missing = client.post(f"{API}/determinations/{determination['id']}/overrides", headers=cw,
                              json={"outcome": "eligible", "reason": "   "})
        assert missing.status_code == 422 and "reason" in missing.text
        assert count(db, Override) == 0

        override = client.post(f"{API}/determinations/{determination['id']}/overrides", headers=cw,
                               json={"outcome": "eligible", "reason": "Protection assessment found no risk."})
        assert override.status_code == 201 and override.json()["status"] == "pending"
        queue = client.get(f"{API}/overrides/pending", headers=headers("supervisor_a")).json()
        assert [o["id"] for o in queue] == [override.json()["id"]]
        decided = client.post(f"{API}/overrides/{override.json()['id']}/decision", headers=headers("supervisor_a"),
                              json={"approve": True})
        assert decided.status_code == 200 and decided.json()["status"] == "approved"
        again = client.post(f"{API}/overrides/{override.json()['id']}/decision", headers=headers("supervisor_a"),
                            json={"approve": False})
        assert again.status_code == 409

        listed = client.get(f"{API}/cases/{case_id}/determinations", headers=cw).json()
        assert listed[0]["effective_outcome"] == "eligible" and listed[0]["rule_set_version"]

        appeal = client.post(f"{API}/determinations/{determination['id']}/appeals", headers=cw,
                             json={"grounds": "She was not told about the protection programme."})
        assert appeal.status_code == 201
        upheld = client.post(f"{API}/appeals/{appeal.json()['id']}/decision", headers=headers("supervisor_a"),
                             json={"status": "upheld", "decision": "The outcome in force stands."})
        assert upheld.status_code == 200 and upheld.json()["status"] == "upheld"
        actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == case_id)))
        assert {"screening.record", "determination.run", "override.request", "override.decide", "appeal.lodge",
                "appeal.decide", "determination.list"} <= actions

    def test_unknown_determination_is_not_found(self, client, cw):
        response = client.post(f"{API}/determinations/00000000-0000-0000-0000-000000000001/overrides", headers=cw,
                               json={"outcome": "eligible", "reason": "Because."})
        assert response.status_code == 404


class TestRuleSets:
    def test_draft_diff_activate(self, client, headers, db):
        admin = headers("admin")
        source = rulesets.shipped_ruleset_text("counter_trafficking")
        draft = client.post(f"{API}/programmes/counter_trafficking/rule-sets", headers=admin,
                            json={"version": "2027.1", "source": source})
        assert draft.status_code == 201, draft.text
        rid = draft.json()["id"]
        early = client.post(f"{API}/rule-sets/{rid}/activate", headers=admin)
        assert early.status_code == 409 and "diff" in early.text
        report = client.post(f"{API}/rule-sets/{rid}/diff", headers=admin).json()["diff_report"]
        assert report["against"] is None and report["cases"] == report["changed"]
        active = client.post(f"{API}/rule-sets/{rid}/activate", headers=admin)
        assert active.status_code == 200 and active.json()["status"] == "active"
        assert db.get(RuleSetVersion, rid).activated_at is not None

    def test_malformed_file_is_refused_with_its_line(self, client, headers, db):
        before = count(db, RuleSetVersion)
        response = client.post(f"{API}/programmes/avrr/rule-sets", headers=headers("admin"),
                               json={"version": "bad", "source": "programme: avrr\nversion: '1'\ncriteria: [\n"})
        assert response.status_code == 422 and "source" in response.text and "line" in response.text
        assert count(db, RuleSetVersion) == before

    def test_unknown_programme_is_not_found(self, client, headers):
        response = client.get(f"{API}/programmes/astrology/rule-sets", headers=headers("admin"))
        assert response.status_code == 404
