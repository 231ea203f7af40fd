"""HTML pages of the review queue: pairs side by side, confirm, reject, merge and unmerge."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from crossroads.auth.deps import UiUser
from crossroads.auth.policy import require
from crossroads.auth.roles import Action
from crossroads.db.session import attempt
from crossroads.dedup import learning, merges, review, service
from crossroads.dedup.evidence import FIELD_LABELS, sides
from crossroads.dedup.models import CandidateStatus
from crossroads.dedup.schemas import MergeIn
from crossroads.kit.errors import DomainError
from crossroads.kit.inputs import RowId
from crossroads.web.deps import DbSession
from crossroads.web.forms import Form, field_errors, form_page_on_get, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)

# What the pages that show candidates need to tell the engine's reasons in words.
EVIDENCE = {"field_labels": FIELD_LABELS, "evidence_sides": sides}


TEACHING = "teaching"


@router.get("/dedup/review")
def queue_page(request: Request, session: DbSession, principal: UiUser, status: str = "open",
               cursor: str | None = None, order: str | None = None) -> Response:
    require(principal, Action.DEDUP_REVIEW)
    if order == TEACHING:
        pairs = review.list_teaching(session, principal=principal, model=service.active_model(session))
        return render(request, "dedup/queue.html", {
            "pairs": pairs, "status": CandidateStatus.OPEN.value, "order": TEACHING,
            "statuses": [s.value for s in CandidateStatus], "next_cursor": None, **EVIDENCE})
    chosen = CandidateStatus(status) if status in set(CandidateStatus) else CandidateStatus.OPEN
    pairs = review.list_candidates(session, principal=principal, status=chosen, cursor=cursor)
    return render(request, "dedup/queue.html", {
        "pairs": pairs, "status": chosen.value, "order": None, "statuses": [s.value for s in CandidateStatus],
        "next_cursor": review.next_cursor(pairs, 50), **EVIDENCE})


def _pair_page(request: Request, session: DbSession, principal: UiUser, candidate_id: int,
               error: str | None = None, status_code: int = 200, order: str | None = None) -> Response:
    pair = review.get_candidate(session, principal=principal, candidate_id=candidate_id)
    return render(request, "dedup/pair.html", {"pair": pair, "c": pair.candidate, "error": error, "order": order,
                                               **EVIDENCE}, status_code=status_code)


@router.get("/dedup/review/{candidate_id}")
def pair_page(candidate_id: RowId, request: Request, session: DbSession, principal: UiUser,
              order: str | None = None) -> Response:
    return _pair_page(request, session, principal, candidate_id, order=TEACHING if order == TEACHING else None)


def _decide(request: Request, form, session, principal, candidate_id: int, status: CandidateStatus) -> Response:
    with attempt(session) as tried:
        review.decide_candidate(session, principal=principal, candidate_id=candidate_id, status=status,
                                comment=text(form, "comment"))
    refusal = tried.refusal
    if isinstance(refusal, DomainError) and refusal.status_code not in (403, 404):
        return _pair_page(request, session, principal, candidate_id, refusal.message, refusal.status_code)
    if refusal is not None:
        raise refusal
    # Deciding from the teaching order goes on with the next pair the engine would learn most from.
    back = "/dedup/review?order=teaching" if text(form, "order") == TEACHING else "/dedup/review"
    return RedirectResponse(back, status_code=303)


@router.post("/dedup/review/{candidate_id}/confirm")
def confirm(candidate_id: RowId, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _decide(request, form, session, principal, candidate_id, CandidateStatus.CONFIRMED)


@router.post("/dedup/review/{candidate_id}/reject")
def reject(candidate_id: RowId, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _decide(request, form, session, principal, candidate_id, CandidateStatus.REJECTED)


@router.post("/dedup/review/{candidate_id}/merge")
def merge(candidate_id: RowId, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    with attempt(session) as tried:
        data = MergeIn(survivor_id=text(form, "survivor_id") or "", merged_id=text(form, "merged_id") or "",
                       candidate_id=candidate_id, comment=text(form, "comment"))
        done = merges.merge_people(session, principal=principal, survivor_id=data.survivor_id,
                                   merged_id=data.merged_id, candidate_id=candidate_id, comment=data.comment)
    refusal = tried.refusal
    if isinstance(refusal, ValidationError):
        return _pair_page(request, session, principal, candidate_id, next(iter(field_errors(refusal).values())), 422)
    if refusal is not None:
        if refusal.status_code in (403, 404) and refusal.field != "merged_id":
            raise refusal
        return _pair_page(request, session, principal, candidate_id, refusal.message, refusal.status_code)
    return RedirectResponse(f"/people/{done.survivor_id}", status_code=303)


@router.post("/dedup/merges/{merge_id}/unmerge")
def unmerge(merge_id: RowId, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    done = merges.unmerge_people(session, principal=principal, merge_id=merge_id, comment=text(form, "comment"))
    return RedirectResponse(f"/people/{done.merged_id}", status_code=303)


def _models_page(request: Request, session: DbSession, principal: UiUser, error: str | None = None,
                 status_code: int = 200) -> Response:
    versions = learning.list_versions(session, principal=principal)
    active = next((v for v in versions if v.active), None)
    return render(request, "dedup/models.html", {
        "versions": versions, "active": active, "decisions": learning.count_decisions(session),
        "held_out_every": learning.HELD_OUT_EVERY, "error": error}, status_code=status_code)


@router.get("/dedup/models")
def models_page(request: Request, session: DbSession, principal: UiUser) -> Response:
    return _models_page(request, session, principal)


@router.get("/dedup/models/{version}")
def model_page(version: str, request: Request, session: DbSession, principal: UiUser) -> Response:
    comparison = learning.compare_version(session, principal=principal, version=version[:64])
    return render(request, "dedup/model.html", {"c": comparison})


def _model_action(request: Request, session: DbSession, principal: UiUser, action) -> Response:
    with attempt(session) as tried:
        row = action()
    refusal = tried.refusal
    if isinstance(refusal, DomainError) and refusal.status_code == 409:
        return _models_page(request, session, principal, refusal.message, 409)
    if refusal is not None:
        raise refusal
    return RedirectResponse(f"/dedup/models/{row.version}", status_code=303)


@router.post("/dedup/models")
def train(request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _model_action(request, session, principal,
                         lambda: learning.train_version(session, principal=principal))


@router.post("/dedup/models/{version}/activate")
def activate(version: str, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _model_action(request, session, principal,
                         lambda: learning.activate_version(session, principal=principal, version=version[:64]))


@router.post("/dedup/model-rollback")
def rollback(request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    return _model_action(request, session, principal, lambda: learning.rollback_version(session, principal=principal))


# A GET on a URL that only takes a form shows the form's page (web/forms.py: form_page_on_get).
form_page_on_get(router, "/dedup/review/{candidate_id}/confirm", "/dedup/review/{candidate_id}")
form_page_on_get(router, "/dedup/review/{candidate_id}/reject", "/dedup/review/{candidate_id}")
form_page_on_get(router, "/dedup/review/{candidate_id}/merge", "/dedup/review/{candidate_id}")
form_page_on_get(router, "/dedup/merges/{merge_id}/unmerge", "/dedup/review")
form_page_on_get(router, "/dedup/models/{version}/activate", "/dedup/models/{version}")
form_page_on_get(router, "/dedup/model-rollback", "/dedup/models")
