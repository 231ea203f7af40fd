"""JSON API for screenings, determinations, overrides, appeals and rule sets."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from crossroads.audit.service import record_event
from crossroads.auth.deps import ApiUser
from crossroads.eligibility import decisions, rule_admin, service
from crossroads.eligibility.models import Screening
from crossroads.eligibility.schemas import (
    AppealCreate,
    AppealDecision,
    AppealOut,
    DeterminationOut,
    OverrideCreate,
    OverrideDecision,
    OverrideOut,
    RuleSetCreate,
    RuleSetDetail,
    RuleSetOut,
    ScreeningCreate,
    ScreeningOut,
)
from crossroads.kit.inputs import RowId
from crossroads.web.deps import DbSession

router = APIRouter(tags=["eligibility"])


def _screening_out(principal, case, screening: Screening) -> ScreeningOut:
    answers, hidden = service.visible_answers(principal, case, screening)
    return ScreeningOut(id=screening.id, case_id=screening.case_id, instrument=screening.instrument,
                        instrument_version=screening.instrument_version, answers=answers, hidden=hidden,
                        score=screening.score, screened_by=screening.screened_by, screened_at=screening.screened_at)


@router.post("/cases/{case_id}/screenings", response_model=ScreeningOut, status_code=201)
def record_screening(case_id: uuid.UUID, body: ScreeningCreate, session: DbSession, principal: ApiUser):
    screening = service.record_screening(session, principal=principal, case_id=case_id, data=body)
    case = service.load_case(session, principal, case_id)
    return _screening_out(principal, case, screening)


@router.get("/cases/{case_id}/screenings", response_model=list[ScreeningOut])
def list_screenings(case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    case, rows = service.list_screenings(session, principal=principal, case_id=case_id)
    return [_screening_out(principal, case, s) for s in rows]


def _determinations(listing: service.CaseDeterminations) -> list[DeterminationOut]:
    return [DeterminationOut.model_validate(d).model_copy(update={
        "rule_set_version": listing.versions.get(d.rule_set_id, ""),
        "effective_outcome": listing.effective_outcome(d),
        "overrides": [OverrideOut.model_validate(o) for o in listing.overrides.get(d.id, [])],
        "appeals": [AppealOut.model_validate(a) for a in listing.appeals.get(d.id, [])],
    }) for d in listing.determinations]


@router.post("/cases/{case_id}/determinations", response_model=DeterminationOut, status_code=201, responses={409: {}})
def determine(case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    determination = service.determine(session, principal=principal, case_id=case_id)
    row = session.get(service.RuleSetVersion, determination.rule_set_id)
    return DeterminationOut.model_validate(determination).model_copy(update={
        "rule_set_version": row.version if row else "", "effective_outcome": determination.outcome})


@router.get("/cases/{case_id}/determinations", response_model=list[DeterminationOut])
def list_determinations(case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return _determinations(service.list_determinations(session, principal=principal, case_id=case_id))


@router.post("/determinations/{determination_id}/overrides", response_model=OverrideOut, status_code=201,
             responses={409: {}})
def request_override(determination_id: uuid.UUID, body: OverrideCreate, session: DbSession, principal: ApiUser):
    return decisions.request_override(session, principal=principal, determination_id=determination_id, data=body)


@router.get("/overrides/pending", response_model=list[OverrideOut])
def pending_overrides(session: DbSession, principal: ApiUser):
    return [o for o, _, _ in decisions.pending_overrides(session, principal=principal)]


@router.post("/overrides/{override_id}/decision", response_model=OverrideOut, responses={409: {}})
def decide_override(override_id: uuid.UUID, body: OverrideDecision, session: DbSession, principal: ApiUser):
    return decisions.decide_override(session, principal=principal, override_id=override_id, data=body)


@router.post("/determinations/{determination_id}/appeals", response_model=AppealOut, status_code=201,
             responses={409: {}})
def lodge_appeal(determination_id: uuid.UUID, body: AppealCreate, session: DbSession, principal: ApiUser):
    return decisions.lodge_appeal(session, principal=principal, determination_id=determination_id, data=body)


@router.post("/appeals/{appeal_id}/decision", response_model=AppealOut, responses={409: {}})
def decide_appeal(appeal_id: uuid.UUID, body: AppealDecision, session: DbSession, principal: ApiUser):
    return decisions.decide_appeal(session, principal=principal, appeal_id=appeal_id, data=body)


@router.get("/programmes/{code}/rule-sets", response_model=list[RuleSetOut])
def list_rule_sets(code: str, session: DbSession, principal: ApiUser):
    rows = rule_admin.list_rule_sets(session, principal=principal, programme=code)
    record_event(session, actor=principal, action="ruleset.list", entity_type="programme", entity_id=code,
                 details={"rule_sets": len(rows)})
    return rows


@router.post("/programmes/{code}/rule-sets", response_model=RuleSetDetail, status_code=201, responses={409: {}})
def draft_rule_set(code: str, body: RuleSetCreate, session: DbSession, principal: ApiUser):
    return rule_admin.draft_rule_set(session, principal=principal, programme=code, data=body)


@router.get("/rule-sets/{rule_set_id}", response_model=RuleSetDetail)
def get_rule_set(rule_set_id: RowId, session: DbSession, principal: ApiUser):
    row = rule_admin.get_rule_set(session, principal=principal, rule_set_id=rule_set_id)
    record_event(session, actor=principal, action="ruleset.read", entity_type="rule_set", entity_id=row.id,
                 details={"programme": row.programme, "version": row.version})
    return row


@router.post("/rule-sets/{rule_set_id}/diff", response_model=RuleSetDetail, responses={409: {}})
def diff_rule_set(rule_set_id: RowId, session: DbSession, principal: ApiUser):
    return rule_admin.diff_rule_set(session, principal=principal, rule_set_id=rule_set_id)


@router.post("/rule-sets/{rule_set_id}/activate", response_model=RuleSetDetail, responses={409: {}})
def activate_rule_set(rule_set_id: RowId, session: DbSession, principal: ApiUser):
    return rule_admin.activate_rule_set(session, principal=principal, rule_set_id=rule_set_id)
