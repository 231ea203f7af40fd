"""Releases: prepared by a data officer, decided by a DPO who did not prepare them, downloadable only after.

A release is computed once, when it is prepared: its files, spec, risk report, software version and
checksums are stored together and never change afterwards. A DP release spends its ε and δ in the same
transaction as it is stored, because the noisy answer exists from that moment, whether or not it is
approved later.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, undefer

from crossroads import __version__
from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, require, require_release_decider
from crossroads.auth.roles import Action
from crossroads.db.base import utcnow
from crossroads.disclosure import bridge
from crossroads.disclosure.bridge import Computed
from crossroads.disclosure.datasets import available_columns, dp_dimension, extract_rows, get_dataset
from crossroads.disclosure.engine import exports
from crossroads.disclosure.ledger import check_budget, lock_dataset, spend_budget
from crossroads.disclosure.models import Dataset, Release, ReleaseFile, ReleaseKind, ReleaseStatus
from crossroads.disclosure.schemas import DpTablePrepare, MicrodataPrepare
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_, Message

LIST_MAX = 200



# How a refusal names a release's status.
_STATUS_WORDS = {ReleaseStatus.DRAFT: N_("draft"), ReleaseStatus.PENDING_APPROVAL: N_("pending approval"),
                 ReleaseStatus.APPROVED: N_("approved"), ReleaseStatus.REJECTED: N_("rejected")}


def _status(release: Release) -> Message:
    return Message(_STATUS_WORDS[ReleaseStatus(release.status)])

def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "release"


def build_files(*, release_id: uuid.UUID, title: str, dataset: Dataset, computed: Computed,
                column_meta: dict[str, exports.FieldMeta], kind: ReleaseKind) -> dict[str, bytes]:
    """Every file of a release: the Frictionless package (CSV + datapackage.json), XLSX, and CTDC when apt."""
    fields = {c: exports.FieldMeta(c, m.description, m.hxl, computed.roles.get(c))
              for c, m in column_meta.items()}
    csv_bytes = exports.to_csv(computed.rows, computed.columns)
    files = {
        exports.CSV_NAME: csv_bytes,
        exports.DATAPACKAGE_NAME: exports.datapackage(
            name=f"crossroads-{_slug(title)}", title=title, release_id=str(release_id), created=utcnow(),
            columns=computed.columns, rows=computed.rows, fields=fields, csv_bytes=csv_bytes,
            method=computed.method, software_version=__version__),
        exports.XLSX_NAME: exports.to_xlsx(title=title, rows=computed.rows, columns=computed.columns,
                                           fields=fields, method=computed.method),
    }
    if kind == ReleaseKind.MICRODATA and dataset.programme == "counter_trafficking":
        files[exports.CTDC_NAME] = exports.to_ctdc(computed.rows)
    return files


def _column_meta(session: Session, dataset: Dataset) -> dict[str, exports.FieldMeta]:
    return {c.name: exports.FieldMeta(c.name, c.description, c.hxl)
            for c in available_columns(session, dataset).values()}


def store_release(session: Session, *, principal: Principal, dataset: Dataset, release_id: uuid.UUID, title: str,
           kind: ReleaseKind, spec: dict[str, Any], computed: Computed, epsilon: float | None = None,
           delta: float | None = None) -> Release:
    files = build_files(release_id=release_id, title=title, dataset=dataset, computed=computed,
                        column_meta=_column_meta(session, dataset) | bridge.extra_field_meta(kind), kind=kind)
    release = Release(id=release_id, dataset_id=dataset.id, title=title, kind=kind, status=ReleaseStatus.DRAFT,
                      spec=spec, report=computed.report, epsilon=epsilon, delta=delta,
                      row_count=len(computed.rows), software_version=__version__, prepared_by=principal.user_id)
    session.add(release)
    session.flush()
    for name, content in files.items():
        session.add(ReleaseFile(release_id=release.id, name=name, media_type=exports.MEDIA_TYPES[name],
                                size=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content))
    session.flush()
    record_event(session, actor=principal, action="disclosure.release_prepare", entity_type="release",
                 entity_id=release.id,
                 details={"dataset": str(dataset.id), "kind": kind.value, "rows": release.row_count,
                          "columns": computed.columns, "files": sorted(files)})
    return _load(session, release.id)


def _require_preparer(principal: Principal) -> None:
    require(principal, Action.RELEASE_PREPARE)
    if principal.user_id is None:
        raise Invalid("a release is prepared by a named user", field="prepared_by")


def prepare_microdata(session: Session, *, principal: Principal, data: MicrodataPrepare) -> Release:
    """Extract the spec's columns, anonymise them with the engine, and store the draft release."""
    _require_preparer(principal)
    dataset = get_dataset(session, principal=principal, dataset_id=data.dataset_id)
    spec = bridge.parse_spec(data.spec)
    columns = bridge.spec_columns(spec)
    offered = available_columns(session, dataset)
    exposed = [c for c, role in columns.items() if c in offered and offered[c].identifier and role != "identifier"]
    if exposed:
        raise Invalid(Message(N_("%(columns)s identify a person and must have the identifier role"),
                              {"columns": list(exposed)}), field="spec.columns")
    release_id = uuid.uuid4()
    rows = extract_rows(session, principal=principal, dataset=dataset, columns=list(columns), release_id=release_id)
    computed = bridge.anonymize_rows(rows, spec)
    return store_release(session, principal=principal, dataset=dataset, release_id=release_id, title=data.title,
                         kind=ReleaseKind.MICRODATA, spec=bridge.spec_json(spec), computed=computed)


