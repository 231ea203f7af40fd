"""The case page, shared by every action on a case: a refused action shows it again with the reason."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from crossroads.auth.models import Office, User, user_offices
from crossroads.auth.policy import Principal, case_holder_roles, may_decide_approval
from crossroads.auth.roles import Action
from crossroads.cases import service
from crossroads.cases.models import Case
from crossroads.cases.work import assistance, attachments, links, tasks
from crossroads.cases.workflow import transfers, transitions
from crossroads.cases.workflow.models import CaseApproval, CaseStateChange, CaseTransfer
from crossroads.db.session import attempt
from crossroads.kit.errors import NotFound
from crossroads.kit.i18n import N_
from crossroads.programmes import service as programmes
from crossroads.programmes.config import ProgrammeConfig
from crossroads.web.forms import field_errors
from crossroads.web.templating import render

# The page's small forms: the key their errors are shown under, and each input by its name in the form, with
# the label the error summary links it by. An error about an input is keyed "<form>.<input>" and shown beside
# it; an error about the form as a whole (a policy refusal) is keyed "<form>" and shown above its button.
FORMS: dict[str, dict[str, str]] = {
    "task": {"title": N_("New task"), "due_date": N_("Due date"), "assigned_to": N_("Assign to")},
    "service": {"service_code": N_("Service"), "status": N_("Status"), "date": N_("Date"),
                "provider": N_("Provider"), "cost": N_("Cost"), "currency": N_("Currency")},
    "transfer": {"user_id": N_("Assign to"), "to_office_id": N_("Transfer to office"), "reason": N_("Reason")},
    "reopen": {"reason": N_("Reason (required)")},
    "file": {"file": N_("File (PDF, JPEG, PNG or text, up to 10 MiB)")},
}
# The form-level keys by what the summary calls them (each is the id of its form or section on the page).
FORM_NAMES = {"task": N_("Tasks"), "service": N_("Service plan and services delivered"),
              "transfer": N_("Assignment and transfer"), "reopen": N_("Reopen case"), "file": N_("Attachments"),
              "to_state": N_("Next step")}
# Service-side names of inputs that the form names otherwise.
_ALIASES = {"planned_date": "date", "delivered_date": "date", "to_user_id": "user_id", "filename": "file"}


def error_key(form: str, field: str | None) -> str:
    """Where an error of one of the page's forms is shown: beside its input when the form has it."""
    name = _ALIASES.get(field or "", field or "")
    return f"{form}.{name}" if name in FORMS.get(form, {}) else form


def summary_labels(config: ProgrammeConfig) -> dict[str, str]:
    """Every error key of the page that the summary at its top links to a field or form, with its label."""
    labels: dict[str, str] = {f"data.{f.name}": f.label for f in config.fields}
    labels.update({f"{form}.{name}": label for form, inputs in FORMS.items() for name, label in inputs.items()})
    labels.update(FORM_NAMES)
    labels.update({"flags": N_("Flags (comma-separated, e.g. urgent, medical)"), "body": N_("New note")})
    return labels


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


@dataclass(frozen=True)
class Stage:
    label: str
    # "done", "current", "ended" (the terminal state a case ended in) or "upcoming".
    status: str


def stage_bar(config: ProgrammeConfig, state: str, left_from: str | None) -> list[Stage]:
    """The programme's working states in order, marked against where the case stands.

    An ended case shows the stages up to the one it left as done, then the state it ended in.
    """
    stages = config.stages()
    names = [s.name for s in stages]
    current = config.state(state)
    if current is not None and current.terminal:
        reached = names.index(left_from) + 1 if left_from in names else 0
        return [Stage(s.label, "done" if i < reached else "upcoming") for i, s in enumerate(stages)] + \
            [Stage(current.label, "ended")]
    at = names.index(state) if state in names else -1
    return [Stage(s.label, "done" if i < at else "current" if i == at else "upcoming") for i, s in enumerate(stages)]


def case_page(request: Request, session: Session, principal: Principal, case_id: uuid.UUID, *,
              errors: dict | None = None, values: dict | None = None, conflict: dict | None = None,
              message: str | None = None, typed: dict[str, dict[str, str]] | None = None,
              status_code: int = 200) -> Response:
    """Render a case with everything worked on it; errors and submitted values re-fill a failed form.

    `values` re-fills the programme details form; `typed` the small forms, by form key (FORMS)."""
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
        # The forms with an error are unfolded; the summary at the top links to each of their fields.
        "open_forms": {key.split(".")[0] for key in errors or {}},
        "summary_labels": summary_labels(config),
        "typed": typed or {},
        # The long form stays folded unless it is what the user must look at again.
        "details_open": bool(conflict) or any(k.startswith("data.") or k in ("flags", "form") for k in errors or {}),
        "conflict": conflict,
        "message": message,
        "today": tasks.today(),
        "service_labels": {s.code: s.label for s in config.services},
    }
    context.update(case_work_context(session, principal, case))
    for section in SECTIONS:
        context.update(section(session, principal, case))
    return render(request, "cases/detail.html", context, status_code=status_code)


