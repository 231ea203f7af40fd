"""The online duplicate check: blocking-key lookup, scoring with the active model, and the review queue's intake.

A check costs one statement of per-key index range scans on ``person_match_keys`` (each capped, so a common
name cannot flood it), one query for the few dozen candidates' fields (plus one for their names and documents
together), and pure-Python scoring with the engine's model — whatever the size of the registry.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    Executable,
    TextualSelect,
    Uuid,
    any_,
    bindparam,
    false,
    literal_column,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from crossroads.audit.service import Actor, record_event
from crossroads.auth.policy import Principal, people_scope, require, require_office
from crossroads.auth.roles import Action
from crossroads.db.base import utcnow
from crossroads.dedup.engine.keys import PersonRecord, blocking_keys, features
from crossroads.dedup.engine.model import MatchModel, MatchScore, ModelError, Reason, default_model, probability
from crossroads.dedup.index import person_record, record_from_data
from crossroads.dedup.models import CandidateSource, CandidateStatus, MatchCandidate, MatchModelVersion
from crossroads.dedup.schemas import OTHER_OFFICE, CandidateOut, ReasonOut
from crossroads.people.models import IdentityDocument, Person, PersonName
from crossroads.people.schemas import PersonCreate

# Probability from which a pair is shown at registration and put on the review queue.
THRESHOLD = 0.5
MAX_SHOWN = 10
# Candidates scored per check: those sharing the most keys with the record.
MAX_SCORED = 50
# Rows read per key: a broad key (a common name pair without a year) reads at most this many.
PER_KEY_LIMIT = 200

_log = logging.getLogger(__name__)
_loaded: dict[str, MatchModel] = {}
# Every registration and check reads it; built once, as building it each time cost more than running it.
_ACTIVE_MODEL = (select(MatchModelVersion.version, MatchModelVersion.id).where(MatchModelVersion.active)
                 .order_by(MatchModelVersion.id.desc()).limit(1))


def active_model(session: Session) -> MatchModel:
    """The model marked active in match_models, or the one shipped in the package when none is."""
    row = session.execute(_ACTIVE_MODEL).first()
    if row is None:
        return default_model()
    model = _loaded.get(row.version)
    if model is None:
        parameters = session.scalar(select(MatchModelVersion.parameters).where(MatchModelVersion.id == row.id))
        try:
            model = MatchModel.from_json(parameters)
        except ModelError:
            # A model recorded by an older Crossroads whose comparison levels have changed since cannot score
            # today's gamma vectors; checks go on with the shipped model (its version is what gets recorded)
            # until a model trained for these levels is activated.
            _log.warning("active match model %s does not fit this version's comparisons; using the shipped %s",
                         row.version, default_model().version)
            model = default_model()
        _loaded[row.version] = model
    return model


def model_row(session: Session, model: MatchModel) -> MatchModelVersion:
    """The match_models row of this version, created on first use so every decision names a recorded model."""
    row = session.scalar(select(MatchModelVersion).where(MatchModelVersion.version == model.version))
    if row is None:
        any_active = session.scalar(select(MatchModelVersion.id).where(MatchModelVersion.active).limit(1))
        row = MatchModelVersion(version=model.version, parameters=model.to_json(), active=any_active is None)
        session.add(row)
        session.flush()
    return row


def active_row(session: Session) -> MatchModelVersion:
    """The match_models row online checks score with: recorded on first use when it is the shipped model."""
    row = session.scalar(select(MatchModelVersion).where(MatchModelVersion.active)
                         .order_by(MatchModelVersion.id.desc()).limit(1))
    return row if row is not None else model_row(session, active_model(session))


def make_active(session: Session, row: MatchModelVersion, *, remember: bool = True) -> MatchModelVersion | None:
    """Make this row the active version; returns the one it replaced.

    With ``remember`` the row keeps which version it replaced, the step a rollback undoes; a rollback itself
    does not, so that rolling back twice walks two steps back instead of flipping between two versions.
    """
    previous = session.scalar(select(MatchModelVersion).where(MatchModelVersion.active, MatchModelVersion.id != row.id)
                              .order_by(MatchModelVersion.id.desc()).limit(1))
    session.execute(update(MatchModelVersion).where(MatchModelVersion.id != row.id).values(active=False))
    row.active, row.activated_at = True, utcnow()
    if remember and previous is not None:
        row.replaced_id = previous.id
    session.flush()
    _loaded.pop(row.version, None)
    return previous


def activate_model(session: Session, *, actor: Actor | None, model: MatchModel) -> MatchModelVersion:
    """Record a (trained) model and make it the one online checks and batch runs score with."""
    current = active_row(session)
    row = model_row(session, model)
    if row.id == current.id and row.active:
        # Recorded just now as the first version of all: active already, and nothing before it to go back to.
        row.activated_at = row.activated_at or utcnow()
        session.flush()
        previous = None
    else:
        previous = make_active(session, row)
    record_event(session, actor=actor, action="dedup.model_activate", entity_type="match_model", entity_id=row.id,
                 details={"version": model.version, "replaced": previous.version if previous else None})
    return row


@dataclass(frozen=True)
class Found:
    """A candidate as the check loads it: the fields it scores and shows, and whether the user may see them."""

    id: uuid.UUID
    office_id: uuid.UUID
    given_name: str
    family_name: str
    date_of_birth: date | None
    date_of_birth_estimated: bool
    sex: str
    nationality: str | None
    phone: str | None
    visible: bool
    names: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()

    def record(self) -> PersonRecord:
        return PersonRecord(
            id=str(self.id), given_name=self.given_name, family_name=self.family_name, aliases=self.names,
            date_of_birth=self.date_of_birth.isoformat() if self.date_of_birth else None,
            dob_estimated=self.date_of_birth_estimated, sex=self.sex, nationality=self.nationality,
            documents=self.documents, phones=(self.phone,) if self.phone else ())


@dataclass(frozen=True)
class Scored:
    person: Found
    score: MatchScore

    @property
    def visible(self) -> bool:
        return self.person.visible


@dataclass(frozen=True)
class Lookup:
    keys: int
    retrieved: int
    scored: list[Scored] = field(default_factory=list)


@lru_cache(maxsize=128)
def _lookup_sql(n: int) -> TextualSelect:
    # One statement of n index range scans, each capped. Written as text and cached per key count because
    # building and cache-keying the same union through the ORM cost more than running it (profiled: ~7 ms).
    # Only the loop index is interpolated; every value is a bound parameter.
    parts = [f'SELECT person_id FROM (SELECT person_id FROM person_match_keys WHERE "key" = :k{i} LIMIT :cap) '  # noqa: S608
             f"AS s{i}" for i in range(n)]
    return text(" UNION ALL ".join(parts)).columns(person_id=Uuid())


# On PostgreSQL the keys go in one array parameter, each looked up by the same capped index scan (LATERAL).
# One statement text whatever the number of keys, so psycopg converts and prepares it once and the server
# plans it once; the union above, one text per key count and often over psycopg's 50-parameter cache limit,
# was split by psycopg on every call and planned by the server on every call (0.7 ms each, measured).
_LOOKUP_PG = text(
    'SELECT s.person_id FROM unnest(CAST(:keys AS varchar[])) AS k("key") '
    'CROSS JOIN LATERAL (SELECT person_id FROM person_match_keys WHERE "key" = k."key" LIMIT :cap) AS s'
).columns(person_id=Uuid())


def candidate_ids(session: Session, keys: set[str], *, limit: int = MAX_SCORED) -> tuple[list[uuid.UUID], int]:
    """People sharing the most blocking keys with a record, and how many distinct people shared any."""
    if not keys:
        return [], 0
    ordered = sorted(keys)
    if session.get_bind().dialect.name == "postgresql":
        rows = session.scalars(_LOOKUP_PG, {"keys": ordered, "cap": PER_KEY_LIMIT})
    else:
        params = {f"k{i}": k for i, k in enumerate(ordered)} | {"cap": PER_KEY_LIMIT}
        rows = session.scalars(_lookup_sql(len(keys)), params)
    shared = Counter(rows)
    return [pid for pid, _ in shared.most_common(limit)], len(shared)


_FOUND_COLUMNS = (Person.id, Person.office_id, Person.given_name, Person.family_name, Person.date_of_birth,
                  Person.date_of_birth_estimated, Person.sex, Person.nationality, Person.phone)


@dataclass(frozen=True)
class _FoundStatements:
    hidden: Executable
    names_and_documents: Executable


@lru_cache(maxsize=4)
def _found_statements(dialect: str) -> _FoundStatements:
    """The candidate queries of the check after a registration, built once per dialect.

    Building and cache-keying selects over a list of ids on every check cost more than running them. On
    PostgreSQL the ids go in one array (`= ANY`), so the text is the same for any number of candidates and is
    prepared once; elsewhere an expanding IN. The check after a registration has no user to show candidates
    to, so it needs no scope.
    """
    if dialect == "postgresql":
        ids = bindparam("ids", type_=ARRAY(Uuid()))

        def among(column: Any) -> ColumnElement[bool]:
            return column == any_(ids)
    else:
        expanding: BindParameter[Any] = bindparam("ids", expanding=True)

        def among(column: Any) -> ColumnElement[bool]:
            return column.in_(expanding)

    return _FoundStatements(
        hidden=select(*_FOUND_COLUMNS, false().label("visible")).where(among(Person.id),
                                                                       Person.merged_into_id.is_(None)),
        # The candidates' other names and document numbers in one statement: kind 0 is a name, 1 a document.
        names_and_documents=union_all(
            select(PersonName.person_id, PersonName.name.label("value"), literal_column("0").label("kind"),
                   PersonName.id).where(among(PersonName.person_id)),
            select(IdentityDocument.person_id, IdentityDocument.number, literal_column("1"), IdentityDocument.id)
            .where(among(IdentityDocument.person_id)),
        ).order_by("kind", "id"),
    )


def load_found(session: Session, principal: Principal | None, ids: list[uuid.UUID]) -> list[Found]:
    """The candidates' fields in one query, their other names and documents in one more."""
    # Out-of-scope people are loaded to be scored, never returned: callers show only `visible` ones.
    statements = _found_statements(session.get_bind().dialect.name)
    if principal is None:
        rows = session.execute(statements.hidden, {"ids": ids}).all()
    else:
        rows = session.execute(select(*_FOUND_COLUMNS, people_scope(principal).label("visible"))
                               .where(Person.id.in_(ids), Person.merged_into_id.is_(None))).all()
    if not rows:
        return []
    names: dict[uuid.UUID, list[str]] = {}
    documents: dict[uuid.UUID, list[str]] = {}
    for person_id, value, kind, _ in session.execute(statements.names_and_documents,
                                                        {"ids": [r.id for r in rows]}):
        (documents if kind else names).setdefault(person_id, []).append(value)
    return [Found(id=r.id, office_id=r.office_id, given_name=r.given_name, family_name=r.family_name,
                  date_of_birth=r.date_of_birth, date_of_birth_estimated=r.date_of_birth_estimated,
                  sex=str(r.sex.value), nationality=r.nationality, phone=r.phone, visible=bool(r.visible),
                  names=tuple(names.get(r.id, ())), documents=tuple(documents.get(r.id, ()))) for r in rows]


