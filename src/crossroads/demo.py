"""Seed a demo database: offices, the demo logins, and synthetic people, households and cases."""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth import service as auth_service
from crossroads.auth.policy import Principal
from crossroads.auth.roles import OrganisationKind, Role
from crossroads.auth.schemas import OfficeCreate, OrganisationCreate, UserCreate
from crossroads.cases.models import Case
from crossroads.cases.schemas import CaseCreate, NoteCreate
from crossroads.cases.service import add_case_note, case_config, open_case
from crossroads.cases.work.assistance import record_assistance
from crossroads.cases.work.schemas import AssistanceCreate, TaskCreate
from crossroads.cases.work.tasks import add_task
from crossroads.db.base import utcnow
from crossroads.directory import hsds, transfer
from crossroads.directory.service import link_partner
from crossroads.directory.taxonomy import BY_CODE
from crossroads.disclosure.datasets import create_dataset
from crossroads.disclosure.schemas import DatasetCreate
from crossroads.eligibility import rule_admin, rulesets
from crossroads.eligibility import service as eligibility
from crossroads.eligibility.reevaluation_run import diff_in_connection
from crossroads.eligibility.schemas import RuleSetCreate, ScreeningCreate
from crossroads.intake.service import add_household_member, register_person
from crossroads.people.models import Relationship
from crossroads.people.schemas import AliasIn, DocumentIn, HouseholdMemberCreate, PersonCreate
from crossroads.people.synthetic import SyntheticPerson, generate_households
from crossroads.programmes.config import (
    FieldDef,
    FieldErrors,
    FieldType,
    ProgrammeConfig,
    check_transition,
    validate_data,
)

DEMO_DOMAIN = "example.org"

OFFICES = [
    # code, name, city, country
    ("TUN", "Tunis field office", "Tunis", "TUN"),
    ("AGZ", "Agadez field office", "Agadez", "NER"),
    ("OUJ", "Oujda field office", "Oujda", "MAR"),
    ("KSL", "Kassala field office", "Kassala", "SDN"),
]

# login, full name, role, organisation key, office codes
LOGINS = [
    ("admin", "Amal Haddad", Role.ADMIN, "agency", []),
    ("supervisor", "Samuel Okafor", Role.SUPERVISOR, "agency", ["TUN", "AGZ"]),
    ("caseworker", "Leila Mansour", Role.CASEWORKER, "agency", ["TUN"]),
    ("caseworker2", "Ibrahim Moussa", Role.CASEWORKER, "agency", ["AGZ"]),
    ("partner", "Claire Dubois", Role.PARTNER, "partner", []),
    ("data", "Priya Raman", Role.DATA_OFFICER, "agency", []),
    ("dpo", "Jonas Berg", Role.DPO, "agency", []),
]

PROGRAMME_WEIGHTS = {
    "counter_trafficking": 18, "avrr": 30, "uasc": 10, "family_reunification": 12,
    "labour_mobility": 10, "resettlement": 8, "legal_counselling": 12,
}

NOTES = [
    "Initial interview held with an interpreter; the person consented to registration.",
    "Referred for a medical check-up; follow-up visit scheduled.",
    "Counselling session on return options; the person wants time to decide.",
    "Contacted family by phone with consent; awaiting documents.",
    "Accommodation arranged at the partner shelter for two weeks.",
]


_RELATIONSHIPS = {r.value: r for r in Relationship}

