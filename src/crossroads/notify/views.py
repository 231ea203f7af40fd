"""The administrators' page of the notification outbox: messages by state, and retrying dead ones."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from crossroads.auth.deps import UiUser
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.auth.service import list_organisations
from crossroads.db.session import attempt
from crossroads.kit.errors import DomainError
from crossroads.kit.inputs import RowId
from crossroads.notify import service
from crossroads.notify.models import OutboxState
from crossroads.web.deps import DbSession
from crossroads.web.forms import Form
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = 100


def _page(request: Request, session: DbSession, principal: Principal, state: OutboxState, *,
          error: str | None = None, status_code: int = 200) -> Response:
    rows = service.list_outbox(session, principal=principal, state=state, limit=PAGE)
    return render(request, "notify/outbox.html", {
        "state": state, "states": list(OutboxState), "messages": rows,
        "counts": service.count_outbox(session, principal=principal),
        "destinations": service.destinations(session, rows),
        "webhooks": service.list_webhooks(session, principal=principal),
        "organisations": {o.id: o.name for o in list_organisations(session)},
        "error": error}, status_code=status_code)


@router.get("/admin/notifications")
def outbox_page(request: Request, session: DbSession, principal: UiUser, state: str = "pending") -> Response:
    require(principal, Action.NOTIFY_MANAGE)
    chosen = OutboxState(state) if state in set(OutboxState) else OutboxState.PENDING
    return _page(request, session, principal, chosen)


@router.post("/admin/notifications/{outbox_id}/retry")
def retry(outbox_id: RowId, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    require(principal, Action.NOTIFY_MANAGE)
    with attempt(session) as tried:
        service.retry_message(session, principal=principal, outbox_id=outbox_id)
    refusal = tried.refusal
    if isinstance(refusal, DomainError) and refusal.status_code == 422:
        return _page(request, session, principal, OutboxState.DEAD, error=refusal.message, status_code=422)
    if refusal is not None:
        raise refusal
    return RedirectResponse("/admin/notifications?state=dead", status_code=303)
