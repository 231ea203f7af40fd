"""HTML: recording and revoking consent from the person's page (the page itself is the intake's)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from crossroads.auth.deps import UiUser
from crossroads.auth.models import Organisation
from crossroads.auth.policy import Principal
from crossroads.auth.roles import Action
from crossroads.consent import service
from crossroads.consent.coverage import Category, Method, Purpose
from crossroads.consent.models import Consent
from crossroads.consent.schemas import ConsentCreate, ConsentRevoke
from crossroads.db.session import attempt
from crossroads.web.deps import DbSession
from crossroads.web.forms import Form, field_errors, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)


def organisation_names(session: Session) -> dict[uuid.UUID, str]:
    return {oid: name for oid, name in session.execute(select(Organisation.id, Organisation.name)
                                                         .order_by(Organisation.name))}


def consent_section(session: Session, principal: Principal, person_id: uuid.UUID) -> dict[str, Any]:
    """What the person page's consent section shows (templates/consent/_person_consents.html)."""
    if not principal.may(Action.CONSENT_READ):
        return {"consents": None}
    consents = service.list_consents(session, principal=principal, person_id=person_id)
    today = date.today()
    return {
        "consents": consents,
        "consent_in_force": {c.id: service.in_force(c, today) for c in consents},
        **labels(session),
    }


def labels(session: Session) -> dict[str, Any]:
    # The choices of the form, in their declared order; templates show them through web/labels.py's filters.
    return {"organisation_names": organisation_names(session), "purposes": list(Purpose),
            "categories": list(Category), "methods": list(Method)}


def _from_form(form: FormData) -> ConsentCreate:
    return ConsentCreate.model_validate({
        "recipient_organisation_id": text(form, "recipient_organisation_id"), "purpose": text(form, "purpose"),
        "categories": [c for c in form.getlist("categories") if isinstance(c, str)],
        "method": text(form, "method"), "guardian_name": text(form, "guardian_name"),
        "guardian_relationship": text(form, "guardian_relationship"), "given_on": text(form, "given_on"),
        "expires_on": text(form, "expires_on"),
    })


def _refused(request: Request, session: Session, person_id: uuid.UUID, refusal: Exception, form: FormData,
             template: str, extra: dict[str, Any]) -> Response:
    errors = field_errors(refusal) if isinstance(refusal, ValidationError) else {
        getattr(refusal, "field", None) or "form": getattr(refusal, "message", "")}
    status = getattr(refusal, "status_code", 422)
    values: dict[str, Any] = dict(form)
    values["categories"] = form.getlist("categories")
    return render(request, template, {**labels(session), "person_id": person_id, "errors": errors, "values": values,
                                      "categories": list(Category), **extra}, status_code=status)


@router.post("/people/{person_id}/consents")
def record(person_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    with attempt(session) as tried:
        service.record_consent(session, principal=principal, person_id=person_id, data=_from_form(form))
    if (refusal := tried.refusal) is None:
        return RedirectResponse(f"/people/{person_id}#consents", status_code=303)
    return _refused(request, session, person_id, refusal, form, "consent/record.html", {})


@router.post("/consents/{consent_id}/revoke")
def revoke(consent_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    with attempt(session) as tried:
        consent: Consent = service.revoke_consent(session, principal=principal, consent_id=consent_id,
                                                  data=ConsentRevoke(reason=text(form, "reason") or ""))
        person_id = consent.person_id
    if (refusal := tried.refusal) is None:
        return RedirectResponse(f"/people/{person_id}#consents", status_code=303)
    shown = service.get_consent(session, principal=principal, consent_id=consent_id)
    return _refused(request, session, shown.person_id, refusal, form, "consent/revoke.html", {"consent": shown})
