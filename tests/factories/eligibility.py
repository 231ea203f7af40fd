"""Active rule sets, screenings and determinations for the eligibility tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from crossroads.auth.policy import Principal
from crossroads.db.base import utcnow
from crossroads.eligibility import decisions, rulesets, service
from crossroads.eligibility.models import Determination, Override, RuleSetStatus, RuleSetVersion, Screening
from crossroads.eligibility.schemas import OverrideCreate, ScreeningCreate

# Answers to the return counselling under which AVRR's rules find a person eligible, with no fear of harm on
# return in the medical and protection screening and a country of return on the case.
READY_TO_RETURN = {"wishes_to_return": True, "informed_of_options": True, "holds_travel_document": True,
                   "legal_obstacle_to_departure": False}
SAFE_RETURN = {"fear_of_harm_on_return": False}


def active(db: Session, programme: str = "avrr", *, source: str | None = None, version: str | None = None,
           approve_every_override: bool = False) -> RuleSetVersion:
    """The programme's shipped rule set (or `source`), stored and made active as if activated after its diff."""
    text = source if source is not None else rulesets.shipped_ruleset_text(programme)
    assert text is not None, f"no shipped rule set for {programme}"
    row = RuleSetVersion(programme=programme, version=version or f"test-{uuid.uuid4().hex[:8]}", source=text,
                         status=RuleSetStatus.ACTIVE, approve_every_override=approve_every_override,
                         created_at=utcnow(), activated_at=utcnow(), diff_report={"against": None})
    db.add(row)
    db.flush()
    return row


def screening(db: Session, principal: Principal, case_id: uuid.UUID, instrument: str = "return_counselling",
              answers: dict[str, Any] | None = None) -> Screening:
    return service.record_screening(db, principal=principal, case_id=case_id, data=ScreeningCreate(
        instrument=instrument, answers=READY_TO_RETURN if answers is None else answers))


def eligible_case_inputs(db: Session, principal: Principal, case_id: uuid.UUID) -> None:
    screening(db, principal, case_id)
    screening(db, principal, case_id, "medical_protection", SAFE_RETURN)


def determination(db: Session, principal: Principal, case_id: uuid.UUID) -> Determination:
    return service.determine(db, principal=principal, case_id=case_id)


def override(db: Session, principal: Principal, determination_id: uuid.UUID, outcome: str = "eligible",
             reason: str = "The embassy confirmed the document by phone.") -> Override:
    return decisions.request_override(db, principal=principal, determination_id=determination_id,
                                      data=OverrideCreate.model_validate({"outcome": outcome, "reason": reason}))
