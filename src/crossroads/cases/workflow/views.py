"""HTML actions and pages for the workflow: transitions, approvals, assignment and transfers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crossroads.auth.deps import UiUser
from crossroads.auth.policy import may_decide_approval
from crossroads.auth.roles import Action
from crossroads.cases.page import attempt_on_case, case_page, confirm_move_page
from crossroads.cases.workflow import transfers, transitions
from crossroads.db.session import attempt
from crossroads.kit.errors import DomainError, Invalid
from crossroads.kit.inputs import RowId
from crossroads.programmes import service as programmes
from crossroads.web.deps import DbSession
from crossroads.web.forms import Form, form_page_on_get, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)


def _uuid(value: str | None, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        raise Invalid("choose from the list", field=field) from None


@router.post("/cases/{case_id}/transitions")
def move_case(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    to_state = text(form, "to_state") or ""
    reason = text(form, "reason")
    with attempt(session) as tried:
        transitions.transition_case(session, principal=principal, case_id=case_id, to_state=to_state,
                                    comment=text(form, "comment"), reason=reason)
    refusal = tried.refusal
    if isinstance(refusal, DomainError) and refusal.field == "reason":
        # Asked from the confirmation (page or dialog): ask again there, keeping what was typed.
        return confirm_move_page(request, session, principal, case_id, to_state, error=refusal.message,
                                 reason=reason, status_code=refusal.status_code)
    if isinstance(refusal, DomainError):
        return case_page(request, session, principal, case_id, errors={"to_state": refusal.message},
                         status_code=refusal.status_code)
    if refusal is not None:
        raise refusal
    return RedirectResponse(f"/cases/{case_id}#summary", status_code=303)


@router.get("/cases/{case_id}/transitions/{to_state}/confirm")
def confirm_move(case_id: uuid.UUID, to_state: Annotated[str, Path(max_length=40)], request: Request,
                 session: DbSession, principal: UiUser) -> Response:
    return confirm_move_page(request, session, principal, case_id, to_state)


@router.post("/cases/{case_id}/reopen")
def reopen(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return attempt_on_case(request, session, principal, case_id, lambda: transitions.reopen_case(
        session, principal=principal, case_id=case_id, reason=text(form, "reason")), "reopen", "#summary", form)


@router.post("/cases/{case_id}/assign")
def assign(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return attempt_on_case(request, session, principal, case_id, lambda: transfers.assign_case(
        session, principal=principal, case_id=case_id, user_id=_uuid(text(form, "user_id"), "user_id")),
        "transfer", "#transfer", form)


@router.post("/cases/{case_id}/transfer")
def transfer(case_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return attempt_on_case(request, session, principal, case_id, lambda: transfers.request_transfer(
        session, principal=principal, case_id=case_id, to_office_id=_uuid(text(form, "to_office_id"), "to_office_id"),
        reason=text(form, "reason")), "transfer", "#transfer", form)


def _inbox(request: Request, session: DbSession, principal: UiUser, error: str | None = None,
           status_code: int = 200) -> Response:
    approvals = transitions.list_approvals(session, principal=principal) \
        if principal.may(Action.CASE_APPROVE) else []
    incoming = transfers.list_transfers(session, principal=principal, direction="incoming") \
        if principal.may(Action.CASE_TRANSFER) else []
    outgoing = transfers.list_transfers(session, principal=principal, direction="outgoing") \
        if principal.may(Action.CASE_TRANSFER) else []
    decidable = {a.approval.id for a in approvals if may_decide_approval(principal, a.approval.requested_by)}
    return render(request, "cases/inbox.html", {
        "approvals": approvals, "decidable": decidable, "incoming": incoming, "outgoing": outgoing, "error": error,
        "moves": move_labels(session, approvals),
        "programme_names": {p.code: p.name for p in programmes.list_programmes(session)},
    }, status_code=status_code)


@dataclass(frozen=True)
class MoveLabels:
    programme: str
    transition: str | None
    from_state: str
    to_state: str


def move_labels(session: Session, approvals: list[transitions.ApprovalItem]) -> dict[int, MoveLabels]:
    """Each requested move named by the labels of its case's own programme version, by approval id."""
    configs = programmes.configs_for(session, {a.programme_version_id for a in approvals})
    out = {}
    for item in approvals:
        a, config = item.approval, configs.get(item.programme_version_id)
        if config is None:
            out[a.id] = MoveLabels(item.programme, None, a.from_state, a.to_state)
            continue
        transition = next((t for t in config.next_states(a.from_state) if t.to_state == a.to_state), None)
        from_state, to_state = config.state(a.from_state), config.state(a.to_state)
        out[a.id] = MoveLabels(config.label, transition.label if transition else None,
                               from_state.label if from_state else a.from_state,
                               to_state.label if to_state else a.to_state)
    return out


@router.get("/inbox")
def inbox(request: Request, session: DbSession, principal: UiUser) -> Response:
    return _inbox(request, session, principal)


def _decide(request: Request, session: DbSession, principal: UiUser, action, next_url: str) -> Response:
    with attempt(session) as tried:
        action()
    if isinstance(refusal := tried.refusal, DomainError):
        return _inbox(request, session, principal, error=refusal.message, status_code=refusal.status_code)
    if refusal is not None:
        raise refusal
    return RedirectResponse(next_url, status_code=303)


def _next(form, default: str) -> str:
    target = text(form, "next") or default
    # Only local paths: an open redirect would let a crafted form send staff elsewhere.
    return target if target.startswith("/") and not target.startswith("//") else default


@router.post("/approvals/{approval_id}/decision")
def decide_approval(approval_id: RowId, request: Request, form: Form, session: DbSession,
                    principal: UiUser) -> Response:
    return _decide(request, session, principal, lambda: transitions.decide_approval(
        session, principal=principal, approval_id=approval_id, approve=text(form, "approve") == "true",
        comment=text(form, "comment")), _next(form, "/inbox"))


@router.post("/transfers/{transfer_id}/decision")
def decide_transfer(transfer_id: RowId, request: Request, form: Form, session: DbSession,
                    principal: UiUser) -> Response:
    accept = text(form, "accept") == "true"
    outcome: list = []

    def act() -> None:
        outcome.append(transfers.decide_transfer(session, principal=principal, transfer_id=transfer_id,
                                                 accept=accept, comment=text(form, "comment")))

    response = _decide(request, session, principal, act, "/inbox")
    if accept and outcome and response.status_code == 303:
        return RedirectResponse(f"/cases/{outcome[0].transfer.case_id}", status_code=303)
    return response


@router.post("/transfers/{transfer_id}/cancel")
def cancel_transfer(transfer_id: RowId, request: Request, form: Form, session: DbSession,
                    principal: UiUser) -> Response:
    return _decide(request, session, principal, lambda: transfers.cancel_transfer(
        session, principal=principal, transfer_id=transfer_id), _next(form, "/inbox"))


# A GET on a URL that only takes a form shows the form's page (web/forms.py: form_page_on_get).
form_page_on_get(router, "/cases/{case_id}/transitions", "/cases/{case_id}#workflow")
form_page_on_get(router, "/cases/{case_id}/assign", "/cases/{case_id}")
form_page_on_get(router, "/cases/{case_id}/transfer", "/cases/{case_id}#transfer")
form_page_on_get(router, "/approvals/{approval_id}/decision", "/inbox")
form_page_on_get(router, "/transfers/{transfer_id}/decision", "/inbox")
form_page_on_get(router, "/transfers/{transfer_id}/cancel", "/inbox")
