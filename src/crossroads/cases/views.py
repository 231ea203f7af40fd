"""HTML pages: the searchable case list, a case with its notes, and opening a case."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from crossroads.cases import service
from crossroads.cases.schemas import CaseCreate, NoteCreate
from crossroads.web.deps import DbSession, UiUser
from crossroads.web.forms import Form, field_errors, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25


@router.get("/cases")
def case_list(
    request: Request,
    session: DbSession,
    principal: UiUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    programme: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    filters = service.CaseFilters(q=q or None, programme=programme or None)
    result = service.search_cases(session, principal=principal, filters=filters, page_size=PAGE_SIZE, page=page)
    rows, total = result.items, result.total
    programmes = service.list_programmes(session)
    return render(request, "cases/list.html", {
        "cases": rows, "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "q": q or "", "programme": programme or "", "programmes": programmes,
        "programme_names": {p.code: p.name for p in programmes},
    })


@router.post("/cases/new")
def open_case(request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    person_id = text(form, "person_id") or ""
    try:
        case = service.open_case(session, principal=principal, data=CaseCreate(
            person_id=person_id, programme=text(form, "programme") or "", office_id=text(form, "office_id")))
    except ValidationError as exc:
        message = "; ".join(f"{k}: {v}" for k, v in field_errors(exc).items())
        return render(request, "error.html", {"status": 422, "message": message}, status_code=422)
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def _case_page(request: Request, session: DbSession, principal: UiUser, case_id: uuid.UUID,
               errors: dict | None = None, status_code: int = 200) -> Response:
    case = service.get_case(session, principal=principal, case_id=case_id)
    names = {p.code: p.name for p in service.list_programmes(session)}
    return render(request, "cases/detail.html", {"case": case, "errors": errors or {}, "programme_names": names},
                  status_code=status_code)


@router.get("/cases/{case_id}")
def case_page(case_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser) -> Response:
    return _case_page(request, session, principal, case_id)


@router.post("/cases/{case_id}/notes")
def add_note(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    try:
        service.add_case_note(session, principal=principal, case_id=case_id,
                              data=NoteCreate(body=text(form, "body") or ""))
    except ValidationError as exc:
        return _case_page(request, session, principal, case_id, field_errors(exc), status_code=422)
    return RedirectResponse(f"/cases/{case_id}#notes", status_code=303)
