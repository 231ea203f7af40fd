"""The landing page after login: what waits for the user, with counts and links, by role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from crossroads.auth.deps import UiUser
from crossroads.auth.models import Office
from crossroads.auth.policy import may_decide_approval
from crossroads.cases.workflow.views import move_labels
from crossroads.home.service import what_waits
from crossroads.programmes import service as programmes
from crossroads.web.deps import DbSession
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, session: DbSession, principal: UiUser) -> Response:
    waiting = what_waits(session, principal=principal)
    approvals = waiting.approvals or []
    offices = list(session.scalars(select(Office).where(Office.id.in_(principal.office_ids)).order_by(Office.code)))
    return render(request, "home/home.html", {
        "waiting": waiting,
        "offices": offices,
        "approvals": approvals,
        "decidable": {a.approval.id for a in approvals if may_decide_approval(principal, a.approval.requested_by)},
        "moves": move_labels(session, approvals),
        "next_url": "/",
        "programme_names": {p.code: p.name for p in programmes.list_programmes(session)} if approvals else {},
    })
