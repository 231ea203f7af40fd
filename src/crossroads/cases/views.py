"""HTML pages: the case list, a case with everything worked on it, and opening a case."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.auth.models import Office, User, user_offices
from crossroads.auth.policy import Principal
from crossroads.auth.roles import Action
from crossroads.cases import attachments, links, programmes, service, service_records, tasks, transfers, transitions
from crossroads.cases.forms import data_from_form
from crossroads.cases.models import Case, CaseApproval, CaseTransfer
from crossroads.cases.schemas import CaseCreate, CaseUpdate, NoteCreate
from crossroads.kit.errors import Conflict, DomainError
from crossroads.web.deps import DbSession, UiUser
from crossroads.web.forms import Form, field_errors, text
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
    programme_list = service.list_programmes(session)
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
    try:
        case = service.open_case(session, principal=principal, data=CaseCreate(
            person_id=person_id, programme=text(form, "programme") or "", office_id=text(form, "office_id")))
    except ValidationError as exc:
        message = "; ".join(f"{k}: {v}" for k, v in field_errors(exc).items())
        return render(request, "error.html", {"status": 422, "message": message}, status_code=422)
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def _names(session: Session, case: Case) -> tuple[dict, dict, list, list]:
    """Display names: offices, users of the case's office (for assignment), and transfer targets."""
    offices = {o.id: o.name for o in session.scalars(select(Office).where(Office.active))}
    staff = session.execute(
        select(User.id, User.full_name).join(user_offices, user_offices.c.user_id == User.id)
        .where(user_offices.c.office_id == case.office_id, User.active,
               User.role.in_(["caseworker", "supervisor"])).order_by(User.full_name)
    ).all()
    return offices, {uid: name for uid, name in staff}, list(staff), [
        (oid, name) for oid, name in sorted(offices.items(), key=lambda kv: kv[1]) if oid != case.office_id
    ]


def case_page(request: Request, session: Session, principal: Principal, case_id: uuid.UUID, *,
              errors: dict | None = None, values: dict | None = None, conflict: dict | None = None,
              message: str | None = None, status_code: int = 200) -> Response:
    """Render a case with everything worked on it; errors and submitted values re-fill a failed form."""
    case = service.get_case(session, principal=principal, case_id=case_id)
    config = service.case_config(session, case)
    office_names, user_names, office_users, transfer_offices = _names(session, case)
    note_authors = {n.author_id for n in case.notes} - set(user_names)
    if note_authors:
        user_names.update(session.execute(select(User.id, User.full_name).where(User.id.in_(note_authors))).all())
    programme_list = service.list_programmes(session)
    context = {
        "case": case,
        "config": config,
        "state_label": programmes.state_labeller({case.programme_version_id: config}),
        "programme_names": {p.code: p.name for p in programme_list},
        "office_names": office_names,
        "user_names": user_names,
        "office_users": office_users,
        "transfer_offices": transfer_offices,
        "values": values if values is not None else case.data,
        "flags_value": ", ".join(case.flags),
        "form_version": (conflict or {}).get("your_version", case.version),
        "required_next": {f for t in config.next_states(case.state)
                          for f in (config.state(t.to_state).required_fields if config.state(t.to_state) else [])},
        "errors": errors or {},
        "conflict": conflict,
        "message": message,
        "today": date.today(),
        "service_labels": {s.code: s.label for s in config.services},
    }
    context.update(case_work_context(session, principal, case))
    return render(request, "cases/detail.html", context, status_code=status_code)


def case_work_context(session: Session, principal: Principal, case: Case) -> dict[str, Any]:
    """Workflow, tasks, services, attachments and related cases shown on the case page."""
    pending_approval = session.scalar(select(CaseApproval).where(CaseApproval.case_id == case.id,
                                                                 CaseApproval.status == transitions.PENDING))
    pending_transfer = session.scalar(select(CaseTransfer).where(CaseTransfer.case_id == case.id,
                                                                 CaseTransfer.status == transfers.PENDING))
    may_move = principal.may(Action.CASE_TRANSITION) and case.closed_at is None
    related = links.case_links(session, principal=principal, case_id=case.id)
    return {
        "transitions": transitions.available_transitions(session, principal=principal, case_id=case.id)
        if may_move else [],
        "pending_approval": pending_approval,
        "pending_transfer": pending_transfer,
        "tasks": tasks.list_case_tasks(session, principal=principal, case_id=case.id),
        "services": service_records.list_services(session, principal=principal, case_id=case.id)[0],
        "attachments": attachments.list_attachments(session, principal=principal, case_id=case.id),
        "related_cases": [item.case for item in related.linked] + [item.case for item in related.household],
    }


def attempt_on_case(request: Request, session: Session, principal: Principal, case_id: uuid.UUID, action,  # noqa: ANN001
                    error_key: str, anchor: str) -> Response:
    """Run an action on a case; on refusal show the case page with the reason beside the form."""
    try:
        action()
    except ValidationError as exc:
        message = "; ".join(f"{k}: {v}" for k, v in field_errors(exc).items())
        return case_page(request, session, principal, case_id, errors={error_key: message}, status_code=422)
    except DomainError as exc:
        session.rollback()
        return case_page(request, session, principal, case_id, errors={error_key: exc.message},
                         status_code=exc.status_code)
    return RedirectResponse(f"/cases/{case_id}{anchor}", status_code=303)


@router.get("/cases/{case_id}")
def show_case(case_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser) -> Response:
    return case_page(request, session, principal, case_id)


@router.post("/cases/{case_id}/edit")
def edit_case(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    case = service.load_case(session, principal, case_id)
    submitted = data_from_form(service.case_config(session, case), form)
    flags = [f.strip().lower() for f in (text(form, "flags") or "").split(",") if f.strip()]
    try:
        version = int(text(form, "version") or "0")
        service.update_case(session, principal=principal, case_id=case_id,
                            data=CaseUpdate(version=version, data=submitted, flags=flags))
    except ValueError as exc:
        errors = field_errors(exc) if isinstance(exc, ValidationError) else {"form": "the form is out of date"}
        return case_page(request, session, principal, case_id, errors=errors, values=submitted, status_code=422)
    except Conflict as exc:
        session.rollback()
        conflict = {**exc.extra, "your_version": exc.extra.get("current_version")}
        return case_page(request, session, principal, case_id, values=submitted, conflict=conflict,
                         status_code=409)
    except DomainError as exc:
        session.rollback()
        errors = dict(exc.errors) or {exc.field or "form": exc.message}
        return case_page(request, session, principal, case_id, errors=errors, values=submitted,
                         status_code=exc.status_code)
    return RedirectResponse(f"/cases/{case_id}#details", status_code=303)


@router.post("/cases/{case_id}/notes")
def add_note(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    try:
        service.add_case_note(session, principal=principal, case_id=case_id,
                              data=NoteCreate(body=text(form, "body") or ""))
    except ValidationError as exc:
        return case_page(request, session, principal, case_id, errors=field_errors(exc), status_code=422)
    return RedirectResponse(f"/cases/{case_id}#notes", status_code=303)
