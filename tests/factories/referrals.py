"""Referral scenes for tests: the sample directory with its legal-aid organisation linked to the partner, a
person with a case, consent to share with the partner, and referrals made through the services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from crossroads.auth.models import User
from crossroads.auth.policy import Principal
from crossroads.auth.roles import OrganisationKind, Role
from crossroads.cases.models import Case
from crossroads.directory import service as directory
from crossroads.people.models import Person
from crossroads.referrals import service
from crossroads.referrals.models import Referral
from crossroads.referrals.schemas import ReferralCreate
from tests.factories import auth as af
from tests.factories import directory as directory_factory
from tests.factories import people as pf
from tests.factories.consent import consent

LEGAL_SERVICE = "svc-legal-tunis"
CATEGORIES = ["identity", "contact"]


@dataclass
class Scene:
    person: Person
    case: Case
    caseworker: Principal


def link_directory(db: Session, world: af.World) -> None:
    """Import the sample directory; its legal-aid organisation is the world's partner."""
    directory_factory.directory(db)
    admin = world.principal(db, "admin")
    directory.link_partner(db, principal=admin, organization_id="org-tunis-aid",
                           partner_organisation_id=world.partner_org.id)


def scene(db: Session, world: af.World, *, with_consent: bool = True, **person) -> Scene:
    cw = world.principal(db, "caseworker_a")
    p = pf.person(db, cw, phone="+21620123456", languages=["ar"], **person)
    c = pf.case(db, cw, p, programme="legal_counselling")
    if with_consent:
        consent(db, cw, p.id, world.partner_org.id, categories=CATEGORIES)
    return Scene(p, c, cw)


def referral(db: Session, s: Scene, *, send: bool = True, categories: list[str] | None = None) -> Referral:
    r = service.create_referral(db, principal=s.caseworker, data=ReferralCreate(
        case_id=s.case.id, service_id=LEGAL_SERVICE, purpose="legal_assistance",
        categories=categories or CATEGORIES))
    if send:
        service.send_referral(db, principal=s.caseworker, referral_id=r.id)
    return r


def other_partner(db: Session) -> User:
    """A partner user of another organisation, which no referral is addressed to."""
    return af.user(db, af.organisation(db, kind=OrganisationKind.PARTNER), Role.PARTNER)