def score_record(session: Session, principal: Principal | None, record: PersonRecord, model: MatchModel, *,
                 exclude: uuid.UUID | None = None) -> Lookup:
    """Score the record against the people it shares blocking keys with, best first, above THRESHOLD."""
    keys = blocking_keys(record)
    ids, retrieved = candidate_ids(session, keys, limit=MAX_SCORED + (exclude is not None))
    if exclude is not None:
        ids = [i for i in ids if i != exclude][:MAX_SCORED]
    if not ids:
        return Lookup(keys=len(keys), retrieved=retrieved)
    query = features(record)
    scored = []
    for p in load_found(session, principal, ids):
        other = features(p.record())
        # Most candidates fall below the threshold: their weight alone says so, without building the reasons.
        if probability(model.match_weight(query, other)) >= THRESHOLD:
            scored.append(Scored(p, model.score(query, other)))
    scored.sort(key=lambda s: (-s.score.match_weight, str(s.person.id)))
    return Lookup(keys=len(keys), retrieved=retrieved, scored=scored)


@dataclass(frozen=True)
class CheckResult:
    candidates: list[CandidateOut]
    model_version: str

    @property
    def hidden(self) -> int:
        return sum(not c.visible for c in self.candidates)


def _candidate(s: Scored) -> CandidateOut:
    if not s.visible:
        return CandidateOut(visible=False, message=OTHER_OFFICE)
    p = s.person
    return CandidateOut(
        visible=True, probability=round(s.score.probability, 4), match_weight=round(s.score.match_weight, 2),
        person_id=p.id, given_name=p.given_name, family_name=p.family_name, date_of_birth=p.date_of_birth,
        sex=p.sex, nationality=p.nationality, office_id=p.office_id, reasons=_reasons(s.score.reasons))


