"""HTML pages: register a person (duplicates shown first), the person's page with their cases and possible
duplicates, and adding household members."""

from __future__ import annotations

import hashlib
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from crossroads.auth.deps import UiUser
from crossroads.auth.models import Office
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.cases.service import cases_of_person
from crossroads.consent.views import consent_section
from crossroads.db.session import attempt
from crossroads.dedup.merges import merges_of_person
from crossroads.dedup.review import open_pairs_of
from crossroads.dedup.service import check_duplicates
from crossroads.dedup.views import FIELD_LABELS
from crossroads.intake import service as intake
from crossroads.people import service
from crossroads.people.models import DocumentType, NameKind, Relationship, Sex
from crossroads.people.schemas import HouseholdMemberCreate, PersonCreate
from crossroads.programmes.service import configs_for, list_programmes, state_labeller
from crossroads.web.deps import DbSession
from crossroads.web.forms import Form, field_errors, lines, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)

DOCUMENT_ROWS = 2


def person_from_form(form: FormData, prefix: str = "") -> PersonCreate:
    """Build the registration schema from a form; the same names serve the household form with a prefix."""

    def f(name: str) -> str | None:
        return text(form, prefix + name)

    documents = [
        {"document_type": f(f"document_type_{i}"), "number": f(f"document_number_{i}"),
         "issuing_country": f(f"document_country_{i}"), "expiry_date": f(f"document_expiry_{i}")}
        for i in range(DOCUMENT_ROWS)
        if f(f"document_number_{i}")
    ]
    aliases = [{"name": n, "kind": NameKind.ALIAS} for n in lines(form, prefix + "aliases")]
    if native := f("native_script_name"):
        aliases.insert(0, {"name": native, "kind": NameKind.NATIVE_SCRIPT})
    languages = [c for c in (f("languages") or "").replace(";", ",").split(",") if c.strip()]
    return PersonCreate(
        given_name=f("given_name") or "",
        family_name=f("family_name") or "",
        sex=f("sex") or "",
        date_of_birth=f("date_of_birth"),
        date_of_birth_estimated=form.get(prefix + "date_of_birth_estimated") == "on",
        estimated_age=f("estimated_age"),
        nationality=f("nationality") or "",
        languages=languages,
        phone=f("phone"),
        aliases=aliases,
        documents=documents,
        office_id=f("office_id"),
    )


def _offices_of(session: Session, principal: Principal) -> list[Office]:
    return list(session.scalars(select(Office).where(Office.id.in_(principal.office_ids)).order_by(Office.code)))


def _form_context(session: Session, principal: Principal) -> dict:
    return {
        "sexes": list(Sex),
        "document_types": list(DocumentType),
        "document_rows": range(DOCUMENT_ROWS),
        "offices": _offices_of(session, principal),
        "relationships": [r for r in Relationship if r != Relationship.HEAD],
    }


@router.get("/people/new")
def register_page(request: Request, session: DbSession, principal: UiUser) -> Response:
    require(principal, Action.PERSON_CREATE)
    return render(request, "people/register.html", {**_form_context(session, principal), "values": {}, "errors": {}})


def _fingerprint(data: PersonCreate) -> str:
    """Identifies what was checked, so that a changed form is checked again before it is saved."""
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()[:24]


def _duplicates_first(session: Session, principal: Principal, data: PersonCreate, checked: str | None) -> dict | None:
    """The candidates to show before saving, unless this very data was already checked and shown."""
    fingerprint = _fingerprint(data)
    if not principal.may(Action.DEDUP_CHECK) or checked == fingerprint:
        return None
    result = check_duplicates(session, principal=principal, data=data)
    if not result.candidates:
        return None
    return {"candidates": result.candidates, "checked": fingerprint, "field_labels": FIELD_LABELS}


@router.post("/people/new")
def register(request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    """Check for duplicates first; the form comes back with the candidates, and a second post registers."""
    require(principal, Action.PERSON_CREATE)
    with attempt(session) as tried:
        data = person_from_form(form)
        if shown := _duplicates_first(session, principal, data, text(form, "checked")):
            return render(request, "people/register.html",
                          {**_form_context(session, principal), "values": dict(form), "errors": {}, **shown})
        person = intake.register_person(session, principal=principal, data=data)
    if (refusal := tried.refusal) is None:
        return RedirectResponse(f"/people/{person.id}", status_code=303)
    if isinstance(refusal, ValidationError):
        errors = field_errors(refusal)
    else:
        errors = {refusal.field or "form": refusal.message}
    return render(request, "people/register.html",
                  {**_form_context(session, principal), "values": dict(form), "errors": errors}, status_code=422)


def _person_page(request: Request, session: Session, principal: Principal, person_id: uuid.UUID,
                 errors: dict | None = None, values: dict | None = None, status_code: int = 200,
                 extra: dict | None = None) -> Response:
    person = service.get_person(session, principal=principal, person_id=person_id)
    if person.merged_into_id is not None:
        # A merged record lives on in the survivor, whose page shows the merge and can undo it.
        return RedirectResponse(f"/people/{person.merged_into_id}", status_code=303)
    programmes = list_programmes(session)
    cases = cases_of_person(session, principal=principal, person_id=person.id)
    configs = configs_for(session, {c.programme_version_id for c in cases})
    return render(
        request,
        "people/detail.html",
        {
            **_form_context(session, principal),
            "person": person,
            "household": service.household_members(session, principal=principal, person=person),
            "cases": cases,
            "state_label": state_labeller(configs),
            "programmes": programmes,
            "programme_names": {p.code: p.name for p in programmes},
            "errors": errors or {},
            "values": values or {},
            "merges": merges_of_person(session, principal=principal, person_id=person.id),
            "open_pairs": open_pairs_of(session, principal=principal, person_id=person.id),
            **consent_section(session, principal, person.id),
            **(extra or {}),
        },
        status_code=status_code,
    )


@router.get("/people/{person_id}")
def person_page(person_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser) -> Response:
    return _person_page(request, session, principal, person_id)


@router.post("/people/{person_id}/household")
def add_member(person_id: uuid.UUID, request: Request, form: Form, session: DbSession,
               principal: UiUser) -> Response:
    with attempt(session) as tried:
        data = HouseholdMemberCreate(relationship=text(form, "relationship") or "",
                                     person=person_from_form(form, prefix="member_"))
        # A household member is a registration too: likely duplicates are shown before the member is saved.
        assert data.person is not None  # given just above
        if shown := _duplicates_first(session, principal, data.person, text(form, "member_checked")):
            return _person_page(request, session, principal, person_id, values=dict(form), extra=shown)
        intake.add_household_member(session, principal=principal, person_id=person_id, data=data)
    if (refusal := tried.refusal) is None:
        return RedirectResponse(f"/people/{person_id}#household", status_code=303)
    if isinstance(refusal, ValidationError):
        errors = {f"member_{k}": v for k, v in field_errors(refusal).items()}
    else:
        errors = {f"member_{refusal.field or 'form'}": refusal.message}
    return _person_page(request, session, principal, person_id, errors, dict(form), status_code=422)
