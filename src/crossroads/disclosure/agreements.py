"""Data-sharing agreements with partner organisations and the exchange packages issued under them.

An agreement states the purpose, the fields that may leave and until when, and holds the recipient's
public keys. A package is built only from an approved release, only while the agreement is in force,
and carries only the agreed fields; it is signed with the agency key and encrypted for the recipient.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from dataclasses import dataclass
from datetime import date

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, undefer

from crossroads.audit.service import record_event
from crossroads.auth.models import Organisation
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action, OrganisationKind
from crossroads.db.base import utcnow
from crossroads.disclosure.engine import exchange, exports
from crossroads.disclosure.models import ExchangePackage, RecipientKey, SharingAgreement
from crossroads.disclosure.schemas import AgreementCreate, PackageIssue, RecipientKeyIn
from crossroads.disclosure.service import approved_release, verified_content
from crossroads.kit import spreadsheet
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_, Message
from crossroads.kit.keytext import KeyFormatError


class SigningKeyMissing(Conflict):
    pass


def signing_key(configured: str) -> ed25519.Ed25519PrivateKey:
    if not configured:
        raise SigningKeyMissing("no agency signing key is configured (CROSSROADS_EXCHANGE_SIGNING_KEY)",
                                field="exchange_signing_key")
    return exchange.parse_signing_key(configured)


def create_agreement(session: Session, *, principal: Principal, data: AgreementCreate) -> SharingAgreement:
    """Record an agreement with a partner or government organisation."""
    require(principal, Action.AGREEMENT_MANAGE)
    org = session.get(Organisation, data.organisation_id)
    if org is None:
        raise Invalid("no such organisation", field="organisation_id")
    if org.kind == OrganisationKind.AGENCY:
        raise Invalid("an agreement is made with a partner or government organisation, not the agency",
                      field="organisation_id")
    agreement = SharingAgreement(organisation_id=org.id, title=data.title, purpose=data.purpose, fields=data.fields,
                                 valid_from=data.valid_from, expires_on=data.expires_on,
                                 created_by=principal.user_id)
    session.add(agreement)
    session.flush()
    record_event(session, actor=principal, action="disclosure.agreement_create", entity_type="agreement",
                 entity_id=agreement.id, details={"organisation": str(org.id), "fields": data.fields,
                                                  "expires_on": data.expires_on.isoformat()})
    return load_agreement(session, agreement.id)


def load_agreement(session: Session, agreement_id: uuid.UUID) -> SharingAgreement:
    agreement = session.scalar(select(SharingAgreement).where(SharingAgreement.id == agreement_id)
                               .options(selectinload(SharingAgreement.keys))
                               .execution_options(populate_existing=True))
    if agreement is None:
        raise NotFound("no such agreement", field="agreement_id")
    return agreement


def _require_any(principal: Principal, *actions: Action) -> None:
    if not any(principal.may(a) for a in actions):
        require(principal, actions[0])


def get_agreement(session: Session, *, principal: Principal, agreement_id: uuid.UUID) -> SharingAgreement:
    _require_any(principal, Action.AGREEMENT_MANAGE, Action.EXCHANGE_ISSUE)
    return load_agreement(session, agreement_id)


def list_agreements(session: Session, *, principal: Principal) -> list[SharingAgreement]:
    """Agreements, the soonest to expire first."""
    _require_any(principal, Action.AGREEMENT_MANAGE, Action.EXCHANGE_ISSUE)
    return list(session.scalars(select(SharingAgreement).options(selectinload(SharingAgreement.keys))
                                .order_by(SharingAgreement.expires_on, SharingAgreement.id)))


def add_recipient_key(session: Session, *, principal: Principal, agreement_id: uuid.UUID,
                      data: RecipientKeyIn) -> SharingAgreement:
    """Register a recipient's public key under the agreement."""
    require(principal, Action.AGREEMENT_MANAGE)
    agreement = load_agreement(session, agreement_id)
    try:
        fp = exchange.public_fingerprint(data.public_key)
    except KeyFormatError as exc:
        raise Invalid(str(exc), field="public_key") from None
    if any(k.fingerprint == fp for k in agreement.keys):
        raise Conflict("this key is already registered under the agreement", field="public_key")
    key = RecipientKey(agreement_id=agreement.id, label=data.label, public_key=data.public_key, fingerprint=fp,
                       added_by=principal.user_id)
    session.add(key)
    session.flush()
    record_event(session, actor=principal, action="disclosure.agreement_key_add", entity_type="agreement",
                 entity_id=agreement.id, details={"key": key.id, "fingerprint": fp})
    return load_agreement(session, agreement.id)


def check_in_force(agreement: SharingAgreement, on: date) -> None:
    if on < agreement.valid_from:
        raise Conflict(Message(N_("the agreement is in force only from %(date)s"),
                               {"date": agreement.valid_from.isoformat()}), field="agreement_id")
    if on > agreement.expires_on:
        raise Conflict(Message(N_("the agreement expired on %(date)s; nothing more may be shared under it"),
                               {"date": agreement.expires_on.isoformat()}), field="agreement_id")


