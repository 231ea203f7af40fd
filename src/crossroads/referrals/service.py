"""Making, sending and answering referrals; what the receiver may read, decided from consent at every read."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from crossroads.audit.service import record_event
from crossroads.auth.models import Office, Organisation, User, user_offices
from crossroads.auth.policy import (
    Principal,
    case_holder_roles,
    referrals_made_scope,
    referrals_received_scope,
    require,
)
from crossroads.auth.roles import Action, OrganisationKind, Role
from crossroads.cases.models import Case
from crossroads.cases.service import load_case
from crossroads.consent import coverage
from crossroads.consent import service as consents
from crossroads.consent.coverage import Category
from crossroads.consent.models import Consent
from crossroads.db.base import utcnow
from crossroads.dedup import merges
from crossroads.directory.models import DirectoryOrganization, DirectoryService
from crossroads.kit.errors import Conflict, Forbidden, Invalid, NotFound
from crossroads.kit.i18n import N_
from crossroads.notify import service as notify
from crossroads.people.models import Person
from crossroads.programmes.models import Programme
from crossroads.referrals import lifecycle
from crossroads.referrals.lifecycle import Side
from crossroads.referrals.models import Referral, ReferralKind, ReferralState
from crossroads.referrals.schemas import ReferralComplete, ReferralCreate, ReferralDecline

CONSENT_MISSING = N_("no consent in force covers this recipient, purpose and data")
CONSENT_WITHDRAWN = N_("the person's consent no longer covers this referral: its data is not available")
INBOX_PAGE = 50


def _pairs(rows: Any) -> dict[Any, Any]:
    return {key: value for key, value in rows}


def _reference(now: datetime) -> str:
    return f"REF-{now.year}-{secrets.token_hex(4).upper()}"


def _scope(principal: Principal) -> ColumnElement[bool]:
    return or_(referrals_made_scope(principal), referrals_received_scope(principal))


def load_referral(session: Session, principal: Principal, referral_id: uuid.UUID, *, lock: bool = False
                  ) -> Referral:
    """A referral made from or addressed to the user's side, or 404: a partner never learns that another
    organisation's referral exists."""
    query = select(Referral).where(Referral.id == referral_id, _scope(principal))
    if lock:
        query = query.with_for_update()
    referral = session.scalar(query)
    if referral is None:
        raise NotFound("no such referral", field="referral_id")
    return referral


def side_of(principal: Principal, referral: Referral) -> Side:
    if referral.state is not ReferralState.DRAFT and (
        (referral.kind is ReferralKind.EXTERNAL and principal.role is Role.PARTNER
         and referral.to_organisation_id == principal.organisation_id)
        or (referral.kind is ReferralKind.INTERNAL and referral.to_office_id in principal.office_ids)
    ):
        return Side.RECEIVER
    return Side.REFERRER


def _agency_of(session: Session, office_id: uuid.UUID) -> uuid.UUID:
    return session.scalars(select(Office.organisation_id).where(Office.id == office_id)).one()


def _target(session: Session, principal: Principal, data: ReferralCreate, case: Case
            ) -> tuple[ReferralKind, uuid.UUID, int | None]:
    if (data.service_id is None) == (data.to_office_id is None):
        raise Invalid(N_("give either a service of the directory or an office of the agency"), field="service_id")
    if data.service_id is not None:
        if data.to_programme is not None:
            raise Invalid(N_("only for a referral to an office of the agency"), field="to_programme")
        row = session.execute(
            select(DirectoryService.acknowledgement_hours, DirectoryService.status,
                   DirectoryOrganization.partner_organisation_id)
            .outerjoin(DirectoryOrganization, DirectoryOrganization.id == DirectoryService.organization_id)
            .where(DirectoryService.id == data.service_id)).one_or_none()
        if row is None or row.status != "active":
            raise Invalid(N_("no such active service in the directory"), field="service_id")
        if row.partner_organisation_id is None:
            raise Invalid(N_("this service's organisation is not a partner of the agency: refer by other means"),
                          field="service_id")
        return ReferralKind.EXTERNAL, row.partner_organisation_id, row.acknowledgement_hours
    office = session.get(Office, data.to_office_id)
    agency = _agency_of(session, case.office_id)
    if office is None or not office.active or office.organisation_id != agency:
        raise Invalid(N_("no such office of the agency"), field="to_office_id")
    if data.to_programme is not None and session.get(Programme, data.to_programme) is None:
        raise Invalid(N_("no such programme"), field="to_programme")
    if office.id == case.office_id and data.to_programme in (None, case.programme):
        raise Invalid(N_("refer to another office or another programme"), field="to_office_id")
    return ReferralKind.INTERNAL, agency, None


