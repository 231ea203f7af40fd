"""What the home API returns: the counts of work waiting for the user; null where their role has none."""

from __future__ import annotations

from pydantic import BaseModel


class WaitingOut(BaseModel):
    my_open_cases: int | None
    my_overdue_tasks: int | None
    incoming_transfers: int | None
    approvals_waiting: int | None
    duplicates_to_review: int | None
    overrides_waiting: int | None = None
    office_overdue_tasks: int | None
    releases_to_decide: int | None
    release_drafts: int | None