DEMO_DATASETS = [
    DatasetCreate(name="All cases", description="Every case with its person's sex, age and nationality.",
                  epsilon_budget=2.0, delta_budget=1e-6),
    DatasetCreate(name="Counter-trafficking cases", programme="counter_trafficking",
                  description="Counter-trafficking cases, for CTDC-shaped and DP releases.",
                  epsilon_budget=1.0, delta_budget=1e-6),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: Role
    offices: list[str]


def demo_password(env_value: str | None) -> tuple[str, bool]:
    """The demo password from the environment, or a fresh random one (and whether it was generated)."""
    if env_value:
        return env_value, False
    return secrets.token_urlsafe(12), True


def _person_create(p: SyntheticPerson, office_id: uuid.UUID) -> PersonCreate:
    return PersonCreate(
        given_name=p.given_name,
        family_name=p.family_name,
        sex=p.sex,
        date_of_birth=p.date_of_birth,
        date_of_birth_estimated=p.date_of_birth_estimated,
        nationality=p.nationality,
        languages=list(p.languages),
        phone=p.phone,
        aliases=[AliasIn(name=a) for a in p.aliases],
        documents=[DocumentIn(document_type=d.type, number=d.number, issuing_country=d.issuing_country)
                   for d in p.documents],
        office_id=office_id,
    )


_TEXT_SAMPLES = ["Recorded at intake", "Confirmed by phone", "Partner NGO", "See case notes"]
_COUNTRIES = ["SYR", "ERI", "AFG", "SOM", "SDN", "NGA", "GIN", "MLI", "SEN", "ETH", "IRQ", "VEN"]


def sample_value(f: FieldDef, rng: random.Random) -> Any:
    """A plausible value for a programme field, for synthetic cases only."""
    if f.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        values = [c.value for c in f.choices or []]
        return rng.choice(values) if f.type == FieldType.CHOICE else rng.sample(values, min(2, len(values)))
    if f.type == FieldType.BOOLEAN:
        return True
    if f.type == FieldType.DATE:
        return (date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))).isoformat()
    if f.type in (FieldType.INTEGER, FieldType.NUMBER):
        low, high = int(f.min if f.min is not None else 0), int(f.max if f.max is not None else 2000)
        return rng.randint(low, min(high, low + 2000))
    if f.pattern and "A-Z" in f.pattern:
        return rng.choice(_COUNTRIES)
    return rng.choice(_TEXT_SAMPLES)


def _field(config: ProgrammeConfig, name: str) -> FieldDef:
    field = config.field(name)
    assert field is not None  # the names come from the configuration itself
    return field


def _filled(config: ProgrammeConfig, data: dict[str, Any], names: list[str], rng: random.Random) -> dict[str, Any]:
    data = dict(data)
    for name in names:
        if data.get(name) in (None, "", []):
            data[name] = sample_value(_field(config, name), rng)
    for _ in range(len(config.fields)):
        try:
            return validate_data(config, data)
        except FieldErrors as exc:
            for error in exc.errors:
                data[error.field] = sample_value(_field(config, error.field), rng)
    return validate_data(config, data)


def _advance(session: Session, actor: Principal, case: Case, rng: random.Random) -> None:
    """Walk a synthetic case some steps along its programme's main path, as its caseworkers would have."""
    config = case_config(session, case)
    optional = [f.name for f in config.fields if rng.random() < 0.3]
    data = _filled(config, case.data, optional, rng)
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 4, 5, 6, 8])):
        following = [t for t in config.next_states(case.state) if t.from_state == case.state]
        if not following:
            break
        transition = following[0]
        target = config.state(transition.to_state)
        assert target is not None  # a published configuration's transitions lead to its states
        data = _filled(config, data, target.required_fields, rng)
        check_transition(config, case.state, target.name, data)
        record_event(session, actor=actor, action="case.transition", entity_type="case", entity_id=case.id,
                     office_id=case.office_id, details={"from": case.state, "to": target.name, "seeded": True})
        case.state = target.name
        if target.terminal:
            case.closed_at = utcnow()
    case.data = data
    session.flush()


TASKS = ["Call back about documents", "Book interpreter", "Follow-up visit", "Check medical referral",
         "Confirm travel date with the person"]


def _work(session: Session, actor: Principal, case: Case, rng: random.Random) -> None:
    """Tasks (some overdue) and services on a synthetic case, so dashboards have something to show."""
    today = date.today()
    if case.closed_at is None and rng.random() < 0.5:
        add_task(session, principal=actor, case_id=case.id, data=TaskCreate(
            title=rng.choice(TASKS), due_date=today + timedelta(days=rng.randint(-20, 30)),
            assigned_to=case.assigned_to))
    config = case_config(session, case)
    if config.services and rng.random() < 0.4:
        delivered = rng.random() < 0.6
        record_assistance(session, principal=actor, case_id=case.id, data=AssistanceCreate(
            service_code=rng.choice(config.services).code, status="delivered" if delivered else "planned",
            delivered_date=today - timedelta(days=rng.randint(1, 90)) if delivered else None,
            planned_date=None if delivered else today + timedelta(days=rng.randint(1, 60)),
            provider="Crossroads field office", cost=rng.choice([50, 120, 300, 850]) if delivered else None,
            currency="USD" if delivered else None))


