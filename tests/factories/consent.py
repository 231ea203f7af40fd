"""Consents for tests, recorded through the service."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.orm import Session

from crossroads.auth.policy import Principal
from crossroads.consent.models import Consent
from crossroads.consent.schemas import ConsentCreate
from crossroads.consent.service import record_consent


def consent_payload(recipient_id: uuid.UUID | str, **overrides) -> dict:
    payload = {
        "recipient_organisation_id": str(recipient_id), "purpose": "legal_assistance",
        "categories": ["identity", "contact"], "method": "written",
        "expires_on": (date.today() + timedelta(days=365)).isoformat(),
    }
    payload.update(overrides)
    return payload


def consent(db: Session, principal: Principal, person_id: uuid.UUID, recipient_id: uuid.UUID,
            **overrides) -> Consent:
    return record_consent(db, principal=principal, person_id=person_id,
                          data=ConsentCreate.model_validate(consent_payload(recipient_id, **overrides)))
