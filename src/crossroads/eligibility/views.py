"""HTML: screening, the determination card, overrides and appeals on the case page; the supervisor's queue of
overrides; the administrator's rule sets with their diff reports."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from crossroads.auth.deps import UiUser
from crossroads.auth.models import User
from crossroads.auth.policy import Principal, may_decide_appeal, may_decide_override, require
from crossroads.auth.roles import Action
from crossroads.cases import page
from crossroads.cases.models import Case
from crossroads.cases.service import load_case
from crossroads.db.session import attempt
from crossroads.eligibility import decisions, instruments, rule_admin, rulesets, service
from crossroads.eligibility.models import AppealStatus, Outcome, OverrideStatus, RuleSetStatus
from crossroads.eligibility.schemas import (
    AppealCreate,
    AppealDecision,
    OverrideCreate,
    OverrideDecision,
    ScreeningCreate,
)
from crossroads.kit.errors import DomainError
from crossroads.kit.i18n import N_
from crossroads.kit.inputs import RowId
from crossroads.programmes import service as programmes
from crossroads.web.deps import DbSession
from crossroads.web.forms import Form, field_errors, form_page_on_get, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)

OUTCOME_LABELS = rulesets.OUTCOME_LABELS
STATUS_LABELS = rulesets.STATUS_LABELS
OVERRIDE_LABELS = {OverrideStatus.APPLIED: N_("In force"), OverrideStatus.PENDING: N_("Waiting for a supervisor"),
                   OverrideStatus.APPROVED: N_("Approved"), OverrideStatus.REJECTED: N_("Rejected")}
APPEAL_LABELS = {AppealStatus.LODGED: N_("Lodged"), AppealStatus.UNDER_REVIEW: N_("Under review"),
                 AppealStatus.UPHELD: N_("Upheld: the determination stands"),
                 AppealStatus.OVERTURNED: N_("Overturned"), AppealStatus.WITHDRAWN: N_("Withdrawn")}
RULESET_LABELS = {RuleSetStatus.DRAFT: N_("Draft"), RuleSetStatus.ACTIVE: N_("Active"),
                  RuleSetStatus.RETIRED: N_("Retired")}
LABELS: dict[str, Any] = {"outcome_labels": OUTCOME_LABELS, "status_labels": STATUS_LABELS,
                          "override_labels": OVERRIDE_LABELS, "appeal_labels": APPEAL_LABELS,
                          "ruleset_labels": RULESET_LABELS, "eligibility_outcomes": list(Outcome)}


def _user_names(session: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


def eligibility_section(session: Session, principal: Principal, case: Case) -> dict[str, Any]:
    """The eligibility section of the case page (templates/eligibility/_case_eligibility.html)."""
    if not principal.may(Action.DETERMINATION_READ):
        return {"eligibility": None}
    _, screenings = service.list_screenings(session, principal=principal, case_id=case.id)
    listing = service.list_determinations(session, principal=principal, case_id=case.id)
    current = next((d for d in listing.determinations if not d.superseded), None)
    known = instruments.default_instruments()
    shown = []
    for s in screenings:
        answers, hidden = service.visible_answers(principal, case, s)
        shown.append({"screening": s, "answers": answers, "hidden": hidden, "instrument": known.get(s.instrument)})
    card = None
    if current is not None:
        overrides = listing.overrides.get(current.id, [])
        appeals = listing.appeals.get(current.id, [])
        open_appeal = next((a for a in appeals if a.status in (AppealStatus.LODGED, AppealStatus.UNDER_REVIEW)),
                           None)
        card = {
            "determination": current, "evaluation": rulesets.Evaluation.from_json(current.trace),
            "version": listing.versions.get(current.rule_set_id, ""),
            "effective": listing.effective_outcome(current), "overrides": overrides, "appeals": appeals,
            "pending_override": any(o.status is OverrideStatus.PENDING for o in overrides),
            "open_appeal": open_appeal,
            "may_decide_appeal": open_appeal is not None and may_decide_appeal(principal, open_appeal.lodged_by),
        }
        card["decidable_overrides"] = [o for o in overrides if o.status is OverrideStatus.PENDING
                                       and may_decide_override(principal, o.requested_by)]
    names = _user_names(session, {s.screened_by for s in screenings}
                        | {d.determined_by for d in listing.determinations}
                        | {o.requested_by for os in listing.overrides.values() for o in os}
                        | {a.lodged_by for as_ in listing.appeals.values() for a in as_})
    return {"eligibility": {
        "instruments": sorted(known.values(), key=lambda i: i.code), "screenings": shown, "card": card,
        "earlier": [d for d in listing.determinations if d is not current], "has_rules":
            service.active_rule_set(session, case.programme) is not None, "names": names,
    }, **LABELS}


page.SECTIONS.append(eligibility_section)


def _errors(refusal: Exception) -> dict[str, str]:
    if isinstance(refusal, ValidationError):
        return field_errors(refusal)
    assert isinstance(refusal, DomainError)
    return {refusal.field or "form": refusal.message}


def _answer(question: Any, raw: str) -> Any:
    if question.type == "yes_no":
        return {"yes": True, "no": False}.get(raw, raw)
    if question.type == "number":
        for kind in (int, float):
            try:
                return kind(raw)
            except ValueError:
                pass
    return raw


def _answers(instrument: instruments.Instrument, form: FormData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in instrument.questions:
        raw = text(form, f"q_{q.code}")
        if raw is not None:
            out[q.code] = _answer(q, raw)
    return out


def _screening_page(request: Request, session: Session, principal: Principal, case_id: uuid.UUID, code: str, *,
                    values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                    status_code: int = 200) -> Response:
    require(principal, Action.SCREENING_RECORD)
    case = load_case(session, principal, case_id)
    instrument = service.instrument_of(code)
    return render(request, "eligibility/screening.html", {
        "case": case, "instrument": instrument, "values": values or {}, "errors": errors or {}, **LABELS,
    }, status_code=status_code)


@router.get("/cases/{case_id}/screenings/new")
def new_screening(case_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser,
                  instrument: Annotated[str, Query(max_length=60)] = "trafficking_indicators") -> Response:
    return _screening_page(request, session, principal, case_id, instrument)


@router.post("/cases/{case_id}/screenings")
def record_screening(case_id: uuid.UUID, request: Request, form: Form, session: DbSession,
                     principal: UiUser) -> Response:
    code = text(form, "instrument") or ""
    instrument = service.instrument_of(code)
    with attempt(session) as tried:
        service.record_screening(session, principal=principal, case_id=case_id,
                                 data=ScreeningCreate(instrument=code, answers=_answers(instrument, form)))
    if (refusal := tried.refusal) is None:
        return RedirectResponse(f"/cases/{case_id}#eligibility", status_code=303)
    errors = {k.removeprefix("answers."): v for k, v in _errors(refusal).items()}
    values = {k.removeprefix("q_"): v for k, v in form.items() if k.startswith("q_")}
    return _screening_page(request, session, principal, case_id, code, values=values, errors=errors,
                           status_code=getattr(refusal, "status_code", 422))


@router.post("/cases/{case_id}/determinations")
def determine(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return page.attempt_on_case(request, session, principal, case_id,
                                lambda: service.determine(session, principal=principal, case_id=case_id),
                                "eligibility", "#eligibility")


def _determination_case(session: Session, principal: Principal, determination_id: uuid.UUID) -> uuid.UUID:
    determination, _ = service.get_determination(session, principal, Action.DETERMINATION_READ, determination_id)
    return determination.case_id


@router.post("/determinations/{determination_id}/overrides")
def request_override(determination_id: uuid.UUID, request: Request, form: Form, session: DbSession,
                     principal: UiUser) -> Response:
    case_id = _determination_case(session, principal, determination_id)
    return page.attempt_on_case(
        request, session, principal, case_id,
        lambda: decisions.request_override(session, principal=principal, determination_id=determination_id,
                                           data=OverrideCreate.model_validate({
                                               "outcome": text(form, "outcome"), "reason": text(form, "reason")})),
        "override", "#eligibility")


@router.post("/determinations/{determination_id}/appeals")
def lodge_appeal(determination_id: uuid.UUID, request: Request, form: Form, session: DbSession,
                 principal: UiUser) -> Response:
    case_id = _determination_case(session, principal, determination_id)
    return page.attempt_on_case(
        request, session, principal, case_id,
        lambda: decisions.lodge_appeal(session, principal=principal, determination_id=determination_id,
                                       data=AppealCreate.model_validate({"grounds": text(form, "grounds")})),
        "appeal", "#eligibility")


@router.post("/appeals/{appeal_id}/decision")
def decide_appeal(appeal_id: uuid.UUID, request: Request, form: Form, session: DbSession,
                  principal: UiUser) -> Response:
    case_id = text(form, "case_id")
    try:
        case_uuid = uuid.UUID(case_id or "")
    except ValueError:
        return RedirectResponse("/", status_code=303)
    return page.attempt_on_case(
        request, session, principal, case_uuid,
        lambda: decisions.decide_appeal(session, principal=principal, appeal_id=appeal_id,
                                        data=AppealDecision.model_validate({
                                            "status": text(form, "status"), "decision": text(form, "decision"),
                                            "new_outcome": text(form, "new_outcome")})),
        "appeal_decision", "#eligibility")


def _queue(request: Request, session: Session, principal: Principal, *, errors: dict[str, str] | None = None,
           status_code: int = 200) -> Response:
    rows = decisions.pending_overrides(session, principal=principal)
    names = _user_names(session, {o.requested_by for o, _, _ in rows})
    return render(request, "eligibility/overrides.html", {
        "rows": [{"override": o, "determination": d, "case": c,
                  "mine": not may_decide_override(principal, o.requested_by)} for o, d, c in rows],
        "names": names, "errors": errors or {}, **LABELS,
    }, status_code=status_code)


@router.get("/eligibility/overrides")
def override_queue(request: Request, session: DbSession, principal: UiUser) -> Response:
    return _queue(request, session, principal)


@router.post("/overrides/{override_id}/decision")
def decide_override(override_id: uuid.UUID, request: Request, form: Form, session: DbSession,
                    principal: UiUser) -> Response:
    with attempt(session) as tried:
        decisions.decide_override(session, principal=principal, override_id=override_id,
                                  data=OverrideDecision.model_validate({"approve": text(form, "approve") == "yes",
                                                                        "note": text(form, "note")}))
    if (refusal := tried.refusal) is None:
        back = text(form, "back")
        target = f"/cases/{uuid.UUID(back)}#eligibility" if back and _is_uuid(back) else "/eligibility/overrides"
        return RedirectResponse(target, status_code=303)
    return _queue(request, session, principal, errors=_errors(refusal),
                  status_code=getattr(refusal, "status_code", 422))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@router.get("/eligibility/rule-sets")
def rule_sets(request: Request, session: DbSession, principal: UiUser) -> Response:
    require(principal, Action.RULESET_READ)
    listing = []
    for programme in programmes.list_programmes(session):
        listing.append({"programme": programme,
                        "rule_sets": rule_admin.list_rule_sets(session, principal=principal, programme=programme.code)})
    return render(request, "eligibility/rule_sets.html", {"listing": listing, **LABELS})


def _rule_set_page(request: Request, session: Session, principal: Principal, rule_set_id: int, *,
                   errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    row = rule_admin.get_rule_set(session, principal=principal, rule_set_id=rule_set_id)
    active = service.active_rule_set(session, row.programme)
    report = row.diff_report or None
    return render(request, "eligibility/rule_set.html", {
        "row": row, "active": active, "report": report, "errors": errors or {},
        "current_report": report is not None and report.get("against") == (active.id if active else None),
        **LABELS,
    }, status_code=status_code)


@router.get("/eligibility/rule-sets/{rule_set_id}")
def rule_set(rule_set_id: RowId, request: Request, session: DbSession, principal: UiUser) -> Response:
    return _rule_set_page(request, session, principal, rule_set_id)


def _rule_set_action(request: Request, session: Session, principal: Principal, rule_set_id: int, action) -> Response:
    with attempt(session) as tried:
        action()
    if (refusal := tried.refusal) is None:
        return RedirectResponse(f"/eligibility/rule-sets/{rule_set_id}", status_code=303)
    return _rule_set_page(request, session, principal, rule_set_id, errors=_errors(refusal),
                          status_code=getattr(refusal, "status_code", 422))


@router.post("/eligibility/rule-sets/{rule_set_id}/diff")
def diff(rule_set_id: RowId, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _rule_set_action(request, session, principal, rule_set_id,
                            lambda: rule_admin.diff_rule_set(session, principal=principal, rule_set_id=rule_set_id))


@router.post("/eligibility/rule-sets/{rule_set_id}/activate")
def activate(rule_set_id: RowId, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _rule_set_action(request, session, principal, rule_set_id,
                            lambda: rule_admin.activate_rule_set(session, principal=principal,
                                                                 rule_set_id=rule_set_id))


# A GET on a URL that only takes a form shows the form's page (web/forms.py: form_page_on_get).
form_page_on_get(router, "/cases/{case_id}/screenings", "/cases/{case_id}#eligibility")
form_page_on_get(router, "/cases/{case_id}/determinations", "/cases/{case_id}#eligibility")
form_page_on_get(router, "/overrides/{override_id}/decision", "/eligibility/overrides")
form_page_on_get(router, "/eligibility/rule-sets/{rule_set_id}/diff", "/eligibility/rule-sets/{rule_set_id}")
form_page_on_get(router, "/eligibility/rule-sets/{rule_set_id}/activate", "/eligibility/rule-sets/{rule_set_id}")
