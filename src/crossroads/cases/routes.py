"""JSON API for programmes, cases and case notes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from crossroads.cases import service
from crossroads.cases.schemas import CaseCreate, CaseDetailOut, CaseOut, NoteCreate, NoteOut, ProgrammeOut
from crossroads.kit.pagination import Page, PageParams
from crossroads.web.deps import ApiUser, DbSession

router = APIRouter(tags=["cases"])


@router.get("/programmes", response_model=list[ProgrammeOut])
def list_programmes(session: DbSession, principal: ApiUser):
    return service.list_programmes(session)


@router.post("/cases", response_model=CaseOut, status_code=201)
def open_case(body: CaseCreate, session: DbSession, principal: ApiUser):
    return CaseOut.model_validate(service.open_case(session, principal=principal, data=body))


@router.get("/cases", response_model=Page[CaseOut])
def list_cases(
    session: DbSession,
    principal: ApiUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    programme: Annotated[str | None, Query(max_length=40)] = None,
    state: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 25,
):
    params = PageParams(page=page, page_size=page_size)
    rows, total = service.search_cases(
        session, principal=principal, filters=service.CaseFilters(q=q, programme=programme, state=state), page=params
    )
    return Page[CaseOut](items=[CaseOut.model_validate(c) for c in rows], total=total, page=page,
                         page_size=page_size)


@router.get("/cases/{case_id}", response_model=CaseDetailOut)
def get_case(case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return CaseDetailOut.model_validate(service.get_case(session, principal=principal, case_id=case_id))


@router.post("/cases/{case_id}/notes", response_model=NoteOut, status_code=201)
def add_note(case_id: uuid.UUID, body: NoteCreate, session: DbSession, principal: ApiUser):
    return service.add_case_note(session, principal=principal, case_id=case_id, data=body)
