"""JSON API for datasets, releases, the ledger, sharing agreements and exchange packages."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from crossroads.auth.deps import ApiUser
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.disclosure import agreements, datasets, ledger, service
from crossroads.disclosure.engine import exchange
from crossroads.disclosure.models import Dataset, ExchangePackage, Release, ReleaseStatus
from crossroads.disclosure.schemas import (
    AgreementCreate,
    AgreementOut,
    ColumnOut,
    DatasetCreate,
    DatasetOut,
    Decision,
    DpTablePrepare,
    LedgerEntryOut,
    LedgerOut,
    MicrodataPrepare,
    PackageIssue,
    PackageOut,
    RecipientKeyIn,
    Rejection,
    ReleaseBrief,
    ReleaseOut,
    SignerOut,
    SummaryOut,
)
from crossroads.web.deps import AppSettings, DbSession
from crossroads.web.downloads import file_download

router = APIRouter(prefix="/disclosure", tags=["disclosure"])


def _dataset_out(d: Dataset, eps: float, delta: float) -> DatasetOut:
    return DatasetOut.model_validate({**{c: getattr(d, c) for c in ("id", "name", "description", "programme",
                                                                    "epsilon_budget", "delta_budget",
                                                                    "created_at")},
                                      "epsilon_spent": eps, "delta_spent": delta})


# Datasets and the ledger

@router.get("/datasets", response_model=list[DatasetOut])
def list_datasets(session: DbSession, principal: ApiUser):
    return [_dataset_out(r.dataset, r.epsilon_spent, r.delta_spent)
            for r in datasets.list_datasets(session, principal=principal)]


@router.post("/datasets", response_model=DatasetOut, status_code=201)
def create_dataset(body: DatasetCreate, session: DbSession, principal: ApiUser):
    return _dataset_out(datasets.create_dataset(session, principal=principal, data=body), 0.0, 0.0)


@router.get("/datasets/{dataset_id}/columns", response_model=list[ColumnOut])
def dataset_columns(dataset_id: uuid.UUID, session: DbSession, principal: ApiUser):
    dataset = datasets.get_dataset(session, principal=principal, dataset_id=dataset_id)
    return [ColumnOut(**c.__dict__) for c in datasets.available_columns(session, dataset).values()]


@router.get("/datasets/{dataset_id}/summary", response_model=SummaryOut)
def dataset_summary(dataset_id: uuid.UUID, session: DbSession, principal: ApiUser,
                    by: Annotated[list[str], Query(max_length=3)],
                    method: Annotated[Literal["suppress", "round"], Query()] = "suppress"):
    """Exact counts by up to three columns, with small cells withheld (or rounded)."""
    rows, summary = datasets.summarise(session, principal=principal, dataset_id=dataset_id, by=by, method=method)
    return SummaryOut(by=by, rows=rows, method=summary["method"], threshold=summary["threshold"],
                      primary_suppressed=summary["primary_suppressed"],
                      secondary_suppressed=summary["secondary_suppressed"])


@router.get("/datasets/{dataset_id}/ledger", response_model=LedgerOut)
def dataset_ledger(dataset_id: uuid.UUID, session: DbSession, principal: ApiUser):
    dataset, entries = ledger.list_ledger(session, principal=principal, dataset_id=dataset_id)
    budget = ledger.budget_of(session, dataset)
    return LedgerOut(dataset_id=dataset.id, epsilon_budget=budget.epsilon_budget, delta_budget=budget.delta_budget,
                     epsilon_spent=budget.epsilon_spent, delta_spent=budget.delta_spent,
                     entries=[LedgerEntryOut.model_validate(e) for e in entries])


# Releases

@router.get("/releases", response_model=list[ReleaseBrief])
def list_releases(session: DbSession, principal: ApiUser, status: ReleaseStatus | None = None,
                  dataset_id: uuid.UUID | None = None):
    return service.list_releases(session, principal=principal, status=status, dataset_id=dataset_id)


def _out(release: Release) -> ReleaseOut:
    return ReleaseOut.model_validate(release)


@router.post("/releases/microdata", response_model=ReleaseOut, status_code=201, responses={422: {}})
def prepare_microdata(body: MicrodataPrepare, session: DbSession, principal: ApiUser):
    return _out(service.prepare_microdata(session, principal=principal, data=body))


@router.post("/releases/dp-table", response_model=ReleaseOut, status_code=201, responses={409: {}, 422: {}})
def prepare_dp_table(body: DpTablePrepare, session: DbSession, principal: ApiUser):
    return _out(service.prepare_dp_table(session, principal=principal, data=body))


@router.get("/releases/{release_id}", response_model=ReleaseOut)
def get_release(release_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return _out(service.get_release(session, principal=principal, release_id=release_id))


@router.post("/releases/{release_id}/submit", response_model=ReleaseOut, responses={409: {}})
def submit_release(release_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return _out(service.submit_release(session, principal=principal, release_id=release_id))


@router.post("/releases/{release_id}/approve", response_model=ReleaseOut, responses={409: {}})
def approve_release(release_id: uuid.UUID, body: Decision, session: DbSession, principal: ApiUser):
    return _out(service.approve_release(session, principal=principal, release_id=release_id, comment=body.comment))


@router.post("/releases/{release_id}/reject", response_model=ReleaseOut, responses={409: {}})
def reject_release(release_id: uuid.UUID, body: Rejection, session: DbSession, principal: ApiUser):
    return _out(service.reject_release(session, principal=principal, release_id=release_id, comment=body.comment))


@router.get("/releases/{release_id}/files/{name}", responses={409: {}})
def download_file(release_id: uuid.UUID, name: str, session: DbSession, principal: ApiUser) -> Response:
    file, content = service.download_file(session, principal=principal, release_id=release_id, name=name)
    return file_download(content, filename=file.name, media_type=file.media_type)


# Agreements and exchange packages

@router.get("/agreements", response_model=list[AgreementOut])
def list_agreements(session: DbSession, principal: ApiUser):
    return agreements.list_agreements(session, principal=principal)


@router.post("/agreements", response_model=AgreementOut, status_code=201)
def create_agreement(body: AgreementCreate, session: DbSession, principal: ApiUser):
    return agreements.create_agreement(session, principal=principal, data=body)


@router.get("/agreements/{agreement_id}", response_model=AgreementOut)
def get_agreement(agreement_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return agreements.get_agreement(session, principal=principal, agreement_id=agreement_id)


@router.post("/agreements/{agreement_id}/keys", response_model=AgreementOut, status_code=201, responses={409: {}})
def add_recipient_key(agreement_id: uuid.UUID, body: RecipientKeyIn, session: DbSession, principal: ApiUser):
    return agreements.add_recipient_key(session, principal=principal, agreement_id=agreement_id, data=body)


@router.post("/agreements/{agreement_id}/packages", response_model=PackageOut, status_code=201,
             responses={409: {}})
def issue_package(agreement_id: uuid.UUID, body: PackageIssue, session: DbSession, principal: ApiUser,
                  settings: AppSettings) -> ExchangePackage:
    return agreements.issue_package(session, principal=principal, agreement_id=agreement_id, data=body,
                                    signing_key_text=settings.exchange_signing_key)


@router.get("/agreements/{agreement_id}/packages", response_model=list[PackageOut])
def list_packages(agreement_id: uuid.UUID, session: DbSession, principal: ApiUser):
    return agreements.list_packages(session, principal=principal, agreement_id=agreement_id)


@router.get("/packages/{package_id}/download")
def download_package(package_id: uuid.UUID, session: DbSession, principal: ApiUser) -> Response:
    package, content = agreements.download_package(session, principal=principal, package_id=package_id)
    return file_download(content, filename=f"crossroads-{package.id}.crxpkg", media_type="application/octet-stream")


def signer_of(principal: Principal, configured: str) -> SignerOut:
    require(principal, Action.RELEASE_READ)
    public = exchange.signer_public_text(agreements.signing_key(configured))
    return SignerOut(public_key=public, fingerprint=exchange.signer_fingerprint(public))


@router.get("/exchange/signer", response_model=SignerOut, responses={409: {}})
def exchange_signer(principal: ApiUser, settings: AppSettings):
    """The agency's public signing key, which partners pin to verify packages."""
    return signer_of(principal, settings.exchange_signing_key)