def _choose_key(agreement: SharingAgreement, key_id: int | None) -> RecipientKey:
    active = [k for k in agreement.keys if k.revoked_at is None]
    if key_id is not None:
        key = next((k for k in active if k.id == key_id), None)
        if key is None:
            raise Invalid("no active recipient key with this id under the agreement", field="recipient_key_id")
        return key
    if not active:
        raise Conflict("the agreement has no recipient key registered; add the partner's public key first",
                       field="recipient_key_id")
    return active[-1]


@dataclass(frozen=True)
class AgreedFiles:
    files: dict[str, bytes]
    columns: list[str]
    withheld: list[str]
    rows: int


def _agreed_files(release_files: dict[str, bytes], fields: list[str], metadata: dict) -> AgreedFiles:
    """The release's CSV and datapackage.json cut down to the agreed fields."""
    reader = csv.DictReader(io.StringIO(release_files[exports.CSV_NAME].decode("utf-8"), newline=""))
    released = list(reader.fieldnames or [])
    columns = [c for c in released if c in fields]
    if not columns:
        raise Invalid("the release holds none of the fields the agreement allows", field="release_id")
    rows = [{c: r[c] for c in columns} for r in reader]
    # A release prepared before its CSV was neutralised is neutralised now; a neutralised one is unchanged.
    csv_bytes = spreadsheet.csv_bytes(columns, ([r[c] for c in columns] for r in rows))
    descriptor = json.loads(release_files[exports.DATAPACKAGE_NAME])
    resource = descriptor["resources"][0]
    resource["schema"]["fields"] = [f for f in resource["schema"]["fields"] if f["name"] in columns]
    resource["bytes"] = len(csv_bytes)
    resource["hash"] = "sha256:" + hashlib.sha256(csv_bytes).hexdigest()
    descriptor["sharing_agreement"] = metadata
    package_json = json.dumps(descriptor, indent=2, ensure_ascii=False).encode("utf-8")
    return AgreedFiles(files={exports.CSV_NAME: csv_bytes, exports.DATAPACKAGE_NAME: package_json}, columns=columns,
                       withheld=[c for c in released if c not in columns], rows=len(rows))


def issue_package(session: Session, *, principal: Principal, agreement_id: uuid.UUID, data: PackageIssue,
                  signing_key_text: str) -> ExchangePackage:
    """Seal an approved release's agreed fields for the partner's key, sign it, and record what left."""
    require(principal, Action.EXCHANGE_ISSUE)
    signer = signing_key(signing_key_text)
    agreement = load_agreement(session, agreement_id)
    check_in_force(agreement, utcnow().date())
    key = _choose_key(agreement, data.recipient_key_id)
    release = approved_release(session, data.release_id)
    stored = {f.name: verified_content(session, f) for f in release.files
              if f.name in (exports.CSV_NAME, exports.DATAPACKAGE_NAME)}
    package_id = uuid.uuid4()
    metadata = {"agreement_id": str(agreement.id), "purpose": agreement.purpose,
                "expires_on": agreement.expires_on.isoformat(), "release_id": str(release.id),
                "package_id": str(package_id)}
    agreed = _agreed_files(stored, agreement.fields, metadata)
    sealed = exchange.seal_package(agreed.files, metadata=metadata, recipient=exchange.parse_public_key(key.public_key),
                                   signer=signer, package_id=package_id)
    signer_fp = exchange.signer_fingerprint(exchange.signer_public_text(signer))
    package = ExchangePackage(id=package_id, agreement_id=agreement.id, release_id=release.id,
                              recipient_key_id=key.id, fields=agreed.columns, row_count=agreed.rows, size=len(sealed),
                              sha256=hashlib.sha256(sealed).hexdigest(), signer_fingerprint=signer_fp,
                              issued_by=principal.user_id, content=sealed)
    session.add(package)
    session.flush()
    record_event(session, actor=principal, action="disclosure.exchange_issue", entity_type="agreement",
                 entity_id=agreement.id,
                 details={"package": str(package.id), "release": str(release.id), "fields": agreed.columns,
                          "withheld": agreed.withheld, "rows": agreed.rows, "recipient_key": key.fingerprint,
                          "sha256": package.sha256})
    return package


def list_packages(session: Session, *, principal: Principal, agreement_id: uuid.UUID) -> list[ExchangePackage]:
    _require_any(principal, Action.AGREEMENT_MANAGE, Action.EXCHANGE_ISSUE)
    load_agreement(session, agreement_id)
    return list(session.scalars(select(ExchangePackage).where(ExchangePackage.agreement_id == agreement_id)
                                .order_by(ExchangePackage.issued_at.desc())))


def download_package(session: Session, *, principal: Principal, package_id: uuid.UUID) -> tuple[ExchangePackage,
                                                                                                 bytes]:
    """The sealed package, to hand to the partner; audited."""
    require(principal, Action.EXCHANGE_ISSUE)
    package = session.scalar(select(ExchangePackage).where(ExchangePackage.id == package_id)
                             .options(undefer(ExchangePackage.content)))
    if package is None:
        raise NotFound("no such package", field="package_id")
    if hashlib.sha256(package.content).hexdigest() != package.sha256:
        raise Conflict("the package no longer matches its checksum; it is not served", field="package_id")
    record_event(session, actor=principal, action="disclosure.exchange_download", entity_type="agreement",
                 entity_id=package.agreement_id, details={"package": str(package.id), "sha256": package.sha256})
    return package, package.content
