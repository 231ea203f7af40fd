"""What the workflow API accepts and returns: transitions, approvals, assignment and transfers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from crossroads.cases.workflow.transfers import TransferItem
from crossroads.cases.workflow.transitions import COMMENT_MAX, ApprovalItem, TransitionOutcome
from crossroads.kit.inputs import InputModel, MultiLine, SingleLine

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=COMMENT_MAX), MultiLine]


class TransitionRequest(InputModel):
    to_state: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), SingleLine]
    comment: Comment | None = None
    # Required when the move ends the case (TransitionOptionOut.reason_required).
    reason: Comment | None = None


class ReopenRequest(InputModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=COMMENT_MAX), MultiLine]


class ApprovalDecision(InputModel):
    approve: bool
    comment: Comment | None = None


class AssignRequest(InputModel):
    user_id: uuid.UUID


class TransferRequest(InputModel):
    to_office_id: uuid.UUID
    to_user_id: uuid.UUID | None = None
    reason: Comment | None = None


class TransferDecision(InputModel):
    accept: bool
    comment: Comment | None = None


class TransitionOptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    to_state: str
    label: str
    requires_approval: bool
    missing_fields: list[str]
    reason_required: bool


class ApprovalOut(BaseModel):
    id: int
    case_id: uuid.UUID
    case_number: str
    programme: str
    from_state: str
    to_state: str
    status: str
    requested_by: uuid.UUID | None
    requested_at: datetime
    comment: str | None
    reason: str | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_comment: str | None

    @classmethod
    def of(cls, item: ApprovalItem) -> ApprovalOut:
        a = item.approval
        return cls(id=a.id, case_id=a.case_id, case_number=item.case_number, programme=item.programme,
                   from_state=a.from_state, to_state=a.to_state, status=a.status, requested_by=a.requested_by,
                   requested_at=a.requested_at, comment=a.comment, reason=a.reason, decided_by=a.decided_by,
                   decided_at=a.decided_at, decision_comment=a.decision_comment)


class TransitionOut(BaseModel):
    """The case's state after the request; `approval` is set when the move waits for (or got) approval."""

    state: str
    case_version: int
    approval: ApprovalOut | None

    @classmethod
    def of(cls, outcome: TransitionOutcome) -> TransitionOut:
        case = outcome.case
        approval = None
        if outcome.approval is not None:
            approval = ApprovalOut.of(ApprovalItem(approval=outcome.approval, case_number=case.case_number,
                                                   programme=case.programme))
        return cls(state=case.state, case_version=case.version, approval=approval)


class OfficeRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    code: str
    name: str


class TransferOut(BaseModel):
    """A transfer without the person's identity or case data, which the receiver sees only once it accepts."""

    id: int
    case_id: uuid.UUID
    case_number: str
    programme: str
    from_office: OfficeRef
    to_office: OfficeRef
    to_user_id: uuid.UUID | None
    status: str
    reason: str | None
    requested_by: uuid.UUID | None
    requested_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_comment: str | None

    @classmethod
    def of(cls, item: TransferItem) -> TransferOut:
        t = item.transfer
        return cls(id=t.id, case_id=t.case_id, case_number=item.case_number, programme=item.programme,
                   from_office=OfficeRef.model_validate(item.from_office),
                   to_office=OfficeRef.model_validate(item.to_office), to_user_id=t.to_user_id, status=t.status,
                   reason=t.reason, requested_by=t.requested_by, requested_at=t.requested_at,
                   decided_by=t.decided_by, decided_at=t.decided_at, decision_comment=t.decision_comment)
