"""Merging two records of one person into a survivor, and undoing a merge exactly.

A merge moves rows that point at the merged record (its cases, names, documents; referrals when they
exist) to the survivor, adds the merged record's own name to the survivor as an alias, takes over its
household membership and phone where the survivor has none, and marks the merged record as merged. It
deletes nothing. ``person_merges.moved`` records the ids of what moved and what was created, and the
household memberships as they were, so that an unmerge puts back exactly that:

    {"cases": [...], "names": [...], "documents": [...], "names_added": [...], "phone_copied": bool,
     "households": {"survivor": [household_id, relationship], "merged": [household_id, relationship]}}
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, people_scope, person_visible, require
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.db.base import utcnow
from crossroads.dedup.index import index_person
from crossroads.dedup.models import CandidateStatus, MatchCandidate, PersonMerge
from crossroads.dedup.review import decision_gamma
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.text import fold
from crossroads.people.models import IdentityDocument, NameKind, Person, PersonName, Relationship
from crossroads.people.service import refresh_name_index


@dataclass(frozen=True)
class Follower:
    """Rows that belong to a person and follow them into the survivor: id column and person column."""

    name: str
    id_column: InstrumentedAttribute
    person_column: InstrumentedAttribute
    # Extra values set when a row moves, e.g. the optimistic version of a case, so a stale edit fails.
    extra: dict[Any, Any] | None = None


# A new domain whose rows name a person (referrals, for one) adds itself here and its rows then follow
# merges and unmerges with no other change.
FOLLOWERS: tuple[Follower, ...] = (
    Follower("cases", Case.id, Case.person_id, {Case.version: Case.version + 1}),
    Follower("names", PersonName.id, PersonName.person_id),
    Follower("documents", IdentityDocument.id, IdentityDocument.person_id),
)


def _load_people(session: Session, principal: Principal, ids: dict[str, uuid.UUID]) -> dict[str, Person]:
    """Both people, in scope, with names and documents, locked in id order against a concurrent merge."""
    found = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.id.in_(list(ids.values())), people_scope(principal))
            .options(selectinload(Person.names), selectinload(Person.documents))
            .order_by(Person.id).with_for_update(of=Person).execution_options(populate_existing=True)
        )
    }
    for field, person_id in ids.items():
        if person_id not in found:
            raise NotFound("no such person", field=field)
    return {field: found[person_id] for field, person_id in ids.items()}


def _move(session: Session, follower: Follower, ids: list, to: uuid.UUID, from_: uuid.UUID) -> int:
    if not ids:
        return 0
    values: dict[Any, Any] = {follower.person_column: to, **(follower.extra or {})}
    result = session.execute(
        update(follower.id_column.class_).where(follower.id_column.in_(ids), follower.person_column == from_)
        .values(values).execution_options(synchronize_session=False)
    )
    # Session.execute is typed as returning a Result; an UPDATE gives the CursorResult that counts rows.
    return cast(CursorResult[Any], result).rowcount


def _reload(session: Session, *people: Person) -> None:
    session.flush()
    session.scalars(select(Person).where(Person.id.in_([p.id for p in people]))
                    .options(selectinload(Person.names), selectinload(Person.documents))
                    .execution_options(populate_existing=True)).all()


def _matching_candidate(session: Session, candidate_id: int, a: uuid.UUID, b: uuid.UUID) -> MatchCandidate:
    candidate = session.scalar(select(MatchCandidate).where(MatchCandidate.id == candidate_id).with_for_update())
    if candidate is None or {candidate.person_a_id, candidate.person_b_id} != {a, b}:
        raise Invalid("this candidate pair is not the two people being merged", field="candidate_id")
    if candidate.status == CandidateStatus.REJECTED:
        raise Conflict("this pair was rejected as different people", field="candidate_id")
    return candidate


def merge_people(session: Session, *, principal: Principal, survivor_id: uuid.UUID, merged_id: uuid.UUID,
                 candidate_id: int | None = None, comment: str | None = None) -> PersonMerge:
    """Merge one person into another; every moved row is recorded so that the merge can be undone."""
    require(principal, Action.DEDUP_MERGE)
    if survivor_id == merged_id:
        raise Invalid("a person cannot be merged into themselves", field="merged_id")
    # Both records must be visible: whoever merges sees what they combine.
    people = _load_people(session, principal, {"survivor_id": survivor_id, "merged_id": merged_id})
    survivor, merged = people["survivor_id"], people["merged_id"]
    for field, person in people.items():
        if person.merged_into_id is not None:
            raise Conflict("this person is already merged into another record", field=field)
    if survivor.household_id and merged.household_id and survivor.household_id != merged.household_id:
        raise Conflict("the two people belong to different households; move one of them first", field="merged_id")
    candidate = _matching_candidate(session, candidate_id, survivor.id, merged.id) if candidate_id else None
    # The label of a merged pair is how the two records compared before anything moved between them.
    gamma = decision_gamma(session, candidate) if candidate is not None else None

    moved: dict[str, Any] = {
        "households": {
            "survivor": [str(survivor.household_id) if survivor.household_id else None,
                         survivor.household_relationship.value if survivor.household_relationship else None],
            "merged": [str(merged.household_id) if merged.household_id else None,
                       merged.household_relationship.value if merged.household_relationship else None],
        },
    }
    for follower in FOLLOWERS:
        ids = list(session.scalars(select(follower.id_column).where(follower.person_column == merged.id)))
        _move(session, follower, ids, survivor.id, merged.id)
        moved[follower.name] = [str(i) if isinstance(i, uuid.UUID) else i for i in ids]

    known = {fold(f"{survivor.given_name} {survivor.family_name}")} | {fold(n.name) for n in survivor.names}
    known |= {fold(n.name) for n in merged.names}
    full_name = f"{merged.given_name} {merged.family_name}"
    added: list[int] = []
    if fold(full_name) not in known:
        alias = PersonName(person_id=survivor.id, name=full_name, kind=NameKind.PREVIOUS)
        session.add(alias)
        session.flush()
        added.append(alias.id)
    moved["names_added"] = added

    moved["phone_copied"] = bool(merged.phone and not survivor.phone)
    if moved["phone_copied"]:
        survivor.phone = merged.phone
    if merged.household_id and not survivor.household_id:
        survivor.household_id, survivor.household_relationship = merged.household_id, merged.household_relationship
    merged.household_id = merged.household_relationship = None
    merged.merged_into_id = survivor.id

    merge = PersonMerge(survivor_id=survivor.id, merged_id=merged.id, candidate_id=candidate.id if candidate else None,
                        moved=moved, comment=comment, merged_by=principal.user_id)
    session.add(merge)
    if candidate is not None and candidate.status == CandidateStatus.OPEN:
        candidate.status = CandidateStatus.CONFIRMED
        candidate.decided_by, candidate.decided_at = principal.user_id, utcnow()
        candidate.decided_gamma = gamma
    _reindex_and_record(session, principal, merge, survivor, merged, "person.merge")
    return merge


def _reindex_and_record(session: Session, principal: Principal, merge: PersonMerge, survivor: Person,
                        merged: Person, action: str) -> None:
    """Search and blocking keys of both records follow their names; the change and its audit row go together."""
    _reload(session, survivor, merged)
    for person in (survivor, merged):
        refresh_name_index(session, person)
        index_person(session, person)
    session.flush()
    record_event(session, actor=principal, action=action, entity_type="person", entity_id=survivor.id,
                 office_id=survivor.office_id, details=_counts(merge, merged.office_id))


def moved_counts(merge: PersonMerge) -> dict[str, Any]:
    """How many rows of each kind the merge moved or created: what the trail and the API show of it."""
    moved = merge.moved
    return {
        **{f.name: len(moved.get(f.name, [])) for f in FOLLOWERS},
        "names_added": len(moved.get("names_added", [])), "phone_copied": moved.get("phone_copied", False),
        "household_moved": bool(moved["households"]["merged"][0]),
    }


def _counts(merge: PersonMerge, merged_office: uuid.UUID) -> dict[str, Any]:
    return {"merge": merge.id, "survivor": str(merge.survivor_id), "merged": str(merge.merged_id),
            "merged_office": str(merged_office), "candidate": merge.candidate_id, **moved_counts(merge)}


def merges_scope(principal: Principal) -> ColumnElement[bool]:
    """Merges whose two people the user may both see."""
    return person_visible(principal, PersonMerge.survivor_id) & person_visible(principal, PersonMerge.merged_id)


def _as_id(value: str | int) -> uuid.UUID | int:
    return uuid.UUID(value) if isinstance(value, str) else value


def unmerge_people(session: Session, *, principal: Principal, merge_id: int,
                   comment: str | None = None) -> PersonMerge:
    """Undo a merge: the rows that moved go back, the rows it created go, the memberships are restored."""
    require(principal, Action.DEDUP_MERGE)
    merge = session.scalar(select(PersonMerge).where(PersonMerge.id == merge_id, merges_scope(principal))
                           .with_for_update(of=PersonMerge))
    if merge is None:
        raise NotFound("no such merge", field="merge_id")
    if merge.unmerged_at is not None:
        raise Conflict("this merge was already undone", field="merge_id")
    people = _load_people(session, principal, {"survivor_id": merge.survivor_id, "merged_id": merge.merged_id})
    survivor, merged = people["survivor_id"], people["merged_id"]
    if survivor.merged_into_id is not None:
        raise Conflict("the survivor was merged again since; undo that merge first", field="merge_id")
    moved = merge.moved
    for follower in FOLLOWERS:
        _move(session, follower, [_as_id(i) for i in moved.get(follower.name, [])], merged.id, survivor.id)
    if moved.get("names_added"):
        session.execute(delete(PersonName).where(PersonName.id.in_(moved["names_added"]),
                                                 PersonName.person_id == survivor.id))
    if moved.get("phone_copied") and survivor.phone == merged.phone:
        survivor.phone = None
    for person, (household, relationship) in ((survivor, moved["households"]["survivor"]),
                                              (merged, moved["households"]["merged"])):
        person.household_id = uuid.UUID(household) if household else None
        person.household_relationship = Relationship(relationship) if relationship else None
    merged.merged_into_id = None
    merge.unmerged_at, merge.unmerged_by = utcnow(), principal.user_id
    if comment:
        merge.comment = f"{merge.comment}\n{comment}" if merge.comment else comment
    if merge.candidate_id is not None:
        # The merge was a mistake or went the wrong way: the pair goes back to the queue to be decided again.
        session.execute(update(MatchCandidate).where(MatchCandidate.id == merge.candidate_id)
                        .values(status=CandidateStatus.OPEN, decided_by=None, decided_at=None,
                                decided_gamma=None))
    _reindex_and_record(session, principal, merge, survivor, merged, "person.unmerge")
    return merge


def get_merge(session: Session, *, principal: Principal, merge_id: int) -> PersonMerge:
    require(principal, Action.DEDUP_MERGE)
    merge = session.scalar(select(PersonMerge).where(PersonMerge.id == merge_id, merges_scope(principal)))
    if merge is None:
        raise NotFound("no such merge", field="merge_id")
    return merge


def merges_of_person(session: Session, *, principal: Principal, person_id: uuid.UUID) -> list[PersonMerge]:
    """Merges still in force into or out of this person that the user may see (for the person page)."""
    if not principal.may(Action.PERSON_READ):
        return []
    return list(session.scalars(
        select(PersonMerge).where((PersonMerge.survivor_id == person_id) | (PersonMerge.merged_id == person_id),
                                  PersonMerge.unmerged_at.is_(None), person_visible(principal, PersonMerge.survivor_id))
        .order_by(PersonMerge.merged_at.desc())
    ))