def prepare_dp_table(session: Session, *, principal: Principal, data: DpTablePrepare) -> Release:
    """Compute a DP count table and charge the dataset's ledger; refused, with nothing written, over budget."""
    _require_preparer(principal)
    require(principal, Action.RELEASE_READ)
    dataset = lock_dataset(session, data.dataset_id)
    # Checked before any noise is drawn: a refused release has computed nothing and spent nothing.
    check_budget(session, dataset, epsilon=data.epsilon, delta=data.delta)
    dimensions = [dp_dimension(session, dataset, c) for c in data.dimensions]
    release_id = uuid.uuid4()
    # The person is the privacy unit: their cases beyond max_contributions are left out of the count.
    rows = extract_rows(session, principal=principal, dataset=dataset, columns=["person_id", *data.dimensions],
                        release_id=release_id)
    computed = bridge.dp_table(rows, dimensions=dimensions, epsilon=data.epsilon, delta=data.delta,
                               max_contributions=data.max_contributions, privacy_unit="person_id")
    spent_epsilon, spent_delta = computed.report["epsilon"], computed.report["delta"]
    spec = {"dimensions": data.dimensions, "epsilon": data.epsilon, "delta": data.delta,
            "max_contributions": data.max_contributions}
    release = store_release(session, principal=principal, dataset=dataset, release_id=release_id,
                            title=data.title, kind=ReleaseKind.DP_TABLE, spec=spec, computed=computed,
                            epsilon=spent_epsilon, delta=spent_delta)
    spend_budget(session, principal=principal, dataset=dataset, release_id=release.id, epsilon=spent_epsilon,
                 delta=spent_delta)
    return release


def _load(session: Session, release_id: uuid.UUID, *, lock: bool = False) -> Release:
    query = select(Release).where(Release.id == release_id).options(selectinload(Release.files))
    if lock:
        query = query.with_for_update(of=Release).execution_options(populate_existing=True)
    release = session.scalar(query)
    if release is None:
        raise NotFound("no such release", field="release_id")
    return release


def get_release(session: Session, *, principal: Principal, release_id: uuid.UUID) -> Release:
    require(principal, Action.RELEASE_READ)
    return _load(session, release_id)


def list_releases(session: Session, *, principal: Principal, status: ReleaseStatus | None = None,
                  dataset_id: uuid.UUID | None = None, limit: int = 100) -> list[Release]:
    """Releases, newest first."""
    require(principal, Action.RELEASE_READ)
    query = select(Release).order_by(Release.prepared_at.desc(), Release.id).limit(min(limit, LIST_MAX))
    if status is not None:
        query = query.where(Release.status == status)
    if dataset_id is not None:
        query = query.where(Release.dataset_id == dataset_id)
    return list(session.scalars(query))


def submit_release(session: Session, *, principal: Principal, release_id: uuid.UUID) -> Release:
    """Send a draft to the DPO for a decision."""
    require(principal, Action.RELEASE_PREPARE)
    release = _load(session, release_id, lock=True)
    if release.status != ReleaseStatus.DRAFT:
        raise Conflict(Message(N_("the release is %(status)s, not a draft"), {"status": _status(release)}),
                       field="release_id")
    release.status = ReleaseStatus.PENDING_APPROVAL
    session.flush()
    record_event(session, actor=principal, action="disclosure.release_submit", entity_type="release",
                 entity_id=release.id)
    return release


