"""JSON API of the home page: what waits for the user, counted in their scope."""

from __future__ import annotations

from fastapi import APIRouter

from crossroads.auth.deps import ApiUser
from crossroads.home.schemas import WaitingOut
from crossroads.home.service import what_waits
from crossroads.web.deps import DbSession

router = APIRouter(tags=["home"])


@router.get("/home", response_model=WaitingOut)
def waiting(session: DbSession, principal: ApiUser):
    w = what_waits(session, principal=principal, with_approvals=False)
    return WaitingOut(
        my_open_cases=w.my_open_cases,
        my_overdue_tasks=w.my_overdue_tasks.count if w.my_overdue_tasks is not None else None,
        incoming_transfers=w.incoming_transfers, approvals_waiting=w.approvals_waiting,
        duplicates_to_review=w.duplicates_to_review, overrides_waiting=w.overrides_waiting,
        office_overdue_tasks=w.office_overdue_tasks,
        releases_to_decide=w.releases_to_decide, release_drafts=w.release_drafts,
    )
