"""HTML pages: find people, register a person (duplicates shown first), the person's page with their cases and
possible duplicates, and adding household members."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from crossroads.auth.deps import UiUser
from crossroads.auth.models import Office, User
from crossroads.auth.policy import Principal, may_edit_person, require, require_person_editor
from crossroads.auth.roles import Action
from crossroads.cases.service import cases_of_person
from crossroads.consent.views import consent_section
from crossroads.db.session import attempt
from crossroads.dedup.merges import merges_of_person
from crossroads.dedup.review import open_pairs_of
from crossroads.dedup.service import check_duplicates
from crossroads.dedup.views import EVIDENCE
from crossroads.intake import search
from crossroads.intake import service as intake
from crossroads.kit.codes import check_country
from crossroads.kit.errors import Conflict, Invalid
from crossroads.kit.i18n import N_
from crossroads.people import service
from crossroads.people.models import DocumentType, NameKind, Person, Relationship, Sex
from crossroads.people.schemas import HouseholdMemberCreate, PersonCreate, PersonUpdate
from crossroads.programmes.service import configs_for, list_programmes, state_labeller
from crossroads.web.deps import DbSession
from crossroads.web.forms import Form, field_errors, form_page_on_get, lines, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)

DOCUMENT_ROWS = 2
# As many as a person may have (people/schemas.py: PersonCreate.documents), and one row to add.
MAX_DOCUMENTS = 11
REASON_MAX = 2000

# The label of each field of the person form, for the error summary's links (the same words as the form's).
PERSON_FIELD_LABELS = {
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "aliases": N_("Other names and spellings (one per line)"),
    "sex": N_("Sex"),
    "date_of_birth": N_("Date of birth"),
    "estimated_age": N_("or estimated age in years"),
    "nationality": N_("Nationality"),
    "languages": N_("Languages (ISO codes, comma-separated, e.g. ar, ti)"),
    "phone": N_("Phone (international format, e.g. +249912345678)"),
    "office_id": N_("Office"),
    "documents": N_("Identity documents"),
}
PEOPLE_PAGE_SIZE = 25


def _person_fields(form: FormData, prefix: str = "") -> dict[str, Any]:
    """The registration form's fields as the schemas take them; the household form prefixes their names."""

    def f(name: str) -> str | None:
        return text(form, prefix + name)

    documents = [
        {"document_type": f(f"document_type_{i}"), "number": f(f"document_number_{i}"),
         "issuing_country": f(f"document_country_{i}"), "expiry_date": f(f"document_expiry_{i}")}
        for i in range(_document_rows(form, prefix))
        if f(f"document_number_{i}")
    ]
    aliases = [{"name": n, "kind": NameKind.ALIAS} for n in lines(form, prefix + "aliases")]
    if native := f("native_script_name"):
        aliases.insert(0, {"name": native, "kind": NameKind.NATIVE_SCRIPT})
    languages = [c for c in (f("languages") or "").replace(";", ",").split(",") if c.strip()]
    return {
        "given_name": f("given_name") or "",
        "family_name": f("family_name") or "",
        "sex": f("sex") or "",
        "date_of_birth": f("date_of_birth"),
        "date_of_birth_estimated": form.get(prefix + "date_of_birth_estimated") == "on",
        "estimated_age": f("estimated_age"),
        "nationality": f("nationality") or "",
        "languages": languages,
        "phone": f("phone"),
        "aliases": aliases,
        "documents": documents,
    }


def _document_rows(form: FormData, prefix: str = "") -> int:
    # The edit form shows a row per recorded document and one more; registration shows DOCUMENT_ROWS.
    try:
        return min(max(int(text(form, prefix + "document_rows") or DOCUMENT_ROWS), DOCUMENT_ROWS), MAX_DOCUMENTS)
    except ValueError:
        return DOCUMENT_ROWS


def person_from_form(form: FormData, prefix: str = "") -> PersonCreate:
    """Build the registration schema from a form; the same names serve the household form with a prefix."""
    return PersonCreate(**_person_fields(form, prefix), office_id=text(form, prefix + "office_id"))


def _offices_of(session: Session, principal: Principal) -> list[Office]:
    return list(session.scalars(select(Office).where(Office.id.in_(principal.office_ids)).order_by(Office.code)))


