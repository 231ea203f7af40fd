"""HTML pages: the case list, a case with everything worked on it, and opening a case."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from crossroads.auth.deps import UiUser
from crossroads.cases import service
from crossroads.cases.forms import data_from_form
from crossroads.cases.page import case_page
from crossroads.cases.schemas import CaseCreate, CaseUpdate, NoteCreate
from crossroads.cases.summary import case_summary
from crossroads.db.session import attempt
from crossroads.kit.errors import Conflict
from crossroads.programmes import service as programmes
from crossroads.web.deps import DbSession
from crossroads.web.forms import Form, field_errors, first_error, form_page_on_get, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25


def _link(request: Request, **params: Any) -> str:
    url = request.url.remove_query_params(["cursor", "page"]).include_query_params(**params)
    return str(url.replace(scheme="", netloc=""))


@router.get("/cases")
def case_list(
    request: Request,
    session: DbSession,
    principal: UiUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    programme: Annotated[str | None, Query(max_length=40)] = None,
    state: Annotated[str | None, Query(max_length=40)] = None,
    flag: Annotated[str | None, Query(max_length=40)] = None,
    mine: bool = False,
    sort: Annotated[str, Query(max_length=30)] = "-opened_at",
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    filters = service.CaseFilters(q=q or None, programme=programme or None, state=state or None,
                                  flag=(flag or "").strip().lower() or None,
                                  assigned_to=principal.user_id if mine else None, sort=sort)
    result = service.search_cases(session, principal=principal, filters=filters, page_size=PAGE_SIZE,
                                  cursor=cursor or None)
    programme_list = programmes.list_programmes(session)
    configs = programmes.configs_for(session, {c.programme_version_id for c in result.items})
    return render(request, "cases/list.html", {
        "cases": result.items, "total": result.total, "capped": result.total_is_capped,
        "q": q or "", "programme": programme or "", "state": state or "", "flag": flag or "", "mine": mine,
        "sort": sort, "cursor": cursor, "programmes": programme_list,
        "programme_names": {p.code: p.name for p in programme_list},
        "states": programmes.all_states(session), "state_label": programmes.state_labeller(configs),
        "next_link": _link(request, cursor=result.next_cursor) if result.next_cursor else None,
        "first_link": _link(request),
    })


@router.post("/cases/new")
def open_case(request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    person_id = text(form, "person_id") or ""
    with attempt(session) as tried:
        case = service.open_case(session, principal=principal, data=CaseCreate(
            person_id=person_id, programme=text(form, "programme") or "", office_id=text(form, "office_id")))
    if isinstance(refusal := tried.refusal, ValidationError):
        message = first_error(refusal)
        return render(request, "error.html", {"status": 422, "message": message}, status_code=422)
    if refusal is not None:
        raise refusal  # not about the form: the error page answers it
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


# A GET on a URL that only takes a form shows the form's page (web/forms.py: form_page_on_get).
form_page_on_get(router, "/cases/new", "/cases")


@router.get("/cases/{case_id}")
def show_case(case_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser) -> Response:
    return case_page(request, session, principal, case_id)


@router.get("/cases/{case_id}/summary")
def case_summary_page(case_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser) -> Response:
    """The case on one printable page, for a paper file or a handover, in the user's language."""
    summary = case_summary(session, principal=principal, case_id=case_id)
    programme_list = programmes.list_programmes(session)
    return render(request, "cases/summary.html", {
        "s": summary, "case": summary.case, "person": summary.person,
        "programme_names": {p.code: p.name for p in programme_list},
        "state_label": programmes.state_labeller({summary.case.programme_version_id: summary.config}),
        "service_labels": {sv.code: sv.label for sv in summary.config.services},
    })


@router.post("/cases/{case_id}/edit")
def edit_case(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    case = service.load_case(session, principal, case_id)
    submitted = data_from_form(service.case_config(session, case), form)
    flags = [f.strip().lower() for f in (text(form, "flags") or "").split(",") if f.strip()]
    try:
        version = int(text(form, "version") or "0")
    except ValueError:
        return case_page(request, session, principal, case_id, errors={"form": "the form is out of date"},
                         values=submitted, status_code=422)
    with attempt(session) as tried:
        service.update_case(session, principal=principal, case_id=case_id,
                            data=CaseUpdate(version=version, data=submitted, flags=flags))
    refusal = tried.refusal
    if isinstance(refusal, ValidationError):
        return case_page(request, session, principal, case_id, errors=field_errors(refusal), values=submitted,
                         status_code=422)
    if isinstance(refusal, Conflict):
        conflict = {**refusal.extra, "your_version": refusal.extra.get("current_version")}
        return case_page(request, session, principal, case_id, values=submitted, conflict=conflict,
                         status_code=409)
    if refusal is not None:
        errors = dict(refusal.errors) or {refusal.field or "form": refusal.message}
        return case_page(request, session, principal, case_id, errors=errors, values=submitted,
                         status_code=refusal.status_code)
    return RedirectResponse(f"/cases/{case_id}#details", status_code=303)


@router.post("/cases/{case_id}/notes")
def add_note(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    with attempt(session) as tried:
        service.add_case_note(session, principal=principal, case_id=case_id,
                              data=NoteCreate(body=text(form, "body") or ""))
    if isinstance(refusal := tried.refusal, ValidationError):
        return case_page(request, session, principal, case_id, errors=field_errors(refusal),
                         typed={"note": {"body": text(form, "body") or ""}}, status_code=422)
    if refusal is not None:
        raise refusal  # not about the form: the error page answers it
    return RedirectResponse(f"/cases/{case_id}#notes", status_code=303)


# A GET on a URL that only takes a form shows the form's page (web/forms.py: form_page_on_get).
form_page_on_get(router, "/cases/{case_id}/edit", "/cases/{case_id}#details")
form_page_on_get(router, "/cases/{case_id}/notes", "/cases/{case_id}#notes")
