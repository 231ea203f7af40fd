"""JSON API for cases and case notes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from crossroads.auth.deps import ApiUser
from crossroads.cases import service
from crossroads.cases.schemas import (
    CaseCreate,
    CaseDetailOut,
    CaseList,
    CaseOut,
    CaseUpdate,
    NoteCreate,
    NoteOut,
)
from crossroads.kit.errors import Invalid
from crossroads.kit.inputs import IsoDate
from crossroads.web.deps import DbSession

router = APIRouter(tags=["cases"])


@router.post("/cases", response_model=CaseOut, status_code=201)
def open_case(body: CaseCreate, session: DbSession, principal: ApiUser):
    return CaseOut.model_validate(service.open_case(session, principal=principal, data=body))


def _field_filters(request: Request) -> dict[str, str]:
    """Programme-field filters arrive as `field.<name>=value`."""
    fields = {}
    for key, value in request.query_params.items():
        if key.startswith("field."):
            name = key.removeprefix("field.")
            if not name.isidentifier() or not name.islower():
                raise Invalid("field filters look like field.<name>=value", field=key)
            fields[name] = value
    return fields


@router.get("/cases", response_model=CaseList)
def list_cases(
    request: Request,
    session: DbSession,
    principal: ApiUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    programme: Annotated[str | None, Query(max_length=40)] = None,
    state: Annotated[str | None, Query(max_length=40)] = None,
    office_id: uuid.UUID | None = None,
    assigned_to: uuid.UUID | None = None,
    flag: Annotated[str | None, Query(max_length=40)] = None,
    opened_from: IsoDate | None = None,
    opened_to: IsoDate | None = None,
    sort: Annotated[str, Query(max_length=30)] = "-opened_at",
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 25,
):
    filters = service.CaseFilters(q=q, programme=programme, state=state, office_id=office_id,
                                  assigned_to=assigned_to, flag=flag, opened_from=opened_from, opened_to=opened_to,
                                  fields=_field_filters(request), sort=sort)
    result = service.search_cases(session, principal=principal, filters=filters, page_size=page_size,
                                  cursor=cursor, page=page)
    return CaseList(items=[CaseOut.model_validate(c) for c in result.items], total=result.total,
                    total_is_capped=result.total_is_capped, next_cursor=result.next_cursor, page=page,
                    page_size=page_size)


@router.get("/cases/{case_id}", response_model=CaseDetailOut)
def get_case(case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return CaseDetailOut.model_validate(service.get_case(session, principal=principal, case_id=case_id))


@router.patch("/cases/{case_id}", response_model=CaseDetailOut, responses={409: {}})
def update_case(case_id: uuid.UUID, body: CaseUpdate, session: DbSession, principal: ApiUser):
    service.update_case(session, principal=principal, case_id=case_id, data=body)
    return CaseDetailOut.model_validate(service.load_case(session, principal, case_id, with_notes=True))


@router.post("/cases/{case_id}/notes", response_model=NoteOut, status_code=201)
def add_note(case_id: uuid.UUID, body: NoteCreate, session: DbSession, principal: ApiUser):
    return service.add_case_note(session, principal=principal, case_id=case_id, data=body)
