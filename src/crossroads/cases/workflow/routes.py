"""JSON API for moving cases through their workflow, approvals, assignment and transfers."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Response

from crossroads.auth.deps import ApiUser
from crossroads.cases.schemas import CaseOut
from crossroads.cases.workflow import transfers, transitions
from crossroads.cases.workflow.schemas import (
    ApprovalDecision,
    ApprovalOut,
    AssignRequest,
    ReopenRequest,
    TransferDecision,
    TransferOut,
    TransferRequest,
    TransitionOptionOut,
    TransitionOut,
    TransitionRequest,
)
from crossroads.kit.inputs import RowId
from crossroads.web.deps import DbSession

router = APIRouter(tags=["cases"])

ApprovalStatus = Literal["pending", "approved", "rejected", "superseded"]
TransferStatus = Literal["pending", "accepted", "declined", "cancelled"]


@router.get("/cases/{case_id}/transitions", response_model=list[TransitionOptionOut])
def list_transitions(case_id: uuid.UUID, session: DbSession, principal: ApiUser):
    options = transitions.available_transitions(session, principal=principal, case_id=case_id)
    return [TransitionOptionOut.model_validate(o) for o in options]


@router.post("/cases/{case_id}/transitions", response_model=TransitionOut,
             responses={202: {"model": TransitionOut, "description": "waiting for a supervisor's approval"}})
def transition_case(case_id: uuid.UUID, body: TransitionRequest, response: Response, session: DbSession,
                    principal: ApiUser):
    outcome = transitions.transition_case(session, principal=principal, case_id=case_id, to_state=body.to_state,
                                          comment=body.comment, reason=body.reason)
    if outcome.approval is not None:
        response.status_code = 202
    return TransitionOut.of(outcome)


@router.post("/cases/{case_id}/reopen", response_model=TransitionOut,
             responses={202: {"model": TransitionOut, "description": "waiting for a supervisor's approval"},
                        409: {"description": "the case has not ended, or a request is already waiting"}})
def reopen_case(case_id: uuid.UUID, body: ReopenRequest, response: Response, session: DbSession,
                principal: ApiUser):
    outcome = transitions.reopen_case(session, principal=principal, case_id=case_id, reason=body.reason)
    if outcome.approval is not None:
        response.status_code = 202
    return TransitionOut.of(outcome)


@router.get("/approvals", response_model=list[ApprovalOut])
def list_approvals(session: DbSession, principal: ApiUser, status: ApprovalStatus = "pending"):
    return [ApprovalOut.of(i) for i in transitions.list_approvals(session, principal=principal, status=status)]


@router.post("/approvals/{approval_id}/decision", response_model=TransitionOut)
def decide_approval(approval_id: RowId, body: ApprovalDecision, session: DbSession, principal: ApiUser):
    outcome = transitions.decide_approval(session, principal=principal, approval_id=approval_id,
                                          approve=body.approve, comment=body.comment)
    return TransitionOut.of(outcome)


@router.post("/cases/{case_id}/assign", response_model=CaseOut)
def assign_case(case_id: uuid.UUID, body: AssignRequest, session: DbSession, principal: ApiUser):
    return CaseOut.model_validate(transfers.assign_case(session, principal=principal, case_id=case_id,
                                                        user_id=body.user_id))


@router.post("/cases/{case_id}/transfer", response_model=TransferOut, status_code=201)
def request_transfer(case_id: uuid.UUID, body: TransferRequest, session: DbSession, principal: ApiUser):
    item = transfers.request_transfer(session, principal=principal, case_id=case_id, to_office_id=body.to_office_id,
                                      to_user_id=body.to_user_id, reason=body.reason)
    return TransferOut.of(item)


@router.get("/transfers", response_model=list[TransferOut])
def list_transfers(session: DbSession, principal: ApiUser, direction: Literal["incoming", "outgoing"] = "incoming",
                   status: TransferStatus = "pending"):
    items = transfers.list_transfers(session, principal=principal, direction=direction, status=status)
    return [TransferOut.of(i) for i in items]


@router.post("/transfers/{transfer_id}/decision", response_model=TransferOut)
def decide_transfer(transfer_id: RowId, body: TransferDecision, session: DbSession, principal: ApiUser):
    item = transfers.decide_transfer(session, principal=principal, transfer_id=transfer_id, accept=body.accept,
                                     comment=body.comment)
    return TransferOut.of(item)


@router.post("/transfers/{transfer_id}/cancel", response_model=TransferOut)
def cancel_transfer(transfer_id: RowId, session: DbSession, principal: ApiUser):
    return TransferOut.of(transfers.cancel_transfer(session, principal=principal, transfer_id=transfer_id))