def _form_context(session: Session, principal: Principal) -> dict:
    return {
        "sexes": list(Sex),
        "document_types": list(DocumentType),
        "document_rows": range(DOCUMENT_ROWS),
        "offices": _offices_of(session, principal),
        "relationships": [r for r in Relationship if r != Relationship.HEAD],
        "field_labels": PERSON_FIELD_LABELS,
        "member_field_labels": {"relationship": N_("Relationship to this person"),
                                **{f"member_{k}": v for k, v in PERSON_FIELD_LABELS.items()}},
    }


def _search_filters(q: str, params: dict[str, str]) -> tuple[search.PeopleFilters | None, dict[str, str]]:
    """The search form's fields as filters, or the message for each field that is not right."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if params["sex"]:
        if params["sex"] in {s.value for s in Sex}:
            values["sex"] = Sex(params["sex"])
        else:
            errors["sex"] = N_("choose a sex from the list")
    for name, lo, hi, message in (("born", 1900, 2100, N_("must be a year from 1900 to 2100")),
                                  ("born_within", 0, search.MAX_BORN_WITHIN,
                                   N_("must be a number of years from 0 to 10"))):
        if params[name]:
            if params[name].isdigit() and lo <= int(params[name]) <= hi:
                values[name] = int(params[name])
            else:
                errors[name] = message
    if values.get("born_within") and "born" not in values and "born" not in errors:
        errors["born_within"] = N_("give the year of birth too")
    if params["nationality"]:
        try:
            values["nationality"] = check_country(params["nationality"])
        except ValueError:
            errors["nationality"] = N_("choose a nationality from the list")
    if params["office_id"]:
        try:
            values["office_id"] = uuid.UUID(params["office_id"])
        except ValueError:
            errors["office_id"] = N_("choose an office from the list")
    if errors or not q.strip():
        return None, errors
    return search.PeopleFilters(q=q, **values), errors


@router.get("/people")
def people_search_page(
    request: Request,
    session: DbSession,
    principal: UiUser,
    q: Annotated[str, Query(max_length=200)] = "",
    sex: Annotated[str, Query(max_length=10)] = "",
    born: Annotated[str, Query(max_length=4)] = "",
    born_within: Annotated[str, Query(max_length=2)] = "",
    nationality: Annotated[str, Query(max_length=3)] = "",
    office_id: Annotated[str, Query(max_length=36)] = "",
    page: Annotated[int, Query(ge=1, le=100)] = 1,
) -> Response:
    require(principal, Action.PERSON_READ)
    params = {"sex": sex, "born": born, "born_within": born_within, "nationality": nationality,
              "office_id": office_id}
    filters, errors = _search_filters(q, params)
    result = None
    office_names: dict[uuid.UUID, str] = {}
    if filters is not None:
        result = search.search_people(session, principal=principal, filters=filters, page=page,
                                      page_size=PEOPLE_PAGE_SIZE)
        shown_offices = {h.person.office_id for h in result.items}
        if shown_offices:
            office_names = {oid: name for oid, name in session.execute(
                select(Office.id, Office.name).where(Office.id.in_(shown_offices)))}

    def page_link(number: int) -> str:
        url = request.url.remove_query_params(["page"]).include_query_params(page=number)
        return str(url.replace(scheme="", netloc=""))

    return render(request, "people/search.html", {
        "q": q, "values": params, "errors": errors, "result": result, "sexes": list(Sex),
        "offices": _offices_of(session, principal), "office_names": office_names,
        "previous_link": page_link(page - 1) if result and page > 1 else None,
        "next_link": page_link(page + 1) if result and result.has_more else None,
    }, status_code=422 if errors else 200)


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
    return _shown(session, principal, data)


def _shown(session: Session, principal: Principal, data: PersonCreate) -> dict | None:
    result = check_duplicates(session, principal=principal, data=data)
    if not result.candidates:
        return None
    return {"candidates": result.candidates, "checked": _fingerprint(data), **EVIDENCE}


def _anyway(form: FormData, data: PersonCreate, checked_field: str, field: str) -> str | None:
    """Why the user registers this person although duplicates were shown for this very data; required then."""
    if text(form, checked_field) != _fingerprint(data):
        return None
    reason = (text(form, field) or "").strip()
    if not reason:
        raise Invalid("say why this is a different person from the records shown", field=field)
    if len(reason) > REASON_MAX:
        raise Invalid(f"must be at most {REASON_MAX} characters", field=field)
    return reason


@router.post("/people/new")
def register(request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    """Check for duplicates first; the form comes back with the candidates, and a second post registers."""
    require(principal, Action.PERSON_CREATE)
    with attempt(session) as tried:
        data = person_from_form(form)
        if shown := _duplicates_first(session, principal, data, text(form, "checked")):
            return render(request, "people/register.html",
                          {**_form_context(session, principal), "values": dict(form), "errors": {}, **shown})
        reason = _anyway(form, data, "checked", "duplicate_reason")
        person = intake.register_person(session, principal=principal, data=data, registered_anyway=reason)
    if (refusal := tried.refusal) is None:
        return RedirectResponse(f"/people/{person.id}", status_code=303)
    shown = None
    if isinstance(refusal, ValidationError):
        errors = field_errors(refusal)
    else:
        errors = {refusal.field or "form": refusal.message}
        if refusal.field == "duplicate_reason":
            # The same candidates again, so that the user can still open one of them instead.
            shown = _shown(session, principal, data)
    return render(request, "people/register.html",
                  {**_form_context(session, principal), "values": dict(form), "errors": errors, **(shown or {})},
                  status_code=422)


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
            **_changes_context(session, principal, person),
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
        reason = _anyway(form, data.person, "member_checked", "member_duplicate_reason")
        intake.add_household_member(session, principal=principal, person_id=person_id, data=data,
                                    registered_anyway=reason)
    if (refusal := tried.refusal) is None:
        return RedirectResponse(f"/people/{person_id}#household", status_code=303)
    extra = None
    if isinstance(refusal, ValidationError):
        errors = {f"member_{k}": v for k, v in field_errors(refusal).items()}
    elif refusal.field == "member_duplicate_reason":
        errors = {refusal.field: refusal.message}
        extra = _shown(session, principal, data.person) if data.person is not None else None
    else:
        errors = {f"member_{refusal.field or 'form'}": refusal.message}
    return _person_page(request, session, principal, person_id, errors, dict(form), status_code=422, extra=extra)


# What the person's page and the edit page call each field of a person's record.
PERSON_FIELD_LABELS = {
    "given_name": N_("Given name"), "family_name": N_("Family name"), "aliases": N_("Other names"),
    "sex": N_("Sex"), "date_of_birth": N_("Date of birth"), "date_of_birth_estimated": N_("Date of birth is estimated"),
    "nationality": N_("Nationality"), "languages": N_("Languages"), "phone": N_("Phone"),
    "documents": N_("Identity documents"),
}


def _changes_context(session: Session, principal: Principal, person: Person, since: int = 0) -> dict:
    """The person's changes for the page (after version `since`), with their authors' names."""
    changes = [c for c in service.person_changes(session, principal=principal, person=person) if c.version > since]
    authors = {c.by for c in changes if c.by is not None}
    names = {uid: name for uid, name in session.execute(select(User.id, User.full_name).where(User.id.in_(authors)))} \
        if authors else {}
    return {"changes": changes, "change_authors": names, "person_field_labels": PERSON_FIELD_LABELS,
            "may_edit": may_edit_person(principal, person.office_id)}


def _form_values(values: dict[str, Any]) -> dict[str, str]:
    """The edit form's fields from a person's values (`people.service.person_values`), the first name in original
    script in its own field."""
    names = values["aliases"]
    native = next((n for n in names if n["kind"] == NameKind.NATIVE_SCRIPT), None)
    form = {
        "given_name": values["given_name"], "family_name": values["family_name"],
        "native_script_name": native["name"] if native else "",
        "aliases": "\n".join(n["name"] for n in names if n is not native),
        "sex": values["sex"], "date_of_birth": values["date_of_birth"] or "",
        "date_of_birth_estimated": "on" if values["date_of_birth_estimated"] else "",
        "nationality": values["nationality"] or "", "languages": ", ".join(values["languages"]),
        "phone": values["phone"] or "",
    }
    for i, d in enumerate(values["documents"]):
        form |= {f"document_type_{i}": d["document_type"], f"document_number_{i}": d["number"],
                 f"document_country_{i}": d["issuing_country"] or "", f"document_expiry_{i}": d["expiry_date"] or ""}
    return form


def _merged_input(submitted: dict[str, str], person: Person, changes: list[service.Change]) -> dict[str, str]:
    """The user's stale form brought up to date: what they left as it was takes the value saved since, and
    what they changed keeps their input, so that saving again overwrites nobody's change unseen."""
    current = service.person_values(person)
    base = dict(current)
    for change in changes:  # newest first: each step goes one edit further back
        if change.shown:
            base[change.field] = change.before
    now, then = _form_values(current), _form_values(base)
    merged = dict(submitted)
    for key in now.keys() | then.keys():
        if submitted.get(key, "") == then.get(key, ""):
            merged[key] = now.get(key, "")
    return merged