def create_referral(session: Session, *, principal: Principal, data: ReferralCreate) -> Referral:
    """A draft referral of a case; nothing leaves the office until it is sent."""
    require(principal, Action.REFERRAL_MANAGE)
    case = load_case(session, principal, data.case_id)
    kind, organisation_id, hours = _target(session, principal, data, case)
    now = utcnow()
    referral = Referral(
        id=uuid.uuid4(), reference=_reference(now), kind=kind, case_id=case.id, person_id=case.person_id,
        office_id=case.office_id, referred_by=principal.user_id, service_id=data.service_id,
        to_organisation_id=organisation_id, to_office_id=data.to_office_id, to_programme=data.to_programme,
        purpose=data.purpose, categories=[c.value for c in Category if c in set(data.categories)],
        state=ReferralState.DRAFT, acknowledgement_hours=hours, created_at=now,
    )
    session.add(referral)
    session.flush()
    record_event(session, actor=principal, action="referral.create", entity_type="referral", entity_id=referral.id,
                 office_id=case.office_id,
                 details={"case": str(case.id), "kind": kind.value, "service": data.service_id,
                          "purpose": data.purpose.value, "categories": referral.categories})
    return referral


def _grants(session: Session, referral: Referral) -> list[coverage.Grant]:
    return [c.grant() for c in consents.consents_of(session, [referral.person_id], [referral.to_organisation_id])]


def missing_consent(session: Session, referral: Referral, today: date | None = None) -> list[Category]:
    """The referral's categories that no consent in force covers (none for a referral inside the agency)."""
    if referral.kind is ReferralKind.INTERNAL:
        return []
    return coverage.missing_categories(
        [Category(c) for c in referral.categories], _grants(session, referral),
        recipient_id=referral.to_organisation_id, purpose=referral.purpose, today=today or date.today())


def _staff(session: Session, office_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.scalars(
        select(User.id).join(user_offices, user_offices.c.user_id == User.id)
        .where(user_offices.c.office_id == office_id, User.active, User.role.in_(sorted(case_holder_roles())))))


def _partner_users(session: Session, organisation_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.scalars(select(User.id).where(User.organisation_id == organisation_id, User.active,
                                                       User.role == Role.PARTNER)))


def _tell_receiver(session: Session, referral: Referral, code: str, event: str) -> None:
    if referral.kind is ReferralKind.EXTERNAL:
        recipients = _partner_users(session, referral.to_organisation_id)
        notify.enqueue_webhook(session, organisation_id=referral.to_organisation_id, event=event,
                               reference=referral.reference, path=f"/referrals/{referral.id}")
    else:
        assert referral.to_office_id is not None  # internal referrals name their office
        recipients = _staff(session, referral.to_office_id)
    for user_id in recipients:
        notify.enqueue_email(session, message_code=code, recipient_user_id=user_id,
                             params={"reference": referral.reference, "path": f"/referrals/{referral.id}"})


def _tell_referrer(session: Session, referral: Referral, code: str) -> None:
    if referral.referred_by is not None:
        notify.enqueue_email(session, message_code=code, recipient_user_id=referral.referred_by,
                             params={"reference": referral.reference, "path": f"/cases/{referral.case_id}"})


def _audit(session: Session, principal: Principal, referral: Referral, action: str, **details: Any) -> None:
    record_event(session, actor=principal, action=action, entity_type="referral", entity_id=referral.id,
                 office_id=referral.office_id, details={"state": referral.state.value, **details})


_PAST = {"send": "sent", "accept": "accepted", "decline": "declined", "start": "started", "complete": "completed",
         "no_show": "no_show", "close": "closed"}


def _on_case(session: Session, principal: Principal, referral: Referral, step: str, **details: Any) -> None:
    """The step in the case's own history too, so that its timeline tells the referral's story."""
    record_event(session, actor=principal, action=f"case.referral_{_PAST[step]}", entity_type="case",
                 entity_id=referral.case_id, office_id=referral.office_id,
                 details={"referral": str(referral.id), "reference": referral.reference, **details})


def _move(session: Session, principal: Principal, referral: Referral, name: str) -> datetime:
    step = lifecycle.step(name)
    if side_of(principal, referral) is not step.side:
        raise Forbidden(N_("the other side of the referral takes this step"), field="referral_id")
    if not lifecycle.allowed(name, referral.state):
        raise Conflict(N_("a referral in this state cannot take this step"), field="state",
                       extra={"state": referral.state.value})
    now = utcnow()
    referral.state = step.to
    setattr(referral, step.stamp, now)
    return now


