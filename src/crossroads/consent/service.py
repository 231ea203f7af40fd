"""Recording, listing and revoking consents, and the consents in force that referrals read."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.models import Organisation
from crossroads.auth.policy import Principal, people_scope, require
from crossroads.auth.roles import Action
from crossroads.consent import coverage
from crossroads.consent.coverage import Method
from crossroads.consent.models import Consent
from crossroads.consent.schemas import ConsentCreate, ConsentRevoke
from crossroads.db.base import utcnow
from crossroads.dedup import merges
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_
from crossroads.people.models import Person

GUARDIAN_REQUIRED = N_("required when consent is given by a guardian")
GUARDIAN_ONLY = N_("only for consent given by a guardian")
# Consent is asked for again rather than given for ever: ten years is longer than any programme runs.
LONGEST_YEARS = 10

# A consent is the person's: it follows them into the survivor of a merge, and back on unmerge. Dedup lies below
# this domain, so the consent adds itself to the rows that follow a person.
merges.FOLLOWERS = (*merges.FOLLOWERS, merges.Follower("consents", Consent.id, Consent.person_id))

# Called in the revocation's transaction with the revoked consent. Domains above this one that act on a
# revocation (referrals tell the partner) add themselves when imported; consent cannot import them.
REVOKED: list[Callable[[Session, Principal, Consent], None]] = []


def _person(session: Session, principal: Principal, person_id: uuid.UUID) -> Person:
    person = session.scalar(select(Person).where(Person.id == person_id, people_scope(principal)))
    if person is None:
        raise NotFound("no such person", field="person_id")
    return person


def _check(session: Session, data: ConsentCreate, today: date) -> date:
    for name in ("guardian_name", "guardian_relationship"):
        given = getattr(data, name) is not None
        if data.method is Method.GUARDIAN and not given:
            raise Invalid(GUARDIAN_REQUIRED, field=name)
        if data.method is not Method.GUARDIAN and given:
            raise Invalid(GUARDIAN_ONLY, field=name)
    given_on = data.given_on or today
    if given_on > today:
        raise Invalid(N_("cannot be in the future"), field="given_on")
    if data.expires_on <= today or data.expires_on <= given_on:
        raise Invalid(N_("must be after today and after the day consent was given"), field="expires_on")
    if data.expires_on.year - given_on.year > LONGEST_YEARS:
        raise Invalid(N_("must be within ten years of the day consent was given"), field="expires_on")
    if session.get(Organisation, data.recipient_organisation_id) is None:
        raise Invalid(N_("no such organisation"), field="recipient_organisation_id")
    return given_on


def record_consent(session: Session, *, principal: Principal, person_id: uuid.UUID, data: ConsentCreate) -> Consent:
    """Record the consent a person gave (or their guardian) to share categories of data."""
    require(principal, Action.CONSENT_RECORD)
    person = _person(session, principal, person_id)
    today = date.today()
    given_on = _check(session, data, today)
    consent = Consent(
        id=uuid.uuid4(), person_id=person.id, office_id=person.office_id,
        recipient_organisation_id=data.recipient_organisation_id, purpose=data.purpose,
        categories=sorted({c.value for c in data.categories}), method=data.method,
        guardian_name=data.guardian_name, guardian_relationship=data.guardian_relationship,
        given_on=given_on, expires_on=data.expires_on, recorded_by=principal.user_id,
    )
    session.add(consent)
    session.flush()
    record_event(
        session, actor=principal, action="consent.record", entity_type="consent", entity_id=consent.id,
        office_id=person.office_id,
        details={"person": str(person.id), "recipient": str(data.recipient_organisation_id),
                 "purpose": data.purpose.value, "categories": consent.categories, "method": data.method.value},
    )
    return consent


def list_consents(session: Session, *, principal: Principal, person_id: uuid.UUID) -> list[Consent]:
    """A person's consents, newest first, revoked and expired ones included."""
    require(principal, Action.CONSENT_READ)
    person = _person(session, principal, person_id)
    rows = session.scalars(select(Consent).where(Consent.person_id == person.id)
                           .order_by(Consent.created_at.desc(), Consent.id)).all()
    record_event(session, actor=principal, action="consent.list", entity_type="person", entity_id=person.id,
                 office_id=person.office_id, details={"consents": len(rows)})
    return list(rows)


def get_consent(session: Session, *, principal: Principal, consent_id: uuid.UUID) -> Consent:
    consent = session.scalar(
        select(Consent).join(Person, Person.id == Consent.person_id)
        .where(Consent.id == consent_id, people_scope(principal))
    )
    if consent is None:
        raise NotFound("no such consent", field="consent_id")
    return consent


def revoke_consent(session: Session, *, principal: Principal, consent_id: uuid.UUID, data: ConsentRevoke) -> Consent:
    """Revoke a consent now; whatever it shared stops being readable at the next read."""
    require(principal, Action.CONSENT_REVOKE)
    consent = get_consent(session, principal=principal, consent_id=consent_id)
    if consent.revoked_at is not None:
        raise Conflict(N_("this consent is already revoked"), field="consent_id")
    consent.revoked_at = utcnow()
    consent.revoked_by = principal.user_id
    consent.revocation_reason = data.reason
    session.flush()
    # The reason is free text the person gave and may name them; the trail keeps only its length.
    record_event(session, actor=principal, action="consent.revoke", entity_type="consent", entity_id=consent.id,
                 office_id=consent.office_id,
                 details={"person": str(consent.person_id), "recipient": str(consent.recipient_organisation_id),
                          "purpose": consent.purpose.value, "reason_length": len(data.reason)})
    for hook in REVOKED:
        hook(session, principal, consent)
    return consent


def consents_of(session: Session, person_ids: Iterable[uuid.UUID], recipient_ids: Iterable[uuid.UUID],
                ) -> list[Consent]:
    """Every consent of these people to these recipients, for a coverage check; callers have scoped the people."""
    people, recipients = list(set(person_ids)), list(set(recipient_ids))
    if not people or not recipients:
        return []
    return list(session.scalars(select(Consent).where(Consent.person_id.in_(people),
                                                       Consent.recipient_organisation_id.in_(recipients))))


def in_force(consent: Consent, today: date | None = None) -> bool:
    return coverage.in_force(consent.grant(), today or date.today())