def person_update_from_form(form: FormData, person: Person) -> PersonUpdate:
    """The edit form as a correction of every field; a name kept keeps its kind (a previous name stays one)."""
    fields = _person_fields(form)
    kinds = {n.name: n.kind for n in person.names}
    fields["aliases"] = [a if a["kind"] == NameKind.NATIVE_SCRIPT else {**a, "kind": kinds.get(a["name"], a["kind"])}
                         for a in fields["aliases"]]
    return PersonUpdate(version=text(form, "version") or "", **fields)


def _edit_page(request: Request, session: Session, principal: Principal, person: Person, *, values: dict,
               errors: dict | None = None, conflict: dict | None = None, status_code: int = 200) -> Response:
    rows = max(len(person.documents) + 1, DOCUMENT_ROWS, _document_rows_of(values))
    return render(request, "people/edit.html", {
        **_form_context(session, principal),
        # A person stays in their office: the edit form does not offer to move them.
        "offices": [],
        "document_rows": range(min(rows, MAX_DOCUMENTS)),
        "person": person, "values": values, "errors": errors or {}, "conflict": conflict,
        "form_version": (conflict or {}).get("current_version", person.version),
        "person_field_labels": PERSON_FIELD_LABELS,
    }, status_code=status_code)


def _document_rows_of(values: dict) -> int:
    try:
        return int(values.get("document_rows") or 0)
    except ValueError:
        return 0


