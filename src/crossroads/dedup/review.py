"""The review queue: supervisors see candidate pairs touching their offices and confirm or reject them.

A side of a pair is shown with its data only to a user whose `people_scope` includes that person; the other
side of a cross-office pair is reduced to the fact that it exists, with the engine's reasons (which fields
agreed and how, never their values).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, match_pairs_scope, person_visible, require
from crossroads.auth.roles import Action
from crossroads.db.base import utcnow
from crossroads.dedup.engine.comparisons import COMPARISONS
from crossroads.dedup.engine.learning import gamma_of, select_pairs
from crossroads.dedup.engine.model import MatchModel
from crossroads.dedup.index import person_record
from crossroads.dedup.models import CandidateStatus, MatchCandidate
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_, Message
from crossroads.people.models import Person

PAGE_MAX = 100
# Open pairs the teaching order chooses among: the newest, so a registry with a long queue still answers fast.
TEACHING_POOL = 1000


@dataclass(frozen=True)
class Pair:
    candidate: MatchCandidate
    # None where the user may not see that person.
    a: Person | None
    b: Person | None

    @property
    def both_visible(self) -> bool:
        return self.a is not None and self.b is not None


def _pairs_query(principal: Principal, *, full: bool):
    a, b = aliased(Person), aliased(Person)
    query = (
        select(MatchCandidate, a, b, person_visible(principal, a.id), person_visible(principal, b.id))
        .join(a, a.id == MatchCandidate.person_a_id).join(b, b.id == MatchCandidate.person_b_id)
        .where(match_pairs_scope(principal, MatchCandidate.person_a_id, MatchCandidate.person_b_id))
    )
    if full:
        query = query.options(selectinload(a.names), selectinload(a.documents), selectinload(b.names),
                              selectinload(b.documents))
    return query, a, b


def _pair(row) -> Pair:
    candidate, a, b, a_visible, b_visible = row
    return Pair(candidate=candidate, a=a if a_visible else None, b=b if b_visible else None)


def parse_cursor(cursor: str | None) -> tuple[float, int] | None:
    if not cursor:
        return None
    probability, _, last_id = cursor.partition(":")
    try:
        return float(probability), int(last_id)
    except ValueError:
        raise Invalid("not a cursor returned by this list", field="cursor") from None


def next_cursor(pairs: list[Pair], limit: int) -> str | None:
    if len(pairs) < limit:
        return None
    last = pairs[-1].candidate
    return f"{last.probability!r}:{last.id}"


def list_candidates(session: Session, *, principal: Principal, status: CandidateStatus = CandidateStatus.OPEN,
                    limit: int = 50, cursor: str | None = None) -> list[Pair]:
    """Pairs touching the user's offices, most likely first; open pairs whose records were merged are left out."""
    require(principal, Action.DEDUP_REVIEW)
    if not 1 <= limit <= PAGE_MAX:
        raise Invalid(Message(N_("must be between 1 and %(max)d"), {"max": PAGE_MAX}), field="limit")
    query, a, b = _pairs_query(principal, full=True)
    query = query.where(MatchCandidate.status == status)
    if status == CandidateStatus.OPEN:
        query = query.where(a.merged_into_id.is_(None), b.merged_into_id.is_(None))
    after = parse_cursor(cursor)
    if after is not None:
        query = query.where(or_(MatchCandidate.probability < after[0],
                                and_(MatchCandidate.probability == after[0], MatchCandidate.id > after[1])))
    rows = session.execute(query.order_by(MatchCandidate.probability.desc(), MatchCandidate.id).limit(limit)).all()
    pairs = [_pair(r) for r in rows]
    record_event(session, actor=principal, action="dedup.queue_read", entity_type="match_candidate",
                 details={"status": status.value, "pairs": len(pairs),
                          "people_shown": sum((p.a is not None) + (p.b is not None) for p in pairs)})
    return pairs


def _load(session: Session, principal: Principal, candidate_id: int, *, lock: bool = False) -> Pair:
    query, _, _ = _pairs_query(principal, full=not lock)
    query = query.where(MatchCandidate.id == candidate_id)
    if lock:
        query = query.with_for_update(of=MatchCandidate)
    row = session.execute(query).first()
    if row is None:
        raise NotFound("no such candidate pair", field="candidate_id")
    return _pair(row)


def get_candidate(session: Session, *, principal: Principal, candidate_id: int) -> Pair:
    """One pair with the evidence of both sides the user may see; the read is audited."""
    require(principal, Action.DEDUP_REVIEW)
    pair = _load(session, principal, candidate_id)
    record_event(session, actor=principal, action="dedup.candidate_read", entity_type="match_candidate",
                 entity_id=candidate_id, details={"people_shown": (pair.a is not None) + (pair.b is not None)})
    return pair


