"""HTML: the referrals section of the case page, making and sending a referral, the receiver's inbox (read on a
phone), one referral with its shared data and answers, and the supervisors' analytics."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.auth.deps import UiUser
from crossroads.auth.models import Office
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.cases import page
from crossroads.cases.models import Case
from crossroads.cases.service import load_case
from crossroads.consent.coverage import Category, Purpose
from crossroads.db.base import utcnow
from crossroads.db.session import attempt
from crossroads.directory import service as directory
from crossroads.directory.routes import search_query
from crossroads.kit.errors import DomainError
from crossroads.kit.i18n import N_
from crossroads.programmes.service import configs_for, list_programmes
from crossroads.referrals import analytics, lifecycle, service
from crossroads.referrals.lifecycle import Side
from crossroads.referrals.models import DeclineReason, Outcome
from crossroads.referrals.schemas import ReferralComplete, ReferralCreate, ReferralDecline
from crossroads.web.deps import DbSession
from crossroads.web.forms import Form, field_errors, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)

# The choices of the forms, in their declared order; templates show them through web/labels.py's filters.
LABELS: dict[str, Any] = {
    "purposes": list(Purpose), "decline_reasons": list(DeclineReason), "outcomes": list(Outcome),
}


# The referral form's fields, as its error summary names them; a refused target, service or office alike,
# is the "To" choice.
FIELD_LABELS = {"target": N_("To"), "to_programme": N_("Programme (for an office of the agency)"),
                "purpose": N_("Purpose"), "categories": N_("Data to share")}
_TARGET_FIELDS = frozenset({"service_id", "to_office_id"})


def case_referrals(session: Session, principal: Principal, case: Case) -> dict[str, Any]:
    """The referrals section of the case page (templates/referrals/_case_referrals.html)."""
    if not principal.may(Action.REFERRAL_MANAGE):
        return {"case_referrals": None}
    return {"case_referrals": service.list_referrals(session, principal=principal, case_id=case.id), **LABELS}


page.SECTIONS.append(case_referrals)


def _errors(refusal: Exception) -> dict[str, str]:
    if isinstance(refusal, ValidationError):
        return field_errors(refusal)
    assert isinstance(refusal, DomainError)
    return {refusal.field or "form": refusal.message}


def _new_context(session: Session, principal: Principal, case: Case, need: str | None, near: str | None,
                 language: str | None) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    error = None
    if any((need, near, language)):
        try:
            items, _ = directory.search_services(session, principal=principal, now=utcnow(),
                                                 query=search_query(need, near, language, False, 1, 20))
        except DomainError as exc:
            error = exc
    offices = session.scalars(select(Office).where(Office.active).order_by(Office.name)).all()
    return {"case": case, "items": items, "search_error": error, "needs": directory.needs(session, principal=principal),
            "form": {"need": need or "", "near": near or "", "language": language or ""}, "offices": offices,
            "programmes": list_programmes(session), "categories": list(Category), "field_labels": FIELD_LABELS,
            **LABELS}


@router.get("/cases/{case_id}/referrals/new")
def new_referral(case_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser,
                 need: Annotated[str | None, Query(max_length=250)] = None,
                 near: Annotated[str | None, Query(max_length=60)] = None,
                 language: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    require(principal, Action.REFERRAL_MANAGE)
    case = load_case(session, principal, case_id)
    context = _new_context(session, principal, case, need, near, language)
    return render(request, "referrals/new.html", {**context, "errors": {}, "values": {}},
                  status_code=context["search_error"].status_code if context["search_error"] else 200)


@router.post("/cases/{case_id}/referrals")
def create(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    target = text(form, "target") or ""
    with attempt(session) as tried:
        data = ReferralCreate.model_validate({
            "case_id": case_id, "purpose": text(form, "purpose"),
            "service_id": target.removeprefix("service:") if target.startswith("service:") else None,
            "to_office_id": target.removeprefix("office:") if target.startswith("office:") else None,
            "to_programme": text(form, "to_programme") if target.startswith("office:") else None,
            "categories": [c for c in form.getlist("categories") if isinstance(c, str)],
        })
        referral = service.create_referral(session, principal=principal, data=data)
    if (refusal := tried.refusal) is None:
        return RedirectResponse(f"/referrals/{referral.id}", status_code=303)
    case = load_case(session, principal, case_id)
    context = _new_context(session, principal, case, text(form, "need"), text(form, "near"), text(form, "language"))
    values: dict[str, Any] = {**dict(form), "categories": form.getlist("categories")}
    errors = {("target" if name in _TARGET_FIELDS else name): message for name, message in _errors(refusal).items()}
    return render(request, "referrals/new.html", {**context, "errors": errors, "values": values},
                  status_code=getattr(refusal, "status_code", 422))


def case_config_of(session: Session, case_id: uuid.UUID) -> Any:
    version_id = session.scalar(select(Case.programme_version_id).where(Case.id == case_id))
    return configs_for(session, {version_id}).get(version_id)


def _detail(request: Request, session: Session, principal: Principal, referral_id: uuid.UUID,
            errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    require(principal, Action.REFERRAL_READ)
    shown = service.get_referral(session, principal=principal, referral_id=referral_id)
    shared: dict[str, Any] | None = None
    case_config = None
    withdrawn = False
    missing: list[Category] = []
    if shown.side is Side.RECEIVER:
        try:
            _, shared = service.shared_data(session, principal=principal, referral_id=referral_id)
        except DomainError:
            withdrawn = True
        else:
            # The programme's own labels for its state and fields: the receiver reads words, not codes.
            case_config = case_config_of(session, shown.referral.case_id)
    elif shown.referral.state is lifecycle.ReferralState.DRAFT:
        missing = service.missing_consent(session, shown.referral)
    return render(request, "referrals/detail.html", {
        "shown": shown, "r": shown.referral, "shared": shared, "withdrawn": withdrawn, "missing": missing,
        "case_config": case_config, "programme_names": {p.code: p.name for p in list_programmes(session)},
        "steps": lifecycle.next_steps(shown.referral.state, shown.side) if principal.may(
            Action.REFERRAL_RESPOND if shown.side is Side.RECEIVER else Action.REFERRAL_MANAGE) else [],
        "errors": errors or {}, **LABELS,
    }, status_code=status_code)


@router.get("/referrals/inbox")
def inbox_page(request: Request, session: DbSession, principal: UiUser,
               cursor: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    items, next_cursor = service.inbox(session, principal=principal, cursor=cursor)
    return render(request, "referrals/inbox.html", {"items": items, "next_cursor": next_cursor, **LABELS})


@router.get("/referrals/analytics")
def analytics_page(request: Request, session: DbSession, principal: UiUser) -> Response:
    figures = analytics.referral_analytics(session, principal=principal)
    return render(request, "referrals/analytics.html", {"figures": figures})


@router.get("/referrals/{referral_id}")
def referral_page(referral_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser) -> Response:
    return _detail(request, session, principal, referral_id)


@router.post("/referrals/{referral_id}/{step}")
def take_step(referral_id: uuid.UUID, step: str, request: Request, form: Form, session: DbSession,
              principal: UiUser) -> Response:
    name = step.replace("-", "_")
    if name not in lifecycle.STEPS:
        return _detail(request, session, principal, referral_id, {"form": "no such step"}, 404)
    with attempt(session) as tried:
        if name == "send":
            service.send_referral(session, principal=principal, referral_id=referral_id)
        else:
            decline = ReferralDecline.model_validate({"reason": text(form, "reason")}) if name == "decline" else None
            complete = ReferralComplete.model_validate({"outcome": text(form, "outcome"),
                                                        "note": text(form, "note")}) if name == "complete" else None
            service.respond(session, principal=principal, referral_id=referral_id, step=name, decline=decline,
                            complete=complete)
    if (refusal := tried.refusal) is None:
        return RedirectResponse(f"/referrals/{referral_id}", status_code=303)
    return _detail(request, session, principal, referral_id, _errors(refusal),
                   getattr(refusal, "status_code", 422))
