"""HTML pages for the data officer and the DPO: releases, preparing one, its report, the decision, downloads."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from crossroads.auth.deps import UiUser
from crossroads.auth.models import User
from crossroads.auth.policy import Principal, may_decide_release, require
from crossroads.auth.roles import Action
from crossroads.db.session import attempt
from crossroads.disclosure import datasets, ledger, service
from crossroads.disclosure.models import Release, ReleaseStatus
from crossroads.disclosure.schemas import DpTablePrepare, MicrodataPrepare
from crossroads.kit.errors import DomainError, Invalid
from crossroads.kit.i18n import N_, Message
from crossroads.web.deps import DbSession
from crossroads.web.downloads import file_download
from crossroads.web.forms import Form, field_errors, form_page_on_get, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)

# A starting point the data officer edits: direct identifiers dropped, the usual quasi-identifiers generalised.
EXAMPLE_SPEC = {
    "k": 5,
    "max_suppression": 0.05,
    "columns": {
        "person_id": {"role": "identifier", "action": "pseudonym"},
        "sex": {"role": "quasi"},
        "age": {"role": "quasi", "hierarchy": {"type": "interval", "widths": [5, 10, 20, 40]}},
        "nationality": {"role": "quasi", "hierarchy": {"type": "m49"}},
        "programme": {"role": "insensitive"},
        "state": {"role": "sensitive"},
    },
}


def _names(session: DbSession, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


@router.get("/disclosure")
def releases_page(request: Request, session: DbSession, principal: UiUser, status: str | None = None) -> Response:
    chosen = ReleaseStatus(status) if status in {s.value for s in ReleaseStatus} else None
    releases = service.list_releases(session, principal=principal, status=chosen)
    rows = datasets.list_datasets(session, principal=principal)
    return render(request, "disclosure/releases.html", {
        "releases": releases, "datasets": rows, "status": chosen, "statuses": list(ReleaseStatus),
        "names": _names(session, {r.prepared_by for r in releases}),
        "dataset_names": {r.dataset.id: r.dataset.name for r in rows}})


# The label of each field of the prepare form, for the error summary's links.
_FIELD_LABELS = {"dataset_id": N_("Dataset"), "title": N_("Title"), "dimensions": N_("Count by"),
                 "epsilon": N_("ε to spend"), "delta": N_("δ to spend"),
                 "spec": N_("Release spec (JSON): k, l, maximum suppression, and each column's role and hierarchy")}


def _form_field(field: str | None) -> str:
    """The form field an error is about: a problem inside the spec ("spec.k") is shown beside the spec."""
    top = (field or "").split(".")[0]
    return top if top in _FIELD_LABELS else "form"


def _prepare_page(request: Request, session: DbSession, principal: Principal, *, kind: str,
                  form_values: dict | None = None, errors: dict | None = None, status_code: int = 200) -> Response:
    require(principal, Action.RELEASE_PREPARE)
    rows = datasets.list_datasets(session, principal=principal)
    values = form_values or {"spec": json.dumps(EXAMPLE_SPEC, indent=2), "epsilon": "0.5", "delta": "0",
                             "dataset_id": str(rows[0].dataset.id) if rows else ""}
    columns = {}
    for r in rows:
        columns[str(r.dataset.id)] = list(datasets.available_columns(session, r.dataset))
    return render(request, "disclosure/prepare.html", {
        "kind": kind, "datasets": rows, "values": values, "errors": errors or {}, "field_labels": _FIELD_LABELS,
        "columns": columns}, status_code=status_code)


@router.get("/disclosure/releases/new")
def prepare_page(request: Request, session: DbSession, principal: UiUser, kind: str = "microdata") -> Response:
    return _prepare_page(request, session, principal, kind="dp_table" if kind == "dp_table" else "microdata")


@router.post("/disclosure/releases/new")
def prepare(request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    kind = "dp_table" if text(form, "kind") == "dp_table" else "microdata"
    values: dict[str, Any] = {k: text(form, k) or "" for k in ("dataset_id", "title", "spec", "epsilon", "delta")}
    values["dimensions"] = [v for v in form.getlist("dimensions") if isinstance(v, str)]
    with attempt(session) as tried:
        if kind == "microdata":
            try:
                spec = json.loads(values["spec"])
            except json.JSONDecodeError as exc:
                raise Invalid(Message(N_("the spec is not valid JSON (line %(line)d, column %(column)d)"),
                                      {"line": exc.lineno, "column": exc.colno}), field="spec") from None
            if not isinstance(spec, dict):
                raise Invalid(N_("the spec must be a JSON object"), field="spec")
            release = service.prepare_microdata(session, principal=principal, data=MicrodataPrepare(
                dataset_id=values["dataset_id"], title=values["title"], spec=spec))
        else:
            release = service.prepare_dp_table(session, principal=principal, data=DpTablePrepare(
                dataset_id=values["dataset_id"], title=values["title"], dimensions=values["dimensions"],
                epsilon=values["epsilon"], delta=values["delta"] or 0))
    refusal = tried.refusal
    if isinstance(refusal, ValidationError):
        return _prepare_page(request, session, principal, kind=kind, form_values=values,
                             errors=field_errors(refusal), status_code=422)
    if refusal is not None:
        return _prepare_page(request, session, principal, kind=kind, form_values=values,
                             errors={_form_field(refusal.field): refusal.message},
                             status_code=refusal.status_code)
    return RedirectResponse(f"/disclosure/releases/{release.id}", status_code=303)


def _release_page(request: Request, session: DbSession, principal: Principal, release: Release, *,
                  error: str | None = None, status_code: int = 200) -> Response:
    dataset = datasets.get_dataset(session, principal=principal, dataset_id=release.dataset_id)
    budget = ledger.budget_of(session, dataset)
    return render(request, "disclosure/release.html", {
        "release": release, "dataset": dataset, "budget": budget, "error": error,
        "names": _names(session, {release.prepared_by, release.decided_by}),
        "may_decide": may_decide_release(principal, release.prepared_by),
        "spec_json": json.dumps(release.spec, indent=2, ensure_ascii=False)}, status_code=status_code)


@router.get("/disclosure/releases/{release_id}")
def release_page(release_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser) -> Response:
    release = service.get_release(session, principal=principal, release_id=release_id)
    return _release_page(request, session, principal, release)


def _act(request: Request, session: DbSession, principal: Principal, release_id: uuid.UUID,
         action: Callable[[], object]) -> Response:
    with attempt(session) as tried:
        action()
    if isinstance(refusal := tried.refusal, DomainError):
        release = service.get_release(session, principal=principal, release_id=release_id)
        return _release_page(request, session, principal, release, error=refusal.message,
                             status_code=refusal.status_code)
    if refusal is not None:
        raise refusal
    return RedirectResponse(f"/disclosure/releases/{release_id}", status_code=303)


@router.post("/disclosure/releases/{release_id}/submit")
def submit(release_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _act(request, session, principal, release_id,
                lambda: service.submit_release(session, principal=principal, release_id=release_id))


@router.post("/disclosure/releases/{release_id}/decide")
def decide(release_id: uuid.UUID, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    comment = text(form, "comment")

    def action() -> object:
        if text(form, "decision") == "approve":
            return service.approve_release(session, principal=principal, release_id=release_id, comment=comment)
        if not comment:
            raise Invalid(N_("say why the release is rejected"), field="comment")
        return service.reject_release(session, principal=principal, release_id=release_id, comment=comment)

    return _act(request, session, principal, release_id, action)


@router.get("/disclosure/releases/{release_id}/files/{name}")
def download(release_id: uuid.UUID, name: str, session: DbSession, principal: UiUser) -> Response:
    file, content = service.download_file(session, principal=principal, release_id=release_id, name=name)
    return file_download(content, filename=file.name, media_type=file.media_type)


@router.get("/disclosure/datasets/{dataset_id}/ledger")
def ledger_page(dataset_id: uuid.UUID, request: Request, session: DbSession, principal: UiUser) -> Response:
    dataset, entries = ledger.list_ledger(session, principal=principal, dataset_id=dataset_id)
    return render(request, "disclosure/ledger.html", {
        "dataset": dataset, "entries": entries, "budget": ledger.budget_of(session, dataset),
        "names": _names(session, {e.spent_by for e in entries})})


# A GET on a URL that only takes a form shows the form's page (web/forms.py: form_page_on_get).
form_page_on_get(router, "/disclosure/releases/{release_id}/submit", "/disclosure/releases/{release_id}")
form_page_on_get(router, "/disclosure/releases/{release_id}/decide", "/disclosure/releases/{release_id}")