def decide_candidate(session: Session, *, principal: Principal, candidate_id: int, status: CandidateStatus,
                     comment: str | None = None) -> MatchCandidate:
    """Confirm that the two records are one person, or reject the pair as two people."""
    require(principal, Action.DEDUP_REVIEW)
    if status == CandidateStatus.OPEN:
        raise Invalid("a decision confirms or rejects", field="status")
    candidate = _load(session, principal, candidate_id, lock=True).candidate
    if candidate.status != CandidateStatus.OPEN:
        raise Conflict("this pair was already decided", field="candidate_id")
    candidate.status = status
    candidate.decided_by, candidate.decided_at = principal.user_id, utcnow()
    candidate.comment = comment
    candidate.decided_gamma = decision_gamma(session, candidate)
    session.flush()
    record_event(session, actor=principal, action=f"dedup.{'confirm' if status == 'confirmed' else 'reject'}",
                 entity_type="match_candidate", entity_id=candidate.id,
                 details={"person_a": str(candidate.person_a_id), "person_b": str(candidate.person_b_id),
                          "probability": candidate.probability, "model": candidate.model_version,
                          "comment": comment is not None})
    return candidate


def open_pairs_of(session: Session, *, principal: Principal, person_id: uuid.UUID) -> int:
    """How many open pairs involve this person, for the banner on their page."""
    if not principal.may(Action.DEDUP_REVIEW):
        return 0
    query, _, _ = _pairs_query(principal, full=False)
    rows = session.execute(query.where(MatchCandidate.status == CandidateStatus.OPEN, or_(
        MatchCandidate.person_a_id == person_id, MatchCandidate.person_b_id == person_id))).all()
    return len(rows)


def count_open(session: Session, *, principal: Principal) -> int:
    """How many open pairs touching the user's offices wait for review (as the queue lists them)."""
    require(principal, Action.DEDUP_REVIEW)
    a, b = aliased(Person), aliased(Person)
    return session.scalar(
        select(func.count()).select_from(MatchCandidate)
        .join(a, a.id == MatchCandidate.person_a_id).join(b, b.id == MatchCandidate.person_b_id)
        .where(match_pairs_scope(principal, MatchCandidate.person_a_id, MatchCandidate.person_b_id),
               MatchCandidate.status == CandidateStatus.OPEN, a.merged_into_id.is_(None), b.merged_into_id.is_(None))
    ) or 0


def _loaded_person(session: Session, person_id: uuid.UUID) -> Person:
    person = session.scalar(select(Person).where(Person.id == person_id)
                            .options(selectinload(Person.names), selectinload(Person.documents)))
    if person is None:
        raise NotFound("no such person", field="person_id")
    return person


def decision_gamma(session: Session, candidate: MatchCandidate) -> list[int]:
    """The pair's comparison vector as the two records stand now: stored with the decision as its label.

    Stored rather than recomputed when learning: after a merge one record is empty of what moved, and a
    corrected record no longer shows what the supervisor decided on.
    """
    a = _loaded_person(session, candidate.person_a_id)
    b = _loaded_person(session, candidate.person_b_id)
    return list(gamma_of(person_record(a), person_record(b)))


def labelled_patterns(session: Session) -> Counter[tuple[int, ...]]:
    """How many decisions each comparison vector already has: patterns asked about before come back later."""
    rows = session.scalars(select(MatchCandidate.decided_gamma).where(
        MatchCandidate.status != CandidateStatus.OPEN, MatchCandidate.decided_gamma.is_not(None)))
    return Counter(tuple(g) for g in rows if g is not None and len(g) == len(COMPARISONS))


def list_teaching(session: Session, *, principal: Principal, model: MatchModel, limit: int = 50) -> list[Pair]:
    """Open pairs touching the user's offices in the order whose answers teach the engine most.

    See engine/learning.py: select_pairs for the order (uncertain under the active model first, comparison
    patterns varied, patterns already decided asked again only when much more uncertain).
    """
    require(principal, Action.DEDUP_REVIEW)
    if not 1 <= limit <= PAGE_MAX:
        raise Invalid(Message(N_("must be between 1 and %(max)d"), {"max": PAGE_MAX}), field="limit")
    query, a, b = _pairs_query(principal, full=True)
    query = query.where(MatchCandidate.status == CandidateStatus.OPEN, a.merged_into_id.is_(None),
                        b.merged_into_id.is_(None))
    rows = session.execute(query.order_by(MatchCandidate.id.desc()).limit(TEACHING_POOL)).all()
    # Both records are compared whether or not the user may see them: only the order comes out of it.
    pool = [(i, gamma_of(person_record(row[1]), person_record(row[2]))) for i, row in enumerate(rows)]
    order = select_pairs(model, pool, limit=limit, asked=labelled_patterns(session))
    pairs = [_pair(rows[i]) for i in order]
    record_event(session, actor=principal, action="dedup.queue_read", entity_type="match_candidate",
                 details={"status": CandidateStatus.OPEN.value, "order": "teaching", "pairs": len(pairs),
                          "people_shown": sum((p.a is not None) + (p.b is not None) for p in pairs)})
    return pairs
