"""JSON API for the work on a case: tasks, services, attachments, links, the timeline and dashboards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from python_multipart.multipart import parse_options_header
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from crossroads.auth.deps import ApiUser
from crossroads.cases.schemas import CaseOut
from crossroads.cases.work import assistance, attachments, dashboard, links, tasks, timeline
from crossroads.cases.work.attachments import MAX_BYTES, FileTooLarge, Upload
from crossroads.cases.work.schemas import (
    AssigneeOverdue,
    AssistanceCreate,
    AssistanceDelivery,
    AssistanceList,
    AssistanceOut,
    AttachmentOut,
    CaseBriefOut,
    CaseLinks,
    CaseloadCell,
    CurrencyTotal,
    HouseholdCaseOut,
    InactiveCases,
    LinkCreate,
    LinkedCaseOut,
    LinkOut,
    MyDashboard,
    OfficeDashboard,
    OverdueTasks,
    TaskCreate,
    TaskList,
    TaskOut,
    TaskStatus,
    TaskWithCaseOut,
    Timeline,
    TimelineDayOut,
    TimelineEntryOut,
)
from crossroads.kit.errors import Invalid
from crossroads.kit.inputs import AuditSeq, RowId
from crossroads.web.deps import DbSession
from crossroads.web.downloads import file_download
from crossroads.web.middleware import accept_upload

router = APIRouter(tags=["cases"])


# Tasks

def _task_with_case(row: tasks.TaskRow) -> TaskWithCaseOut:
    return TaskWithCaseOut(**TaskOut.model_validate(row.task).model_dump(exclude={"overdue"}),
                           case_number=row.case_number)


@router.post("/cases/{case_id}/tasks", response_model=TaskOut, status_code=201)
def add_task(case_id: uuid.UUID, body: TaskCreate, session: DbSession, principal: ApiUser):
    return tasks.add_task(session, principal=principal, case_id=case_id, data=body)


@router.get("/cases/{case_id}/tasks", response_model=list[TaskOut])
def list_case_tasks(case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return tasks.list_case_tasks(session, principal=principal, case_id=case_id)


@router.post("/tasks/{task_id}/complete", response_model=TaskOut, responses={409: {}})
def complete_task(task_id: RowId, session: DbSession, principal: ApiUser):
    return tasks.complete_task(session, principal=principal, task_id=task_id)


@router.post("/tasks/{task_id}/reopen", response_model=TaskOut, responses={409: {}})
def reopen_task(task_id: RowId, session: DbSession, principal: ApiUser):
    return tasks.reopen_task(session, principal=principal, task_id=task_id)


def _assignee(value: str | None, principal: ApiUser) -> uuid.UUID | None:
    if value is None:
        return None
    if value == "me":
        return principal.user_id
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Invalid("must be me or a user id", field="assigned_to") from None


@router.get("/tasks", response_model=TaskList)
def find_tasks(
    session: DbSession,
    principal: ApiUser,
    assigned_to: Annotated[str | None, Query(max_length=40, description="me, or a user id")] = None,
    overdue: bool | None = None,
    status: TaskStatus | None = None,
    office_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=tasks.LIST_MAX)] = 50,
):
    filters = tasks.TaskFilters(assigned_to=_assignee(assigned_to, principal), overdue=overdue, status=status,
                                office_id=office_id)
    rows, more = tasks.find_tasks(session, principal=principal, filters=filters, limit=limit)
    return TaskList(items=[_task_with_case(r) for r in rows], has_more=more)


# Services

@router.post("/cases/{case_id}/services", response_model=AssistanceOut, status_code=201)
def record_assistance(case_id: uuid.UUID, body: AssistanceCreate, session: DbSession, principal: ApiUser):
    return assistance.record_assistance(session, principal=principal, case_id=case_id, data=body)


@router.post("/case-services/{service_id}/deliver", response_model=AssistanceOut, responses={409: {}})
def deliver_assistance(service_id: RowId, body: AssistanceDelivery, session: DbSession, principal: ApiUser):
    return assistance.deliver_assistance(session, principal=principal, service_id=service_id, data=body)


@router.get("/cases/{case_id}/services", response_model=AssistanceList)
def list_assistance(case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    items, totals = assistance.list_assistance(session, principal=principal, case_id=case_id)
    return AssistanceList(items=[AssistanceOut.model_validate(s) for s in items],
                       totals=[CurrencyTotal.model_validate(t) for t in totals])


# Attachments

# Multipart boundaries and part headers around the file; anything beyond is not a single 10 MiB file.
_MULTIPART_OVERHEAD = 64 * 1024
_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}},
}}}}}


def _too_large() -> FileTooLarge:
    return FileTooLarge(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB", field="file")


async def read_upload(request: Request) -> Upload:
    """The `file` part of a multipart body, read as it streams in and refused once past the cap.

    Starlette would spool a file of any size to disk before the endpoint ran; counting the raw stream
    stops a large or endless body at the cap. This runs before the request opens its transaction: on
    SQLite a transaction holds the write lock, which a slow upload must not keep for its whole length.
    """
    accept_upload(request)
    media_type, _ = parse_options_header(request.headers.get("content-type", ""))
    if media_type != b"multipart/form-data":
        raise Invalid("send the file as multipart/form-data, in a field named file", field="file")
    limit = MAX_BYTES + _MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large()

    async def capped() -> AsyncGenerator[bytes, None]:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _too_large()
            yield chunk

    try:
        form = await MultiPartParser(request.headers, capped(), max_files=1, max_fields=10).parse()
    except MultiPartException:
        raise Invalid("the upload is not multipart data with a single file", field="file") from None
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise Invalid("attach the file in a field named file", field="file")
        content = await file.read(MAX_BYTES + 1)
        if len(content) > MAX_BYTES:
            raise _too_large()
        return Upload(filename=file.filename or "", content=content)
    finally:
        await form.close()


@router.post("/cases/{case_id}/attachments", response_model=AttachmentOut, status_code=201,
             openapi_extra=_UPLOAD_BODY, responses={413: {}})
def upload_attachment(
    case_id: uuid.UUID,
    # Declared first so that it runs first: see read_upload.
    upload: Annotated[Upload, Depends(read_upload)],
    session: DbSession,
    principal: ApiUser,
):
    return attachments.add_attachment(session, principal=principal, case_id=case_id, upload=upload)


@router.get("/cases/{case_id}/attachments", response_model=list[AttachmentOut])
def list_attachments(case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return attachments.list_attachments(session, principal=principal, case_id=case_id)


@router.get("/attachments/{attachment_id}", response_class=StreamingResponse,
            responses={200: {"content": {"application/octet-stream": {}}}})
def download_attachment(attachment_id: uuid.UUID, session: DbSession, principal: ApiUser):
    attachment = attachments.read_attachment(session, principal=principal, attachment_id=attachment_id)
    return file_download(attachment.content, filename=attachment.filename, media_type=attachment.content_type)


# Links

@router.post("/cases/{case_id}/links", response_model=LinkOut, status_code=201,
             responses={200: {"description": "The cases were already linked"}, 409: {}})
def link_cases(case_id: uuid.UUID, body: LinkCreate, response: Response, session: DbSession, principal: ApiUser):
    link = links.link_cases(session, principal=principal, case_id=case_id, linked_case_id=body.linked_case_id,
                            kind=body.kind)
    if not link.created:
        response.status_code = 200
    return LinkOut(case_id=link.case_id, linked_case_id=link.linked_case_id, kind=link.kind,
                   created_at=link.created_at)


@router.delete("/cases/{case_id}/links/{linked_case_id}", status_code=204)
def unlink_cases(case_id: uuid.UUID, linked_case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    links.unlink_cases(session, principal=principal, case_id=case_id, linked_case_id=linked_case_id)
    return Response(status_code=204)


@router.get("/cases/{case_id}/links", response_model=CaseLinks)
def list_links(case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    result = links.case_links(session, principal=principal, case_id=case_id)
    return CaseLinks(
        linked=[LinkedCaseOut(kind=x.kind, case=CaseOut.model_validate(x.case)) for x in result.linked],
        household=[HouseholdCaseOut(relationship=x.relationship, case=CaseOut.model_validate(x.case))
                   for x in result.household],
    )


# Timeline

@router.get("/cases/{case_id}/timeline", response_model=Timeline)
def case_timeline(
    case_id: uuid.UUID,
    session: DbSession,
    principal: ApiUser,
    before: Annotated[AuditSeq | None, Query(description="next_before of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=timeline.PAGE_MAX)] = 200,
    kind: Annotated[str | None, Query(max_length=20, description=f"one of {', '.join(timeline.KINDS)}")] = None,
):
    page = timeline.case_timeline(session, principal=principal, case_id=case_id, before=before, limit=limit,
                                  kind=kind)
    return Timeline(days=[TimelineDayOut(day=d.day, items=[_timeline_entry(e) for e in d.entries])
                          for d in page.days], next_before=page.next_before)


def _timeline_entry(e: timeline.TimelineEntry) -> TimelineEntryOut:
    return TimelineEntryOut(id=e.id, occurred_at=e.occurred_at, action=e.action, kind=e.kind, actor_id=e.actor_id,
                            actor_name=e.actor_name, actor_role=e.actor_role, message=e.sentence.message,
                            params=e.sentence.params(), description=e.description, details=e.details,
                            times=e.times, people=e.people)


# Dashboards

def _inactive(result: dashboard.InactiveCases) -> InactiveCases:
    return InactiveCases(days=result.days, count=result.count,
                         items=[CaseBriefOut.model_validate(c) for c in result.items])


def _caseload(cells: list[dashboard.CaseloadCell]) -> list[CaseloadCell]:
    return [CaseloadCell(programme=c.programme, state=c.state, label=c.label, count=c.count) for c in cells]


@router.get("/dashboard/me", response_model=MyDashboard)
def my_dashboard(session: DbSession, principal: ApiUser):
    result = dashboard.my_dashboard(session, principal=principal)
    return MyDashboard(
        open_cases=result.open_cases,
        caseload=_caseload(result.caseload),
        overdue_tasks=OverdueTasks(count=result.overdue_tasks.count,
                                   items=[_task_with_case(r) for r in result.overdue_tasks.items]),
        inactive_cases=_inactive(result.inactive_cases),
    )


@router.get("/dashboard/office/{office_id}", response_model=OfficeDashboard)
def office_dashboard(
    office_id: uuid.UUID,
    session: DbSession,
    principal: ApiUser,
    inactive_days: Annotated[int, Query(ge=1, le=3650)] = dashboard.INACTIVE_DAYS,
):
    result = dashboard.office_dashboard(session, principal=principal, office_id=office_id,
                                        inactive_days=inactive_days)
    return OfficeDashboard(
        office_id=result.office_id,
        open_cases=result.open_cases,
        caseload=_caseload(result.caseload),
        overdue_tasks=result.overdue_tasks,
        overdue_by_assignee=[AssigneeOverdue(assigned_to=a.assigned_to, name=a.name, count=a.count)
                             for a in result.overdue_by_assignee],
        inactive_cases=_inactive(result.inactive_cases),
    )
