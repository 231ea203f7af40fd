"""Screenings, determinations, overrides, appeals and rule sets through the services, on the test database."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from crossroads.audit.models import AuditEvent
from crossroads.eligibility import decisions, rule_admin, service
from crossroads.eligibility.inputs import age_on, case_inputs
from crossroads.eligibility.models import (
    AppealStatus,
    Determination,
    OverrideStatus,
    RuleSetStatus,
    RuleSetVersion,
)
from crossroads.eligibility.reevaluation_run import id_ranges
from crossroads.eligibility.schemas import AppealCreate, AppealDecision, OverrideDecision, RuleSetCreate
from crossroads.kit.errors import Conflict, Forbidden, Invalid, NotFound
from tests.factories import cases as cf
from tests.factories import eligibility as ef


@pytest.fixture
def scene(db, world):
    cw = world.principal(db, "caseworker_a")
    case = cf.case_in_state(db, cw, "avrr", data={"country_of_return": "IRQ"})
    return cw, case


def actions(db, name: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == name)))


class TestInputs:
    def test_age_counts_whole_years_on_the_day(self):
        assert age_on(date(2000, 6, 15), date(2026, 6, 14)) == 25
        assert age_on(date(2000, 6, 15), date(2026, 6, 15)) == 26
        assert age_on(None, date(2026, 6, 15)) is None

    def test_a_later_screening_replaces_the_earlier_one_whole(self):
        inputs = case_inputs(date_of_birth=None, sex="unknown", nationality="IRQ", data={"country_of_return": "IRQ"},
                             screenings=[("wg", {"seeing": "some", "hearing": "a_lot"}, 3, {"disability": True}),
                                         ("wg", {"seeing": "none"}, 0, {"disability": False})],
                             on=date(2026, 1, 1))
        assert inputs["screening.wg.seeing"] == "none" and "screening.wg.hearing" not in inputs
        assert inputs["screening.wg.disability"] is False and inputs["screening.wg.score"] == 0
        assert inputs["person.sex"] is None and inputs["case.country_of_return"] == "IRQ"
        assert inputs["today"] == date(2026, 1, 1)


class TestRecordScreening:
    def test_keeps_version_answers_classes_and_audits_question_codes_only(self, db, scene):
        cw, case = scene
        screening = ef.screening(db, cw, case.id)
        assert screening.answers["wishes_to_return"] is True
        assert screening.sensitivity["legal_obstacle_to_departure"] == "sensitive"
        assert screening.instrument_version and screening.screened_by == cw.user_id
        event = actions(db, "screening.record")[-1]
        assert "wishes_to_return" in event.details["questions"] and "True" not in str(event.details)

    def test_answer_to_a_skipped_question_names_it(self, db, scene):
        cw, case = scene
        with pytest.raises(Invalid) as refused:
            ef.screening(db, cw, case.id, answers={"holds_travel_document": True, "can_obtain_travel_document": True})
        assert refused.value.field == "answers.can_obtain_travel_document"

    def test_unknown_instrument_is_refused(self, db, scene):
        cw, case = scene
        with pytest.raises(Invalid) as refused:
            ef.screening(db, cw, case.id, instrument="horoscope", answers={})
        assert refused.value.field == "instrument"

    def test_case_of_another_office_is_not_found(self, db, world, scene):
        _, case = scene
        with pytest.raises(NotFound):
            ef.screening(db, world.principal(db, "caseworker_b"), case.id)


class TestVisibleAnswers:
    def test_caseworker_not_holding_the_case_reads_no_sensitive_answer(self, db, world, scene):
        cw, case = scene
        screening = ef.screening(db, cw, case.id)
        other = world.principal(db, "caseworker_a")
        case.assigned_to = None
        shown, hidden = service.visible_answers(other, case, screening)
        assert "legal_obstacle_to_departure" not in shown and hidden == 1
        shown, hidden = service.visible_answers(world.principal(db, "supervisor_a"), case, screening)
        assert hidden == 0 and shown["legal_obstacle_to_departure"] is False


class TestDetermine:
    def test_eligible_with_a_trace_for_every_criterion(self, db, scene):
        cw, case = scene
        ef.active(db)
        ef.eligible_case_inputs(db, cw, case.id)
        determination = ef.determination(db, cw, case.id)
        assert determination.outcome == "eligible"
        statuses = {c["code"]: c["status"] for c in determination.trace["criteria"]}
        assert set(statuses.values()) == {"met"} and "travel_document" in statuses
        assert determination.inputs["screening.return_counselling.wishes_to_return"] is True
        assert actions(db, "determination.run")[-1].details["outcome"] == "eligible"

    def test_missing_answers_leave_it_undetermined_and_say_why(self, db, scene):
        cw, case = scene
        ef.active(db)
        determination = ef.determination(db, cw, case.id)
        assert determination.outcome == "undetermined"
        unknown = [c for c in determination.trace["criteria"] if c["status"] == "unknown"]
        assert unknown and all(c["reason"] for c in unknown)

    def test_a_new_determination_supersedes_the_last(self, db, scene):
        cw, case = scene
        ef.active(db)
        first = ef.determination(db, cw, case.id)
        second = ef.determination(db, cw, case.id)
        db.refresh(first)
        assert first.superseded and first.superseded_at is not None and not second.superseded

    def test_the_session_sees_the_replaced_determination_without_a_refresh(self, db, scene):
        cw, case = scene
        ef.active(db)
        first = ef.determination(db, cw, case.id)
        second = ef.determination(db, cw, case.id)
        assert first.superseded and first.superseded_at == second.determined_at
        assert service.current_determination(db, case.id) is second

    def test_the_determination_returned_is_the_row_stored(self, db, scene):
        cw, case = scene
        ef.active(db)
        ef.eligible_case_inputs(db, cw, case.id)
        returned = ef.determination(db, cw, case.id)
        kept = {c: getattr(returned, c) for c in ("case_id", "office_id", "rule_set_id", "inputs", "trace",
                                                   "outcome", "priority", "determined_by", "superseded")}
        db.expire_all()
        stored = db.get(Determination, returned.id)
        assert stored is not None and stored.outcome == "eligible"
        assert {c: getattr(stored, c) for c in kept} == kept

    def test_the_latest_screening_of_each_instrument_decides(self, db, scene):
        cw, case = scene
        ef.active(db)
        ef.eligible_case_inputs(db, cw, case.id)
        ef.screening(db, cw, case.id, answers={**ef.READY_TO_RETURN, "wishes_to_return": False})
        determination = ef.determination(db, cw, case.id)
        assert determination.inputs["screening.return_counselling.wishes_to_return"] is False
        assert determination.outcome == "not_eligible"

    def test_case_of_another_office_is_not_found_and_nothing_is_written(self, db, world, scene):
        _, case = scene
        ef.active(db)
        with pytest.raises(NotFound) as refused:
            ef.determination(db, world.principal(db, "caseworker_b"), case.id)
        assert refused.value.field == "case_id"
        assert db.scalar(select(func.count()).select_from(Determination)) == 0
        assert actions(db, "determination.run") == []

    def test_without_an_active_rule_set_it_is_a_conflict(self, db, scene):
        cw, case = scene
        with pytest.raises(Conflict) as refused:
            ef.determination(db, cw, case.id)
        assert refused.value.field == "programme"


class TestOverride:
    def test_granting_eligibility_waits_for_a_supervisor_who_approves_it(self, db, world, scene):
        cw, case = scene
        ef.active(db)
        determination = ef.determination(db, cw, case.id)
        override = ef.override(db, cw, determination.id)
        assert override.needs_approval and override.status is OverrideStatus.PENDING
        listing = service.list_determinations(db, principal=cw, case_id=case.id)
        assert listing.effective_outcome(determination) == "undetermined"
        decisions.decide_override(db, principal=world.principal(db, "supervisor_a"), override_id=override.id,
                                  data=OverrideDecision(approve=True, note="Seen the letter."))
        assert override.status is OverrideStatus.APPROVED
        assert service.list_determinations(db, principal=cw, case_id=case.id).effective_outcome(
            determination) == "eligible"

    def test_refusing_help_applies_at_once(self, db, scene):
        cw, case = scene
        ef.active(db)
        ef.eligible_case_inputs(db, cw, case.id)
        determination = ef.determination(db, cw, case.id)
        override = ef.override(db, cw, determination.id, outcome="not_eligible", reason="Left the country.")
        assert not override.needs_approval and override.status is OverrideStatus.APPLIED

    def test_programme_may_ask_approval_for_every_override(self, db, scene):
        cw, case = scene
        ef.active(db, approve_every_override=True)
        ef.eligible_case_inputs(db, cw, case.id)
        determination = ef.determination(db, cw, case.id)
        assert ef.override(db, cw, determination.id, outcome="not_eligible").needs_approval

    def test_same_outcome_is_refused_naming_it(self, db, scene):
        cw, case = scene
        ef.active(db)
        determination = ef.determination(db, cw, case.id)
        with pytest.raises(Invalid) as refused:
            ef.override(db, cw, determination.id, outcome="undetermined")
        assert refused.value.field == "outcome"

    def test_requester_may_not_approve_their_own(self, db, world, scene):
        cw, case = scene
        supervisor = world.principal(db, "supervisor_a")
        ef.active(db)
        determination = ef.determination(db, cw, case.id)
        override = ef.override(db, supervisor, determination.id)
        with pytest.raises(Forbidden):
            decisions.decide_override(db, principal=supervisor, override_id=override.id,
                                      data=OverrideDecision(approve=True))

    def test_queue_lists_the_pending_overrides_of_the_office(self, db, world, scene):
        cw, case = scene
        ef.active(db)
        override = ef.override(db, cw, ef.determination(db, cw, case.id).id)
        rows = decisions.pending_overrides(db, principal=world.principal(db, "supervisor_a"))
        assert [o.id for o, _, _ in rows] == [override.id]
        assert decisions.count_pending_overrides(db, world.principal(db, "supervisor_a")) == 1
        assert decisions.count_pending_overrides(db, cw) is None
        cf.add_workflow_staff(db, world)
        assert decisions.pending_overrides(db, principal=world.principal(db, "supervisor_b")) == []


class TestAppeal:
    def test_overturned_appeal_puts_the_new_outcome_in_force(self, db, world, scene):
        cw, case = scene
        supervisor = world.principal(db, "supervisor_a")
        ef.active(db)
        determination = ef.determination(db, cw, case.id)
        appeal = decisions.lodge_appeal(db, principal=cw, determination_id=determination.id,
                                        data=AppealCreate(grounds="She holds a passport; it was not asked."))
        decisions.decide_appeal(db, principal=supervisor, appeal_id=appeal.id,
                                data=AppealDecision(status="under_review"))
        assert appeal.status is AppealStatus.UNDER_REVIEW
        decisions.decide_appeal(db, principal=supervisor, appeal_id=appeal.id, data=AppealDecision(
            status="overturned", decision="The passport was seen.", new_outcome="eligible"))
        assert appeal.status is AppealStatus.OVERTURNED and appeal.decided_by == supervisor.user_id
        listing = service.list_determinations(db, principal=cw, case_id=case.id)
        assert listing.effective_outcome(determination) == "eligible"
        assert listing.overrides[determination.id][0].appeal_id == appeal.id

    @pytest.mark.parametrize(("body", "field"), [
        ({"status": "overturned", "decision": "Wrong."}, "new_outcome"),
        ({"status": "upheld"}, "decision"),
        ({"status": "upheld", "decision": "Right.", "new_outcome": "eligible"}, "new_outcome"),
    ])
    def test_incomplete_decision_names_the_field(self, db, world, scene, body, field):
        cw, case = scene
        ef.active(db)
        determination = ef.determination(db, cw, case.id)
        appeal = decisions.lodge_appeal(db, principal=cw, determination_id=determination.id,
                                        data=AppealCreate(grounds="Not asked."))
        with pytest.raises(Invalid) as refused:
            decisions.decide_appeal(db, principal=world.principal(db, "supervisor_a"), appeal_id=appeal.id,
                                    data=AppealDecision.model_validate(body))
        assert refused.value.field == field

    def test_caseworker_may_not_decide(self, db, scene):
        cw, case = scene
        ef.active(db)
        appeal = decisions.lodge_appeal(db, principal=cw, determination_id=ef.determination(db, cw, case.id).id,
                                        data=AppealCreate(grounds="Not asked."))
        with pytest.raises(Forbidden):
            decisions.decide_appeal(db, principal=cw, appeal_id=appeal.id, data=AppealDecision(status="upheld",
                                                                                               decision="No."))


def _draft(db, admin, source: str, version: str = "2027.1"):
    return rule_admin.draft_rule_set(db, principal=admin, programme="avrr",
                                     data=RuleSetCreate(version=version, source=source))


class TestRuleSets:
    def test_malformed_file_is_refused_with_its_line(self, db, world):
        admin = world.principal(db, "admin")
        broken = (ef.rulesets.shipped_ruleset_text("avrr") or "").replace(
            "screening.return_counselling.wishes_to_return == true", "screening.return_counselling.wishes_to == true")
        with pytest.raises(Invalid) as refused:
            _draft(db, admin, broken)
        assert refused.value.field == "source" and str(refused.value.message).startswith("line 9: ")

    def test_activation_needs_a_diff_report_against_the_active_version(self, db, world, scene):
        cw, case = scene
        admin = world.principal(db, "admin")
        old = ef.active(db)
        ef.eligible_case_inputs(db, cw, case.id)
        stricter = (ef.rulesets.shipped_ruleset_text("avrr") or "").replace(
            'when: "case.country_of_return is known"', 'when: "case.country_of_return == \\"SEN\\""')
        draft = _draft(db, admin, stricter)
        with pytest.raises(Conflict):
            rule_admin.activate_rule_set(db, principal=admin, rule_set_id=draft.id)
        rule_admin.diff_rule_set(db, principal=admin, rule_set_id=draft.id)
        report = draft.diff_report
        assert report["against"] == old.id and report["changed"] >= 1
        change = next(c for c in report["changes"] if c["case_id"] == str(case.id))
        assert change == {"case_id": str(case.id), "old": "eligible", "new": "not_eligible",
                          "criteria": ["country_of_return"]}
        rule_admin.activate_rule_set(db, principal=admin, rule_set_id=draft.id)
        db.refresh(old)
        assert draft.status is RuleSetStatus.ACTIVE and old.status is RuleSetStatus.RETIRED
        assert ef.determination(db, cw, case.id).outcome == "not_eligible"

    def test_a_reused_row_id_never_decides_with_the_rules_compiled_for_the_earlier_row(self):
        shipped = ef.rulesets.shipped_ruleset_text("avrr") or ""
        stricter = shipped.replace('when: "case.country_of_return is known"',
                                   'when: "case.country_of_return == \\"SEN\\""')
        first = RuleSetVersion(id=9_999, programme="avrr", version="2027.1", source=shipped,
                               created_at=datetime(2027, 1, 1, 9, 0))
        again = RuleSetVersion(id=9_999, programme="avrr", version="2027.1", source=stricter,
                               created_at=datetime(2027, 1, 1, 9, 5))
        assert service.compiled(first) is service.compiled(first)
        assert service.compiled(again) is not service.compiled(first)
        inputs = case_inputs(date_of_birth=None, sex=None, nationality="IRQ", data={"country_of_return": "IRQ"},
                             screenings=[], on=date(2027, 1, 2))
        statuses = {c.code: status for c, status in zip(service.compiled(again).criteria,
                                                         ef.rulesets.outcome_of(service.compiled(again), inputs)[1],
                                                         strict=True)}
        assert statuses["country_of_return"] == "not_met"

    def test_duplicate_version_is_a_conflict(self, db, world):
        admin = world.principal(db, "admin")
        source = ef.rulesets.shipped_ruleset_text("avrr") or ""
        _draft(db, admin, source)
        with pytest.raises(Conflict) as refused:
            _draft(db, admin, source)
        assert refused.value.field == "version"

    def test_caseworker_may_not_draft(self, db, scene):
        cw, _ = scene
        with pytest.raises(Forbidden):
            _draft(db, cw, ef.rulesets.shipped_ruleset_text("avrr") or "")


class TestIdRanges:
    def test_ranges_cover_the_id_space_without_gaps(self):
        ranges = id_ranges(4)
        assert ranges[0][0] is None and ranges[-1][1] is None
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))


def test_determinations_count(db, scene):
    cw, case = scene
    ef.active(db)
    ef.determination(db, cw, case.id)
    assert db.scalar(select(func.count()).select_from(Determination).where(Determination.case_id == case.id)) == 1