def case_work_context(session: Session, principal: Principal, case: Case) -> dict[str, Any]:
    """The summary (stage, next step, overdue tasks), the moves, tasks, assistance, attachments and related cases."""
    config = service.case_config(session, case)
    pending_approval = session.scalar(select(CaseApproval).where(CaseApproval.case_id == case.id,
                                                                 CaseApproval.status == transitions.PENDING))
    pending_transfer = session.scalar(select(CaseTransfer).where(CaseTransfer.case_id == case.id,
                                                                 CaseTransfer.status == transfers.PENDING))
    # The move that brought the case to its state: an ended case shows why, and the stage it left.
    last_change = session.scalar(select(CaseStateChange).where(CaseStateChange.case_id == case.id,
                                                               CaseStateChange.to_state == case.state)
                                 .order_by(CaseStateChange.id.desc()).limit(1))
    may_transition = principal.may(Action.CASE_TRANSITION)
    ended = config.ends_case(case.state)
    may_move = may_transition and not ended
    may_decide = pending_approval is not None and may_decide_approval(principal, pending_approval.requested_by)
    related = links.case_links(session, principal=principal, case_id=case.id)
    options = transitions.available_transitions(session, principal=principal, case_id=case.id) if may_move else []
    expected = config.next_step(case.state)
    primary = next((o for o in options if expected is not None and o.to_state == expected.to_state
                    and not o.reason_required), None)
    case_tasks = tasks.list_case_tasks(session, principal=principal, case_id=case.id)
    today = tasks.today()
    return {
        "ended": ended,
        "transitions": options,
        "primary_move": primary,
        "other_moves": [o for o in options if o is not primary and not o.reason_required],
        "ending_moves": [o for o in options if o.reason_required],
        "next_step": next((o for o in options if expected is not None and o.to_state == expected.to_state), None),
        "field_labels": {f.name: f.label for f in config.fields},
        "stages": stage_bar(config, case.state, last_change.from_state if last_change else None),
        "last_change": last_change,
        "reopening": transitions.reopening_of(session, case, config)
        if may_transition and pending_approval is None else None,
        "pending_approval": pending_approval,
        "pending_is_reopening": pending_approval is not None and config.ends_case(pending_approval.from_state),
        "may_decide_approval": may_decide,
        "pending_transfer": pending_transfer,
        "tasks": case_tasks,
        "overdue_count": sum(1 for t in case_tasks if t.completed_at is None and t.due_date is not None
                             and t.due_date < today),
        "services": assistance.list_assistance(session, principal=principal, case_id=case.id)[0],
        "attachments": attachments.list_attachments(session, principal=principal, case_id=case.id),
        "related_cases": [item.case for item in related.linked] + [item.case for item in related.household],
    }


def confirm_move_page(request: Request, session: Session, principal: Principal, case_id: uuid.UUID, to_state: str,
                      *, error: str | None = None, reason: str | None = None, status_code: int = 200) -> Response:
    """The page that asks for a reason before a move that ends the case (the no-script path of the dialog)."""
    case = service.get_case(session, principal=principal, case_id=case_id)
    config = service.case_config(session, case)
    options = transitions.available_transitions(session, principal=principal, case_id=case.id)
    move = next((o for o in options if o.to_state == to_state and o.reason_required), None)
    if move is None:
        raise NotFound("this case offers no such move that ends it", field="to_state")
    return render(request, "cases/confirm_move.html", {
        "case": case, "move": move, "target": config.state(to_state), "error": error, "reason": reason or "",
        "field_labels": {f.name: f.label for f in config.fields},
    }, status_code=status_code)


def attempt_on_case(request: Request, session: Session, principal: Principal, case_id: uuid.UUID, action,
                    form_key: str, anchor: str, form: FormData | None = None) -> Response:
    """Run an action on a case; on refusal show the case page with each error beside its input and what was
    typed in the form again."""
    with attempt(session) as tried:
        action()
    refusal = tried.refusal
    if refusal is None:
        return RedirectResponse(f"/cases/{case_id}{anchor}", status_code=303)
    typed = {form_key: {name: value for name, value in form.items() if isinstance(value, str)
                        and name != "csrf_token"}} if form is not None else None
    if isinstance(refusal, ValidationError):
        errors: dict[str, Any] = {}
        for field, message in field_errors(refusal).items():
            errors.setdefault(error_key(form_key, field), message)
        return case_page(request, session, principal, case_id, errors=errors, typed=typed, status_code=422)
    return case_page(request, session, principal, case_id, typed=typed, status_code=refusal.status_code,
                     errors={error_key(form_key, refusal.field): refusal.message})
