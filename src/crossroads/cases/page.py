"""The case page, shared by every action on a case: a refused action shows it again with the reason."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.auth.models import Office, User, user_offices
from crossroads.auth.policy import Principal, case_holder_roles, may_decide_approval
from crossroads.auth.roles import Action
from crossroads.cases import service
from crossroads.cases.models import Case
from crossroads.cases.work import assistance, attachments, links, tasks
from crossroads.cases.workflow import transfers, transitions
from crossroads.cases.workflow.models import CaseApproval, CaseTransfer
from crossroads.db.session import attempt
from crossroads.programmes import service as programmes
from crossroads.web.forms import field_errors
from crossroads.web.templating import render

# Sections that domains above cases add to the page, each with its own template included by the page (referrals):
# a function of the session, the principal and the case, returning the context its template reads. Cases
# cannot import those domains; they register here when imported.
SECTIONS: list[Callable[[Session, Principal, Case], dict[str, Any]]] = []


def _names(session: Session, case: Case) -> tuple[dict, dict, list, list]:
    """Display names: offices, users of the case's office (for assignment), and transfer targets."""
    offices = {o.id: o.name for o in session.scalars(select(Office).where(Office.active))}
    staff = session.execute(
        select(User.id, User.full_name).join(user_offices, user_offices.c.user_id == User.id)
        .where(user_offices.c.office_id == case.office_id, User.active,
               User.role.in_(sorted(case_holder_roles()))).order_by(User.full_name)
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
    programme_list = programmes.list_programmes(session)
    next_states = [config.state(t.to_state) for t in config.next_states(case.state)]
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
        "required_next": {f for s in next_states if s is not None for f in s.required_fields},
        "errors": errors or {},
        "conflict": conflict,
        "message": message,
        "today": date.today(),
        "service_labels": {s.code: s.label for s in config.services},
    }
    context.update(case_work_context(session, principal, case))
    for section in SECTIONS:
        context.update(section(session, principal, case))
    return render(request, "cases/detail.html", context, status_code=status_code)


def case_work_context(session: Session, principal: Principal, case: Case) -> dict[str, Any]:
    """Workflow, tasks, services, attachments and related cases shown on the case page."""
    pending_approval = session.scalar(select(CaseApproval).where(CaseApproval.case_id == case.id,
                                                                 CaseApproval.status == transitions.PENDING))
    pending_transfer = session.scalar(select(CaseTransfer).where(CaseTransfer.case_id == case.id,
                                                                 CaseTransfer.status == transfers.PENDING))
    may_move = principal.may(Action.CASE_TRANSITION) and case.closed_at is None
    may_decide = pending_approval is not None and may_decide_approval(principal, pending_approval.requested_by)
    related = links.case_links(session, principal=principal, case_id=case.id)
    return {
        "transitions": transitions.available_transitions(session, principal=principal, case_id=case.id)
        if may_move else [],
        "pending_approval": pending_approval,
        "may_decide_approval": may_decide,
        "pending_transfer": pending_transfer,
        "tasks": tasks.list_case_tasks(session, principal=principal, case_id=case.id),
        "services": assistance.list_assistance(session, principal=principal, case_id=case.id)[0],
        "attachments": attachments.list_attachments(session, principal=principal, case_id=case.id),
        "related_cases": [item.case for item in related.linked] + [item.case for item in related.household],
    }


def attempt_on_case(request: Request, session: Session, principal: Principal, case_id: uuid.UUID, action,
                    error_key: str, anchor: str) -> Response:
    """Run an action on a case; on refusal show the case page with the reason beside the form."""
    with attempt(session) as tried:
        action()
    refusal = tried.refusal
    if isinstance(refusal, ValidationError):
        message = "; ".join(f"{k}: {v}" for k, v in field_errors(refusal).items())
        return case_page(request, session, principal, case_id, errors={error_key: message}, status_code=422)
    if refusal is not None:
        return case_page(request, session, principal, case_id, errors={error_key: refusal.message},
                         status_code=refusal.status_code)
    return RedirectResponse(f"/cases/{case_id}{anchor}", status_code=303)
