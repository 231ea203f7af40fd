"""JSON API for a person's consents."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from crossroads.auth.deps import ApiUser
from crossroads.consent import service
from crossroads.consent.models import Consent
from crossroads.consent.schemas import ConsentCreate, ConsentOut, ConsentRevoke
from crossroads.web.deps import DbSession

router = APIRouter(tags=["consents"])


def consent_out(consent: Consent) -> ConsentOut:
    return ConsentOut.model_validate(consent).model_copy(update={"in_force": service.in_force(consent)})


@router.post("/people/{person_id}/consents", response_model=ConsentOut, status_code=201)
def record_consent(person_id: uuid.UUID, body: ConsentCreate, session: DbSession, principal: ApiUser):
    return consent_out(service.record_consent(session, principal=principal, person_id=person_id, data=body))


@router.get("/people/{person_id}/consents", response_model=list[ConsentOut])
def list_consents(person_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return [consent_out(c) for c in service.list_consents(session, principal=principal, person_id=person_id)]


@router.post("/consents/{consent_id}/revoke", response_model=ConsentOut)
def revoke_consent(consent_id: uuid.UUID, body: ConsentRevoke, session: DbSession, principal: ApiUser):
    return consent_out(service.revoke_consent(session, principal=principal, consent_id=consent_id, data=body))