def _decide(session: Session, principal: Principal, release_id: uuid.UUID, status: ReleaseStatus,
            comment: str | None) -> Release:
    release = _load(session, release_id, lock=True)
    require_release_decider(principal, release.prepared_by)
    if release.status != ReleaseStatus.PENDING_APPROVAL:
        raise Conflict(Message(N_("only a release pending approval can be decided; this one is %(status)s"),
                               {"status": _status(release)}), field="release_id")
    if status == ReleaseStatus.APPROVED and release.report.get("publishable") is False:
        # The spec's own risk limit: a release whose share of records at risk exceeds it is never approved.
        report = release.report
        raise Conflict(Message(N_("the risk report marks this release as not publishable: a share of %(share)s of "
                                  "records is at risk, the spec allows less than %(limit)s; reject it and prepare it "
                                  "again with a stricter spec"),
                               {"share": repr(report.get("share_at_risk")),
                                "limit": repr(report.get("max_share_at_risk"))}),
                       field="release_id")
    release.status = status
    release.decided_by = principal.user_id
    release.decided_at = utcnow()
    release.decision_comment = comment
    session.flush()
    verb = "approve" if status == ReleaseStatus.APPROVED else "reject"
    record_event(session, actor=principal, action=f"disclosure.release_{verb}", entity_type="release",
                 entity_id=release.id,
                 details={"prepared_by": str(release.prepared_by), "comment": comment is not None})
    return release


def approve_release(session: Session, *, principal: Principal, release_id: uuid.UUID,
                    comment: str | None = None) -> Release:
    """Approve a pending release; never one's own."""
    return _decide(session, principal, release_id, ReleaseStatus.APPROVED, comment)


def reject_release(session: Session, *, principal: Principal, release_id: uuid.UUID, comment: str) -> Release:
    """Reject a pending release, saying why; never one's own."""
    return _decide(session, principal, release_id, ReleaseStatus.REJECTED, comment)


def verified_content(session: Session, file: ReleaseFile) -> bytes:
    """The file's bytes, after checking them against the checksum stored when the release was prepared."""
    content = session.scalar(select(ReleaseFile.content).where(ReleaseFile.id == file.id))
    if content is None or len(content) != file.size or hashlib.sha256(content).hexdigest() != file.sha256:
        raise Conflict(Message(N_("%(file)s no longer matches its checksum; it is not served. Tell the DPO."),
                               {"file": file.name}), field="name")
    return content


def download_file(session: Session, *, principal: Principal, release_id: uuid.UUID,
                  name: str) -> tuple[ReleaseFile, bytes]:
    """An approved release's file, checksum verified; every download is audited."""
    require(principal, Action.RELEASE_DOWNLOAD)
    release = _load(session, release_id)
    if release.status != ReleaseStatus.APPROVED:
        raise Conflict(Message(N_("the release is %(status)s; files can be downloaded only after a DPO approves it"),
                               {"status": _status(release)}), field="release_id")
    file = next((f for f in release.files if f.name == name), None)
    if file is None:
        raise NotFound(Message(N_("the release has no file %(name)s"), {"name": name}), field="name")
    content = verified_content(session, file)
    record_event(session, actor=principal, action="disclosure.release_download", entity_type="release",
                 entity_id=release.id, details={"file": name, "sha256": file.sha256, "size": file.size})
    return file, content


def approved_release(session: Session, release_id: uuid.UUID) -> Release:
    release = session.scalar(select(Release).where(Release.id == release_id)
                             .options(selectinload(Release.files).options(undefer(ReleaseFile.content))))
    if release is None:
        raise NotFound("no such release", field="release_id")
    if release.status != ReleaseStatus.APPROVED:
        raise Conflict("only an approved release can be shared", field="release_id")
    return release


def count_waiting(session: Session, *, principal: Principal) -> tuple[int, int]:
    """Releases waiting for the user: (to decide, as the DPO who did not prepare them; drafts they prepared)."""
    require(principal, Action.RELEASE_READ)
    to_decide = drafts = 0
    if principal.may(Action.RELEASE_APPROVE):
        to_decide = session.scalar(select(func.count()).select_from(Release).where(
            Release.status == ReleaseStatus.PENDING_APPROVAL, Release.prepared_by != principal.user_id)) or 0
    if principal.may(Action.RELEASE_PREPARE):
        drafts = session.scalar(select(func.count()).select_from(Release).where(
            Release.status == ReleaseStatus.DRAFT, Release.prepared_by == principal.user_id)) or 0
    return to_decide, drafts