def send_referral(session: Session, *, principal: Principal, referral_id: uuid.UUID) -> Referral:
    """Send a draft, refused (422 naming the categories) unless consent in force covers what it shares."""
    require(principal, Action.REFERRAL_MANAGE)
    referral = load_referral(session, principal, referral_id, lock=True)
    missing = missing_consent(session, referral)
    if missing:
        raise Invalid(CONSENT_MISSING, field="consent",
                      extra={"missing_categories": [c.value for c in missing],
                             "recipient_organisation_id": str(referral.to_organisation_id),
                             "purpose": referral.purpose.value})
    now = _move(session, principal, referral, "send")
    if referral.acknowledgement_hours is not None:
        referral.due_at = now + timedelta(hours=referral.acknowledgement_hours)
    session.flush()
    _audit(session, principal, referral, "referral.send", categories=referral.categories)
    _on_case(session, principal, referral, "send")
    _tell_receiver(session, referral, "referral.received", "referral.received")
    return referral


def respond(session: Session, *, principal: Principal, referral_id: uuid.UUID, step: str,
            decline: ReferralDecline | None = None, complete: ReferralComplete | None = None) -> Referral:
    """The receiving side answers: accept, decline (with a reason), start, complete (with the outcome),
    no-show, close."""
    require(principal, Action.REFERRAL_RESPOND)
    referral = load_referral(session, principal, referral_id, lock=True)
    _move(session, principal, referral, step)
    referral.responded_by = principal.user_id
    details: dict[str, Any] = {}
    if decline is not None:
        referral.decline_reason = decline.reason
        details["reason"] = decline.reason.value
    if complete is not None:
        referral.outcome = complete.outcome
        referral.outcome_note = complete.note or None
        details["outcome"] = complete.outcome.value
    session.flush()
    _audit(session, principal, referral, f"referral.{step}", **details)
    _on_case(session, principal, referral, step, **details)
    code = {"accept": "referral.accepted", "decline": "referral.declined", "complete": "referral.completed"}.get(step)
    if code:
        _tell_referrer(session, referral, code)
    return referral


@dataclass(frozen=True)
class Shown:
    """A referral as its reader sees it: names of its target, and whether consent still covers it."""

    referral: Referral
    side: Side
    service_name: str | None
    organisation_name: str | None
    consent_in_force: bool
    overdue: bool


def shown_of(session: Session, principal: Principal, referrals: Sequence[Referral]) -> list[Shown]:
    if not referrals:
        return []
    service_names = _pairs(session.execute(select(DirectoryService.id, DirectoryService.name).where(
        DirectoryService.id.in_({r.service_id for r in referrals if r.service_id}))).all()) \
        if any(r.service_id for r in referrals) else {}
    org_names = _pairs(session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({r.to_organisation_id for r in referrals}))).all())
    external = [r for r in referrals if r.kind is ReferralKind.EXTERNAL]
    grants: dict[tuple[uuid.UUID, uuid.UUID], list[coverage.Grant]] = {}
    if external:
        # Two plain IN lists rather than one of (person, recipient) pairs: SQLite scans the whole table for a
        # list of row values, while these use ix_consents_person_recipient; pairs that were not asked for are
        # simply never looked up below.
        for c in consents.consents_of(session, [r.person_id for r in external],
                                      [r.to_organisation_id for r in external]):
            grants.setdefault((c.person_id, c.recipient_organisation_id), []).append(c.grant())
    today, now = date.today(), utcnow()
    out = []
    for r in referrals:
        ok = r.kind is ReferralKind.INTERNAL or not coverage.missing_categories(
            [Category(c) for c in r.categories], grants.get((r.person_id, r.to_organisation_id), []),
            recipient_id=r.to_organisation_id, purpose=r.purpose, today=today)
        out.append(Shown(r, side_of(principal, r), service_names.get(r.service_id or ""),
                         org_names.get(r.to_organisation_id), ok, r.overdue(now)))
    return out


def get_referral(session: Session, *, principal: Principal, referral_id: uuid.UUID) -> Shown:
    require(principal, Action.REFERRAL_READ)
    referral = load_referral(session, principal, referral_id)
    _audit(session, principal, referral, "referral.read")
    return shown_of(session, principal, [referral])[0]


def _person_fields(person: Person) -> dict[str, Any]:
    return {
        "given_name": person.given_name, "family_name": person.family_name,
        "aliases": [n.name for n in person.names], "sex": person.sex.value,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "phone": person.phone, "languages": list(person.languages or []), "nationality": person.nationality,
        "documents": [{"document_type": d.document_type.value, "number": d.number,
                       "issuing_country": d.issuing_country,
                       "expiry_date": d.expiry_date.isoformat() if d.expiry_date else None}
                      for d in person.documents],
    }


def _case_fields(case: Case) -> dict[str, Any]:
    return {"case_number": case.case_number, "programme": case.programme, "state": case.state,
            "opened_at": case.opened_at.isoformat(), "data": dict(case.data or {})}