def seed_demo(
    session: Session, *, password: str, households: int = 240, seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> list[DemoLogin]:
    """Create the demo organisations, offices and logins, then synthetic households with cases."""
    orgs = {
        "agency": auth_service.create_organisation(
            session, actor=None, data=OrganisationCreate(name="Crossroads Migration Agency",
                                                         kind=OrganisationKind.AGENCY)),
        "partner": auth_service.create_organisation(
            session, actor=None, data=OrganisationCreate(name="Safe Harbour Shelter Network",
                                                         kind=OrganisationKind.PARTNER)),
    }
    offices = {
        code: auth_service.create_office(session, actor=None, data=OfficeCreate(
            organisation_id=orgs["agency"].id, code=code, name=name, city=city, country=country))
        for code, name, city, country in OFFICES
    }
    logins = []
    holders: dict[uuid.UUID, uuid.UUID] = {}
    for login, name, role, org, codes in LOGINS:
        email = f"{login}@{DEMO_DOMAIN}"
        user = auth_service.create_user(session, actor=None, data=UserCreate(
            email=email, full_name=name, role=role, organisation_id=orgs[org].id,
            office_ids=[offices[c].id for c in codes], password=password))
        logins.append(DemoLogin(email=email, role=role, offices=codes))
        if role == Role.CASEWORKER:
            for code in codes:
                holders[offices[code].id] = user.id

    rng = random.Random(seed)
    programmes = list(PROGRAMME_WEIGHTS)
    weights = list(PROGRAMME_WEIGHTS.values())
    office_list = list(offices.values())
    for i, household in enumerate(generate_households(households, seed=seed)):
        office = office_list[i % len(office_list)]
        # Seeding acts as a supervisor of the office with no user behind it: the audit trail shows
        # these events without an actor id.
        actor = Principal(user_id=None, role=Role.SUPERVISOR, organisation_id=orgs["agency"].id,
                          office_ids=frozenset({office.id}))
        head = register_person(session, principal=actor, data=_person_create(household.members[0], office.id))
        cases: list[Case] = [open_case(session, principal=actor, data=CaseCreate(
            person_id=head.id, programme=rng.choices(programmes, weights)[0]))]
        for member, relationship in zip(household.members[1:], household.relationships[1:], strict=True):
            link = HouseholdMemberCreate(relationship=_RELATIONSHIPS.get(relationship, Relationship.OTHER_RELATIVE),
                                         person=_person_create(member, office.id))
            added = add_household_member(session, principal=actor, person_id=head.id, data=link)
            if rng.random() < 0.25:
                cases.append(open_case(session, principal=actor, data=CaseCreate(
                    person_id=added.id, programme=rng.choices(programmes, weights)[0])))
        for case in cases:
            case.assigned_to = holders.get(office.id)
            _advance(session, actor, case, rng)
            _work(session, actor, case, rng)
            for _ in range(rng.randint(0, 2)):
                add_case_note(session, principal=actor, case_id=case.id, data=NoteCreate(body=rng.choice(NOTES)))
        if progress:
            progress(1)
    _seed_datasets(session, orgs["agency"].id)
    _seed_directory(session, orgs["agency"].id, orgs["partner"].id)
    _seed_eligibility(session, orgs["agency"].id, rng)
    return logins


# Screenings the demo records before determining: AVRR cases after return counselling, counter-trafficking cases
# after the medical and protection screening. A few cases of each, so that the card, the trace and the override
# and appeal forms have something to show.
ELIGIBILITY_DEMO_CASES = 8


def _seed_eligibility(session: Session, agency_id: uuid.UUID, rng: random.Random) -> None:
    """Activate the shipped rule sets (each after its diff report, as always), then screen and determine a few
    cases of each programme that has rules."""
    for code in rulesets.shipped_programmes():
        text = rulesets.shipped_ruleset_text(code) or ""
        parsed = rulesets.load_ruleset(text, source=f"rules/{code}.yaml")
        row = rule_admin.draft_rule_set(session, principal=None, programme=code,
                                        data=RuleSetCreate(version=parsed.version, source=text))
        report = diff_in_connection(session.connection(), code, None, parsed)
        rule_admin.keep_diff_report(session, principal=None, row=row, against=None, report=report)
        rule_admin.activate_rule_set(session, principal=None, rule_set_id=row.id)
        cases = session.scalars(select(Case).where(Case.programme == code).order_by(Case.case_number)
                                .limit(ELIGIBILITY_DEMO_CASES)).all()
        for case in cases:
            actor = Principal(user_id=None, role=Role.SUPERVISOR, organisation_id=agency_id,
                              office_ids=frozenset({case.office_id}))
            if code == "avrr":
                eligibility.record_screening(session, principal=actor, case_id=case.id, data=ScreeningCreate(
                    instrument="return_counselling", answers={
                        "wishes_to_return": rng.random() < 0.8, "informed_of_options": True,
                        "holds_travel_document": True, "legal_obstacle_to_departure": False}))
            eligibility.record_screening(session, principal=actor, case_id=case.id, data=ScreeningCreate(
                instrument="medical_protection", answers={"fear_of_harm_on_return": rng.random() < 0.2,
                                                          "immediate_danger": rng.random() < 0.3}))
            eligibility.determine(session, principal=actor, case_id=case.id)


# A small synthetic service directory near the Tunis and Agadez offices, in HSDS 3.0 as a publisher would list it,
# so that the demo caseworker can find a service, record consent and refer, and the demo partner (whose shelter
# network runs two of the services) can answer in its inbox.
_WEEKDAYS = {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "08:00", "closes_at": "17:00"}
DEMO_SERVICES = [
    # id, organization id, name, need, languages, (latitude, longitude), timezone offset (hours)
    ("demo-svc-harbour-tunis", "demo-org-safe-harbour", "Emergency shelter, Tunis", "shelter", ["ar", "fr", "en"],
     (36.8008, 10.1800), 1),
    ("demo-svc-harbour-agadez", "demo-org-safe-harbour", "Transit shelter, Agadez", "shelter", ["ha", "fr", "ar"],
     (16.9700, 7.9900), 1),
    ("demo-svc-legal-tunis", "demo-org-tunis-law", "Legal advice for migrants", "legal_aid", ["ar", "fr", "ti", "en"],
     (36.8190, 10.1660), 1),
    ("demo-svc-clinic-tunis", "demo-org-medina-clinic", "Migrant health clinic", "health", ["ar", "fr"],
     (36.7980, 10.1700), 1),
    ("demo-svc-counselling-tunis", "demo-org-medina-clinic", "Psychosocial counselling", "psychosocial",
     ["ar", "fr", "so"], (36.7990, 10.1710), 1),
    ("demo-svc-documents-agadez", "demo-org-sahel-rights", "Civil documentation desk", "documentation", ["ha", "fr"],
     (16.9742, 7.9865), 1),
    ("demo-svc-tracing-agadez", "demo-org-sahel-rights", "Family tracing", "family_tracing", ["ha", "fr", "ar", "ti"],
     (16.9760, 7.9880), 1),
    ("demo-svc-jobs-tunis", "demo-org-tunis-law", "Job matching and training", "employment", ["ar", "fr"],
     (36.8100, 10.1900), 1),
]
DEMO_ORGANIZATIONS = {
    "demo-org-safe-harbour": "Safe Harbour Shelter Network",
    "demo-org-tunis-law": "Tunis Migrant Law Centre",
    "demo-org-medina-clinic": "Medina Community Clinic",
    "demo-org-sahel-rights": "Sahel Rights Collective",
}


def _seed_directory(session: Session, agency_id: uuid.UUID, partner_id: uuid.UUID) -> None:
    records = []
    for sid, oid, name, need, languages, (lat, lon), offset in DEMO_SERVICES:
        records.append({
            "id": sid, "name": name, "status": "active", "description": name,
            "organization": {"id": oid, "name": DEMO_ORGANIZATIONS[oid], "description": DEMO_ORGANIZATIONS[oid]},
            "service_at_locations": [{"id": f"sal-{sid}", "location": {
                "id": f"loc-{sid}", "location_type": "physical", "name": name, "organization_id": oid,
                "latitude": lat, "longitude": lon}}],
            "languages": [{"id": f"lang-{sid}-{code}", "code": code} for code in languages],
            "schedules": [{"id": f"sch-{sid}", **_WEEKDAYS, "timezone": offset}],
            "attributes": [{"id": f"att-{sid}", "taxonomy_term_id": BY_CODE[need].term_id,
                            "link_type": "service_category"}],
        })
    bundle, problems = hsds.read_json(records, "demo-directory.json")
    skipped = transfer.check_bundle(session, bundle, problems, skip_invalid=False)
    transfer.import_bundle(session, bundle=bundle, actor=None, source="demo-directory.json", skipped=skipped)
    admin = Principal(user_id=None, role=Role.ADMIN, organisation_id=agency_id, office_ids=frozenset())
    link_partner(session, principal=admin, organization_id="demo-org-safe-harbour", partner_organisation_id=partner_id)


def _seed_datasets(session: Session, agency_id: uuid.UUID) -> None:
    """Two datasets with budgets, so that the demo data officer and DPO have releases to work on."""
    dpo = Principal(user_id=None, role=Role.DPO, organisation_id=agency_id, office_ids=frozenset())
    for data in DEMO_DATASETS:
        create_dataset(session, principal=dpo, data=data)
