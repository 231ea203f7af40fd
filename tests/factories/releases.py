"""Datasets, releases and agreements for tests, created through the services."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.orm import Session

from crossroads.auth.policy import Principal
from crossroads.disclosure import agreements, datasets, service
from crossroads.disclosure.bridge import Computed
from crossroads.disclosure.engine import exchange
from crossroads.disclosure.models import Dataset, Release, ReleaseKind, SharingAgreement
from crossroads.disclosure.schemas import AgreementCreate, DatasetCreate, RecipientKeyIn

ROWS = [
    {"person_id": "p-1", "sex": "female", "age": "30-39", "nationality": "ERI", "programme": "avrr"},
    {"person_id": "p-2", "sex": "female", "age": "30-39", "nationality": "ERI", "programme": "avrr"},
    {"person_id": "p-3", "sex": "male", "age": "20-29", "nationality": "SOM", "programme": "uasc"},
]

# A microdata spec over the registry columns: ids pseudonymised or dropped, sex, age and nationality generalised.
SPEC = {"k": 3, "max_suppression": 0.2, "shuffle": True, "columns": {
    "person_id": {"role": "identifier", "action": "pseudonym"},
    "case_id": {"role": "identifier"},
    "sex": {"role": "quasi"},
    "age": {"role": "quasi", "hierarchy": {"type": "interval", "widths": [10, 20, 40]}},
    "nationality": {"role": "quasi", "hierarchy": {"type": "m49"}},
    "state": {"role": "sensitive"},
}}


def dataset(db: Session, dpo: Principal, *, epsilon_budget: float = 1.0, delta_budget: float = 1e-6,
            programme: str | None = None) -> Dataset:
    return datasets.create_dataset(db, principal=dpo, data=DatasetCreate(
        name=f"Cases {uuid.uuid4().hex[:8]}", epsilon_budget=epsilon_budget, delta_budget=delta_budget,
        programme=programme))


def release(db: Session, officer: Principal, ds: Dataset, *, rows: list[dict] | None = None,
            kind: ReleaseKind = ReleaseKind.MICRODATA, epsilon: float | None = None,
            title: str = "Returns 2026") -> Release:
    """A draft release stored as the workflow stores one, from rows an anonymisation produced."""
    rows = [dict(r) for r in (rows or ROWS)]
    computed = Computed(rows=rows, columns=list(rows[0]), report={"k_achieved": 2, "suppressed_rows": 0},
                        method={"summary": "k-anonymity with k=2", "kind": "k-anonymity", "k": 2},
                        roles={"person_id": "identifier", "sex": "quasi_identifier"})
    return service.store_release(db, principal=officer, dataset=ds, release_id=uuid.uuid4(), title=title,
                                 kind=kind, spec={"k": 2}, computed=computed, epsilon=epsilon,
                                 delta=0.0 if epsilon else None)


def approved(db: Session, officer: Principal, dpo: Principal, ds: Dataset, **kwargs) -> Release:
    r = release(db, officer, ds, **kwargs)
    service.submit_release(db, principal=officer, release_id=r.id)
    return service.approve_release(db, principal=dpo, release_id=r.id)


def agreement(db: Session, dpo: Principal, organisation_id: uuid.UUID, *, fields=("sex", "age", "nationality"),
              valid_from: date | None = None, expires_on: date | None = None,
              key: exchange.x25519.X25519PrivateKey | None = None) -> SharingAgreement:
    today = date.today()
    a = agreements.create_agreement(db, principal=dpo, data=AgreementCreate(
        organisation_id=organisation_id, title="Reintegration monitoring", purpose="Plan reintegration support.",
        fields=list(fields), valid_from=valid_from or today - timedelta(days=30),
        expires_on=expires_on or today + timedelta(days=365)))
    if key is not None:
        a = agreements.add_recipient_key(db, principal=dpo, agreement_id=a.id, data=RecipientKeyIn(
            label="Partner data desk", public_key=exchange.public_key_text(key)))
    return a


def registry(db: Session, caseworker: Principal, n: int = 24) -> list:
    """People and their cases in the caseworker's office: two nationalities, both sexes, ages 20 to 43."""
    from tests.factories import people as pf

    cases = []
    for i in range(n):
        person = pf.person(db, caseworker, given_name=f"Person{i}", sex="female" if i % 2 else "male",
                           date_of_birth=f"{1983 + i % 24}-0{1 + i % 9}-1{i % 9}",
                           nationality="ERI" if i % 3 else "SOM")
        cases.append(pf.case(db, caseworker, person, programme="avrr"))
    db.flush()
    return cases