def shared_data(session: Session, *, principal: Principal, referral_id: uuid.UUID) -> tuple[Referral, dict[str, Any]]:
    """The person's and case's fields the receiver may read now: exactly those the referral's categories
    cover, and only while consent in force covers all of them (403 otherwise). The read is audited."""
    require(principal, Action.REFERRAL_RESPOND)
    referral = load_referral(session, principal, referral_id)
    if side_of(principal, referral) is not Side.RECEIVER:
        raise Forbidden(N_("only the receiving side reads a referral's shared data"), field="referral_id")
    categories = [Category(c) for c in referral.categories]
    if referral.kind is ReferralKind.EXTERNAL:
        grants = _grants(session, referral)
        if coverage.missing_categories(categories, grants, recipient_id=referral.to_organisation_id,
                                       purpose=referral.purpose, today=date.today()):
            # The refused read is recorded too, and must outlive the refusal's rollback.
            record_event(session, actor=principal, action="referral.shared_refused", entity_type="referral",
                         entity_id=referral.id, office_id=referral.office_id, survives_rollback=True,
                         details={"state": referral.state.value, "reason": "consent"})
            raise Forbidden(CONSENT_WITHDRAWN, field="consent")
    # Loaded here, outside any scope of the receiver's: the consent check above is what admits the read.
    person = session.scalars(select(Person).where(Person.id == referral.person_id)
                             .options(selectinload(Person.names), selectinload(Person.documents))).one()
    case = session.get(Case, referral.case_id)
    assert case is not None  # a referral's case is never deleted
    fields = coverage.shared_fields(_person_fields(person), _case_fields(case), categories)
    _audit(session, principal, referral, "referral.read_shared", fields=sorted(fields))
    return referral, fields


def _page(query: Any, cursor: str | None, limit: int) -> Any:
    if cursor:
        try:
            sent_s, id_s = cursor.split("_", 1)
            sent, rid = datetime.fromisoformat(sent_s), uuid.UUID(id_s)
        except ValueError:
            raise Invalid(N_("not a cursor this list gave"), field="cursor") from None
        query = query.where(or_(Referral.sent_at < sent, and_(Referral.sent_at == sent, Referral.id < rid)))
    return query.order_by(Referral.sent_at.desc(), Referral.id.desc()).limit(limit + 1)


def _cursor(rows: Sequence[Referral], limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    assert last.sent_at is not None  # the inbox holds sent referrals only
    return f"{last.sent_at.isoformat()}_{last.id}"


def inbox(session: Session, *, principal: Principal, state: ReferralState | None = None,
          cursor: str | None = None, limit: int = INBOX_PAGE) -> tuple[list[Shown], str | None]:
    """Referrals addressed to the user's side, newest sent first, one page at a time."""
    require(principal, Action.REFERRAL_RESPOND)
    query = select(Referral).where(referrals_received_scope(principal))
    if state is not None:
        query = query.where(Referral.state == state)
    rows = list(session.scalars(_page(query, cursor, limit)))
    record_event(session, actor=principal, action="referral.inbox", entity_type="referral",
                 details={"count": min(len(rows), limit)})
    return shown_of(session, principal, rows[:limit]), _cursor(rows, limit)


def list_referrals(session: Session, *, principal: Principal, overdue: bool = False,
                   case_id: uuid.UUID | None = None) -> list[Shown]:
    """Referrals made from the user's offices (of one case), the overdue ones alone when asked."""
    require(principal, Action.REFERRAL_MANAGE)
    query = select(Referral).where(referrals_made_scope(principal))
    if case_id is not None:
        query = query.where(Referral.case_id == case_id)
    if overdue:
        query = query.where(Referral.state == ReferralState.SENT, Referral.due_at < utcnow())
    rows = list(session.scalars(query.order_by(Referral.created_at.desc(), Referral.id).limit(500)))
    record_event(session, actor=principal, action="referral.list", entity_type="referral",
                 entity_id=case_id, details={"count": len(rows), "overdue": overdue})
    return shown_of(session, principal, rows)


def withdraw_shared_access(session: Session, principal: Principal, consent: Consent) -> None:
    """After a revocation: tell the receivers of the person's open referrals that its data is gone."""
    referrals = session.scalars(select(Referral).where(
        Referral.person_id == consent.person_id, Referral.to_organisation_id == consent.recipient_organisation_id,
        Referral.kind == ReferralKind.EXTERNAL, Referral.state.in_(sorted(lifecycle.OPEN)))).all()
    for referral in referrals:
        if missing_consent(session, referral):
            _audit(session, principal, referral, "referral.consent_withdrawn", consent=str(consent.id))
            _tell_receiver(session, referral, "consent.revoked", "consent.revoked")


consents.REVOKED.append(withdraw_shared_access)
# A referral names its person, whose consents it is checked against: it follows them through merges with them.
merges.FOLLOWERS = (*merges.FOLLOWERS, merges.Follower("referrals", Referral.id, Referral.person_id))


def partner_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(Organisation.kind == OrganisationKind.PARTNER)
                                .order_by(Organisation.name)))