def check_duplicates(session: Session, *, principal: Principal, data: PersonCreate) -> CheckResult:
    """Likely duplicates of a person about to be registered, anywhere in the registry; audited by counts."""
    require(principal, Action.DEDUP_CHECK)
    if data.office_id is not None:
        require_office(principal, Action.DEDUP_CHECK, data.office_id)
    return find_candidates(session, principal=principal, record=record_from_data(data))


def find_candidates(session: Session, *, principal: Principal, record: PersonRecord,
                    exclude: uuid.UUID | None = None) -> CheckResult:
    """Top candidates for a record; those outside the user's scope are reduced to a signal without data."""
    model = active_model(session)
    lookup = score_record(session, principal, record, model, exclude=exclude)
    shown = lookup.scored[:MAX_SHOWN]
    result = CheckResult(candidates=[_candidate(s) for s in shown], model_version=model.version)
    # Which people matched is not recorded here: the trail says that a check ran and what it found, in counts.
    record_event(session, actor=principal, action="dedup.check", entity_type="person", details={
        "keys": lookup.keys, "retrieved": lookup.retrieved, "candidates": len(shown), "hidden": result.hidden,
        "model": model.version})
    return result


def _pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if str(a) < str(b) else (b, a)


def _reasons(reasons: list[Reason]) -> list[ReasonOut]:
    return [ReasonOut(field=r.field, level=r.level_label, agreed=r.agreed, weight=r.weight) for r in reasons]