@router.get("/people/{person_id}/edit")
def edit_page(person_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser) -> Response:
    person = service.get_person(session, principal=principal, person_id=person_id)
    if person.merged_into_id is not None:
        return RedirectResponse(f"/people/{person.merged_into_id}/edit", status_code=303)
    require_person_editor(principal, person.office_id)
    return _edit_page(request, session, principal, person, values=_form_values(service.person_values(person)))


@router.post("/people/{person_id}/edit")
def edit(person_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    """Save a correction; a stale form comes back with the user's input and what changed since they opened it."""
    with attempt(session) as tried:
        current = service.load_person(session, principal, person_id, full=True)
        intake.edit_person(session, principal=principal, person_id=person_id,
                           data=person_update_from_form(form, current))
    refusal = tried.refusal
    if refusal is None:
        return RedirectResponse(f"/people/{person_id}#changes", status_code=303)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    if isinstance(refusal, ValidationError):
        person = service.get_person(session, principal=principal, person_id=person_id)
        return _edit_page(request, session, principal, person, values=values, errors=field_errors(refusal),
                          status_code=422)
    if isinstance(refusal, Conflict) and refusal.field == "version":
        person = service.get_person(session, principal=principal, person_id=person_id)
        try:
            since = int(text(form, "version") or "0")
        except ValueError:
            since = 0
        context = _changes_context(session, principal, person, since)
        conflict = {"current_version": person.version, **context}
        # Editors read every class of the person's values, so the change rows carry them all.
        values = _merged_input(values, person, context["changes"])
        return _edit_page(request, session, principal, person, values=values, conflict=conflict, status_code=409)
    raise refusal  # not about the form (out of scope, not allowed, merged): the error page answers it


# A GET on a URL that only takes a form shows the form's page (web/forms.py: form_page_on_get).
form_page_on_get(router, "/people/{person_id}/household", "/people/{person_id}#household")
