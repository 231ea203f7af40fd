"""JSON API: the duplicate check at registration, the review queue and merges."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from crossroads.auth.deps import ApiUser
from crossroads.dedup import learning, merges, review, service
from crossroads.dedup.models import CandidateStatus, PersonMerge
from crossroads.dedup.schemas import (
    CheckOut,
    DecisionIn,
    MergeIn,
    MergeOut,
    MetricsOut,
    ModelComparisonOut,
    ModelVersionOut,
    PairList,
    PairOut,
    PairPersonOut,
    ReasonOut,
    TeachIn,
)
from crossroads.kit.inputs import RowId
from crossroads.people.schemas import PersonCreate
from crossroads.web.deps import DbSession

router = APIRouter(tags=["duplicates"])


@router.post("/people/check-duplicates", response_model=CheckOut)
def check_duplicates(body: PersonCreate, session: DbSession, principal: ApiUser):
    result = service.check_duplicates(session, principal=principal, data=body)
    return CheckOut(candidates=result.candidates, hidden=result.hidden,
                    model_version=result.model_version)


def pair_out(pair: review.Pair) -> PairOut:
    c = pair.candidate
    return PairOut(
        id=c.id, probability=c.probability, match_weight=c.match_weight,
        reasons=[ReasonOut(**r) for r in c.reasons], model_version=c.model_version, source=c.source,
        status=c.status, decided_by=c.decided_by, decided_at=c.decided_at, comment=c.comment,
        registration_reason=c.registration_reason, created_at=c.created_at,
        person_a=PairPersonOut.model_validate(pair.a) if pair.a is not None else None,
        person_b=PairPersonOut.model_validate(pair.b) if pair.b is not None else None,
    )


@router.get("/dedup/candidates", response_model=PairList)
def list_candidates(session: DbSession, principal: ApiUser, status: CandidateStatus = CandidateStatus.OPEN,
                    limit: int = Query(50, ge=1, le=review.PAGE_MAX),
                    cursor: str | None = Query(None, max_length=200)):
    pairs = review.list_candidates(session, principal=principal, status=status, limit=limit, cursor=cursor)
    return PairList(items=[pair_out(p) for p in pairs], next_cursor=review.next_cursor(pairs, limit))


@router.get("/dedup/candidates/{candidate_id}", response_model=PairOut)
def get_candidate(candidate_id: RowId, session: DbSession, principal: ApiUser):
    return pair_out(review.get_candidate(session, principal=principal, candidate_id=candidate_id))


def _decide(session: DbSession, principal: ApiUser, candidate_id: int, status: CandidateStatus,
            body: DecisionIn | None) -> PairOut:
    review.decide_candidate(session, principal=principal, candidate_id=candidate_id, status=status,
                            comment=body.comment if body else None)
    return pair_out(review.get_candidate(session, principal=principal, candidate_id=candidate_id))


@router.post("/dedup/candidates/{candidate_id}/confirm", response_model=PairOut, responses={409: {}})
def confirm_candidate(candidate_id: RowId, session: DbSession, principal: ApiUser, body: DecisionIn | None = None):
    return _decide(session, principal, candidate_id, CandidateStatus.CONFIRMED, body)


@router.post("/dedup/candidates/{candidate_id}/reject", response_model=PairOut, responses={409: {}})
def reject_candidate(candidate_id: RowId, session: DbSession, principal: ApiUser, body: DecisionIn | None = None):
    return _decide(session, principal, candidate_id, CandidateStatus.REJECTED, body)


def merge_out(merge: PersonMerge) -> MergeOut:
    counts = merges.moved_counts(merge)
    return MergeOut(id=merge.id, survivor_id=merge.survivor_id, merged_id=merge.merged_id,
                    candidate_id=merge.candidate_id, moved=counts, comment=merge.comment, merged_by=merge.merged_by,
                    merged_at=merge.merged_at, unmerged_by=merge.unmerged_by, unmerged_at=merge.unmerged_at)


@router.post("/dedup/merges", response_model=MergeOut, status_code=201, responses={409: {}})
def merge_people(body: MergeIn, session: DbSession, principal: ApiUser):
    return merge_out(merges.merge_people(session, principal=principal, survivor_id=body.survivor_id,
                                         merged_id=body.merged_id, candidate_id=body.candidate_id,
                                         comment=body.comment))


@router.get("/dedup/merges/{merge_id}", response_model=MergeOut)
def get_merge(merge_id: RowId, session: DbSession, principal: ApiUser):
    return merge_out(merges.get_merge(session, principal=principal, merge_id=merge_id))


@router.post("/dedup/merges/{merge_id}/unmerge", response_model=MergeOut, responses={409: {}})
def unmerge_people(merge_id: RowId, session: DbSession, principal: ApiUser, body: DecisionIn | None = None):
    return merge_out(merges.unmerge_people(session, principal=principal, merge_id=merge_id,
                                           comment=body.comment if body else None))


@router.get("/dedup/teaching", response_model=PairList)
def list_teaching(session: DbSession, principal: ApiUser, limit: int = Query(50, ge=1, le=review.PAGE_MAX)):
    """Open pairs in the order whose answers teach the engine most (uncertain, varied)."""
    pairs = review.list_teaching(session, principal=principal, model=service.active_model(session), limit=limit)
    return PairList(items=[pair_out(p) for p in pairs], next_cursor=None)


Version = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._+-]+$")]


def comparison_out(c: learning.Comparison) -> ModelComparisonOut:
    def metrics(m) -> MetricsOut:
        return MetricsOut(pairs=m.pairs, matches=m.matches, precision=m.precision, recall=m.recall, f1=m.f1,
                          log_loss=m.log_loss)

    return ModelComparisonOut(model=ModelVersionOut.model_validate(c.row),
                              active=ModelVersionOut.model_validate(c.active), threshold=c.threshold,
                              held_out=c.held_out, candidate=metrics(c.candidate), current=metrics(c.current),
                              provenance=c.provenance)


@router.get("/dedup/models", response_model=list[ModelVersionOut])
def list_models(session: DbSession, principal: ApiUser):
    return [ModelVersionOut.model_validate(r) for r in learning.list_versions(session, principal=principal)]


@router.post("/dedup/models", response_model=ModelComparisonOut, status_code=201, responses={409: {}})
def train_model(session: DbSession, principal: ApiUser, body: TeachIn | None = None):
    row = learning.train_version(session, principal=principal, strength=(body or TeachIn()).strength)
    return comparison_out(learning.compare_version(session, principal=principal, version=row.version))


@router.get("/dedup/models/{version}", response_model=ModelComparisonOut)
def get_model(version: Version, session: DbSession, principal: ApiUser):
    return comparison_out(learning.compare_version(session, principal=principal, version=version))


@router.post("/dedup/models/{version}/activate", response_model=ModelVersionOut, responses={409: {}})
def activate_model(version: Version, session: DbSession, principal: ApiUser):
    return ModelVersionOut.model_validate(learning.activate_version(session, principal=principal, version=version))


@router.post("/dedup/model-rollback", response_model=ModelVersionOut, responses={409: {}})
def rollback_model(session: DbSession, principal: ApiUser):
    return ModelVersionOut.model_validate(learning.rollback_version(session, principal=principal))