def _reasons_json(reasons: list[Reason]) -> list[dict]:
    return [r.model_dump() for r in _reasons(reasons)]


def queue_pairs(session: Session, pairs: list[tuple[uuid.UUID, uuid.UUID, MatchScore]], *, model: MatchModel,
                source: CandidateSource, registration_reason: str | None = None) -> tuple[int, int]:
    """Put pairs on the review queue; an open pair gets the newer score, a decided pair is left as decided.

    Returns (added, updated). Idempotent: the same pairs queued twice change nothing the second time.
    """
    if not pairs:
        return 0, 0
    model_row(session, model)
    wanted = {_pair(a, b): score for a, b, score in pairs}
    firsts = sorted({a for a, _ in wanted}, key=str)
    existing = {
        (c.person_a_id, c.person_b_id): c
        for c in session.scalars(select(MatchCandidate).where(MatchCandidate.person_a_id.in_(firsts)))
        if (c.person_a_id, c.person_b_id) in wanted
    }
    added = updated = 0
    for (a, b), score in wanted.items():
        probability, weight = round(score.probability, 6), round(score.match_weight, 4)
        current = existing.get((a, b))
        if current is None:
            session.add(MatchCandidate(person_a_id=a, person_b_id=b, probability=probability, match_weight=weight,
                                       reasons=_reasons_json(score.reasons), model_version=model.version,
                                       source=source, status=CandidateStatus.OPEN,
                                       registration_reason=registration_reason))
            added += 1
        elif current.status == CandidateStatus.OPEN and (current.model_version, current.match_weight) != (
                model.version, weight):
            current.probability, current.match_weight = probability, weight
            current.reasons, current.model_version = _reasons_json(score.reasons), model.version
            updated += 1
    session.flush()
    return added, updated


def queue_duplicates_of(session: Session, *, actor: Principal, person: Person,
                        registration_reason: str | None = None) -> int:
    """After a registration: queue the new person's likely duplicates for a supervisor, wherever they are.

    The caseworker saw the visible ones and registered anyway (saying why: `registration_reason`, kept with
    each pair for the supervisor), and could not see the others; either way a supervisor decides. Names and
    documents of `person` must be loaded.
    """
    model = active_model(session)
    lookup = score_record(session, None, person_record(person), model, exclude=person.id)
    added, _ = queue_pairs(session, [(person.id, s.person.id, s.score) for s in lookup.scored], model=model,
                           source=CandidateSource.ONLINE, registration_reason=registration_reason)
    if added or registration_reason is not None:
        # The reason is free text and stays in the queue; the trail records that one was given.
        details: dict[str, Any] = {"pairs": added, "model": model.version}
        if registration_reason is not None:
            details["registered_anyway"] = True
        record_event(session, actor=actor, action="dedup.queue", entity_type="person", entity_id=person.id,
                     office_id=person.office_id, details=details)
    return added
