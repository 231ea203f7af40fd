"""HTML actions and pages for the work on a case: tasks, services, attachments, timeline, dashboards."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from crossroads.auth.deps import UiUser
from crossroads.auth.models import Office
from crossroads.auth.policy import require
from crossroads.auth.roles import Action
from crossroads.cases import service
from crossroads.cases.page import attempt_on_case
from crossroads.cases.work import assistance, attachments, dashboard, tasks, timeline
from crossroads.cases.work.schemas import AssistanceCreate, TaskCreate
from crossroads.kit.inputs import AuditSeq, RowId
from crossroads.programmes import service as programmes
from crossroads.web.deps import DbSession
from crossroads.web.downloads import file_download
from crossroads.web.forms import Form, form_page_on_get, text
from crossroads.web.middleware import accept_upload
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)


@router.post("/cases/{case_id}/tasks")
def add_task(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return attempt_on_case(request, session, principal, case_id, lambda: tasks.add_task(
        session, principal=principal, case_id=case_id,
        data=TaskCreate(title=text(form, "title") or "", due_date=text(form, "due_date"),
                        **({"assigned_to": text(form, "assigned_to")} if text(form, "assigned_to") else {}))),
        "task", "#tasks", form)


@router.post("/tasks/{task_id}/complete")
def complete_task(task_id: RowId, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    task = tasks.complete_task(session, principal=principal, task_id=task_id)
    return RedirectResponse(f"/cases/{task.case_id}#tasks", status_code=303)


@router.post("/cases/{case_id}/services")
def record_assistance(case_id: uuid.UUID, request: Request, form: Form, session: DbSession,
                      principal: UiUser) -> Response:
    status = text(form, "status") or "planned"
    when = text(form, "date")
    return attempt_on_case(request, session, principal, case_id, lambda: assistance.record_assistance(
        session, principal=principal, case_id=case_id, data=AssistanceCreate(
            service_code=text(form, "service_code") or "", status=status,
            planned_date=when if status == "planned" else None, delivered_date=when if status == "delivered" else None,
            provider=text(form, "provider"), cost=text(form, "cost"),
            currency=(text(form, "currency") or "").upper() or None)),
        "service", "#assistance", form)


# accept_upload comes first: the form is read once it has raised the request's body limit to an upload's.
async def _ui_upload(_: Annotated[None, Depends(accept_upload)], form: Form) -> attachments.Upload:
    """The uploaded file, read up to one byte over the limit so that an oversized file is refused, not stored."""
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile):
        return attachments.Upload(filename="", content=b"")
    content = await upload_file.read(attachments.MAX_BYTES + 1)
    return attachments.Upload(filename=upload_file.filename or "attachment", content=content)


@router.post("/cases/{case_id}/attachments")
def upload(case_id: uuid.UUID, request: Request, file: Annotated[attachments.Upload, Depends(_ui_upload)],
           session: DbSession, principal: UiUser) -> Response:
    return attempt_on_case(request, session, principal, case_id, lambda: attachments.add_attachment(
        session, principal=principal, case_id=case_id, upload=file), "file", "#attachments")


@router.get("/attachments/{attachment_id}")
def download(attachment_id: uuid.UUID, session: DbSession, principal: UiUser) -> Response:
    attachment = attachments.read_attachment(session, principal=principal, attachment_id=attachment_id)
    return file_download(attachment.content, filename=attachment.filename, media_type=attachment.content_type)


@router.get("/cases/{case_id}/timeline")
def case_timeline(case_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser,
                  before: AuditSeq | None = None,
                  kind: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    case = service.load_case(session, principal, case_id)
    page = timeline.case_timeline(session, principal=principal, case_id=case_id, before=before,
                                  kind=kind or None)
    return render(request, "cases/timeline.html", {"case": case, "page": page, "kinds": timeline.KINDS})


@router.get("/dashboard")
def my_dashboard(request: Request, session: DbSession, principal: UiUser) -> Response:
    require(principal, Action.CASE_READ)
    data = dashboard.my_dashboard(session, principal=principal)
    offices = list(session.scalars(select(Office).where(Office.id.in_(principal.office_ids)).order_by(Office.code)))
    return render(request, "cases/dashboard.html", {
        "mine": data, "offices": offices, "today": date.today(),
        "programme_names": {p.code: p.name for p in programmes.list_programmes(session)},
    })


@router.get("/offices/{office_id}/dashboard")
def office_dashboard(office_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser,
                     days: Annotated[int, Query(ge=1, le=3650)] = 30) -> Response:
    data = dashboard.office_dashboard(session, principal=principal, office_id=office_id, inactive_days=days)
    office = session.get(Office, office_id)
    return render(request, "cases/office_dashboard.html", {
        "office": office, "data": data, "days": days,
        "programme_names": {p.code: p.name for p in programmes.list_programmes(session)},
    })


# A GET on a URL that only takes a form shows the form's page (web/forms.py: form_page_on_get).
form_page_on_get(router, "/cases/{case_id}/tasks", "/cases/{case_id}#tasks")
form_page_on_get(router, "/tasks/{task_id}/complete", "/dashboard")
form_page_on_get(router, "/cases/{case_id}/services", "/cases/{case_id}#services")
form_page_on_get(router, "/cases/{case_id}/attachments", "/cases/{case_id}#attachments")
