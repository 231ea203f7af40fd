"""Screenings and determinations of a case: recorded, evaluated against the programme's active rule set, read."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Insert, Select, Table, Update, and_, bindparam, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from crossroads.audit.service import record_event
from crossroads.auth.policy import (
    CASES_SCOPE_OFFICES,
    Principal,
    cases_scope,
    cases_scope_bound,
    cases_scope_offices,
    holds_case,
    readable_sensitivities,
    require,
)
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.cases.service import load_case
from crossroads.db.base import utcnow
from crossroads.eligibility import instruments, rulesets
from crossroads.eligibility.inputs import case_inputs, person_inputs
from crossroads.eligibility.models import (
    Appeal,
    Determination,
    Outcome,
    Override,
    OverrideStatus,
    RuleSetStatus,
    RuleSetVersion,
    Screening,
)
from crossroads.eligibility.schemas import ScreeningCreate
from crossroads.kit.errors import Conflict, Invalid, NotFound
from crossroads.kit.i18n import N_
from crossroads.people.models import Person

# Compiled rule sets: a version's source never changes once stored, and compiling it again for every determination
# would cost more than evaluating it. Keyed by the row's id, programme, version and creation time, not the id alone:
# an id can come back (SQLite reuses the highest id after a rolled-back insert; one process may serve a reseeded
# database), and a stale entry would decide with another version's rules.
_CompiledKey = tuple[int, str, str, datetime]
_COMPILED: OrderedDict[_CompiledKey, rulesets.RuleSet] = OrderedDict()
_COMPILED_MAX = 64


def _case(session: Session, principal: Principal, action: Action, case_id: uuid.UUID) -> Case:
    require(principal, action)
    return load_case(session, principal, case_id)


def instrument_of(code: str) -> instruments.Instrument:
    instrument = instruments.default_instruments().get(code)
    if instrument is None:
        raise Invalid(N_("no such screening instrument"), field="instrument")
    return instrument


def _person_inputs(case: Case, on: date) -> dict[str, Any]:
    person = case.person
    return person_inputs(date_of_birth=person.date_of_birth, estimated=person.date_of_birth_estimated,
                         sex=str(person.sex) if person.sex else None, nationality=person.nationality, on=on)


def record_screening(session: Session, *, principal: Principal, case_id: uuid.UUID,
                     data: ScreeningCreate) -> Screening:
    """Record a screening of the case with one of the instruments: its version, answers, score and who screened."""
    case = _case(session, principal, Action.SCREENING_RECORD, case_id)
    instrument = instrument_of(data.instrument)
    # Skip logic may look at the person (a question only for children), as the registry knows them today.
    person = _person_inputs(case, date.today())
    try:
        answers = instruments.validate_answers(instrument, dict(data.answers), person=person)
    except instruments.AnswerError as exc:
        raise Invalid(exc.problem, field=f"answers.{exc.question}") from None
    result = instruments.score(instrument, answers, person=person)
    screening = Screening(
        id=uuid.uuid4(), case_id=case.id, office_id=case.office_id, instrument=instrument.code,
        instrument_version=str(instrument.version), answers=_json_safe(answers),
        sensitivity={q.code: str(q.sensitivity) for q in instrument.questions if q.code in answers},
        score=result.score, findings={code: _json_safe(value) for code, value in result.results.items()},
        screened_by=principal.user_id, screened_at=utcnow(),
    )
    session.add(screening)
    session.flush()
    # Question codes only: an answer can say what was done to the person.
    record_event(session, actor=principal, action="screening.record", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"screening": str(screening.id), "instrument": instrument.code,
                          "version": screening.instrument_version, "questions": sorted(answers)})
    return screening


def visible_answers(principal: Principal, case: Case, screening: Screening) -> tuple[dict[str, Any], int]:
    """The answers whose sensitivity class the user may read, and how many were left out."""
    readable = readable_sensitivities(principal, holder=holds_case(principal, case.assigned_to))
    shown = {q: a for q, a in screening.answers.items() if screening.sensitivity.get(q, "sensitive") in readable}
    return shown, len(screening.answers) - len(shown)


def list_screenings(session: Session, *, principal: Principal, case_id: uuid.UUID,
                    ) -> tuple[Case, list[Screening]]:
    """The case's screenings, newest first; the read is audited."""
    case = _case(session, principal, Action.SCREENING_READ, case_id)
    rows = list(session.scalars(select(Screening).where(Screening.case_id == case.id)
                                .order_by(Screening.screened_at.desc(), Screening.id)))
    record_event(session, actor=principal, action="screening.list", entity_type="case", entity_id=case.id,
                 office_id=case.office_id, details={"screenings": len(rows)})
    return case, rows


def compiled(row: RuleSetVersion) -> rulesets.RuleSet:
    key = (row.id, row.programme, row.version, row.created_at)
    ruleset = _COMPILED.get(key)
    if ruleset is None:
        ruleset = rulesets.load_ruleset(row.source, source=f"{row.programme} {row.version}")
        _COMPILED[key] = ruleset
        if len(_COMPILED) > _COMPILED_MAX:
            _COMPILED.popitem(last=False)
    return ruleset


def _compiled_active(session: Session, key: _CompiledKey) -> rulesets.RuleSet:
    """The rules of the active version with this key; its source is read only when not compiled yet."""
    ruleset = _COMPILED.get(key)
    if ruleset is None:
        row = session.get(RuleSetVersion, key[0])
        assert row is not None
        ruleset = compiled(row)
    return ruleset


def active_rule_set(session: Session, programme: str) -> RuleSetVersion | None:
    return session.scalar(select(RuleSetVersion).where(RuleSetVersion.programme == programme,
                                                       RuleSetVersion.status == RuleSetStatus.ACTIVE))


@cache
def _determination_statement() -> Select[Any]:
    """The case (in the scope given as a parameter), its person, the programme's active rule set and the
    screenings, in one statement: a row per screening, oldest first, or one row with no screening. Built once:
    plain columns in one round trip, where loading the case and person objects and three more queries, and then
    building and keying the statement for each call, cost a determination more than its rules did (issue 16
    asks for 5 ms)."""
    return (
        select(Case.id, Case.office_id, Case.programme, Case.data, Person.date_of_birth,
               Person.date_of_birth_estimated, Person.sex, Person.nationality,
               RuleSetVersion.id, RuleSetVersion.version, RuleSetVersion.created_at,
               Screening.instrument, Screening.answers, Screening.score, Screening.findings)
        .join(Person, Person.id == Case.person_id)
        .outerjoin(RuleSetVersion, and_(RuleSetVersion.programme == Case.programme,
                                        RuleSetVersion.status == RuleSetStatus.ACTIVE))
        .outerjoin(Screening, Screening.case_id == Case.id)
        .where(Case.id == bindparam("case_id"), cases_scope_bound())
        .order_by(Screening.screened_at, Screening.id)
        # Two determinations of one case at once would each supersede only what its own snapshot saw and both
        # stay current (on PostgreSQL; SQLite runs one writer at a time). The second waits here for the first
        # to commit. NO KEY: rows that only reference the case (screenings, tasks) are still written beside it.
        .with_for_update(of=Case, key_share=True)
    )


def _determination_rows(session: Session, principal: Principal, case_id: uuid.UUID) -> list[Any]:
    require(principal, Action.DETERMINATION_RUN)
    return list(session.execute(_determination_statement(), {
        "case_id": case_id, CASES_SCOPE_OFFICES: cases_scope_offices(principal)}).all())


@dataclass(frozen=True)
class CaseForRules:
    """What a determination reads: the case's office and programme, the active rule set, the flat inputs."""
    case_id: uuid.UUID
    office_id: uuid.UUID
    programme: str
    rule_set_id: int
    rule_set_version: str
    rules: rulesets.RuleSet
    inputs: dict[str, Any]


def case_for_rules(session: Session, *, principal: Principal, case_id: uuid.UUID) -> CaseForRules:
    """The case in the user's scope (else 404) with its programme's active rules (else 409) and its inputs."""
    rows = _determination_rows(session, principal, case_id)
    if not rows:
        raise NotFound(N_("no such case"), field="case_id")
    (case_id, office_id, programme, data, born, estimated, sex, nationality,
     row_id, version, created_at) = rows[0][:11]
    if row_id is None:
        raise Conflict(N_("this programme has no active eligibility rule set"), field="programme")
    screenings = [row[11:] for row in rows if row[11] is not None]
    inputs = case_inputs(date_of_birth=born, estimated=estimated, sex=str(sex) if sex else None,
                         nationality=nationality, data=data, screenings=screenings, on=date.today())
    return CaseForRules(case_id, office_id, programme, row_id, version,
                        _compiled_active(session, (row_id, programme, version, created_at)), inputs)


def _determinations_table() -> Table:
    return cast(Table, Determination.__table__)


@cache
def _supersede_statement() -> Update:
    table = _determinations_table()
    return (update(table).where(table.c.case_id == bindparam("of_case"), ~table.c.superseded)
            .values(superseded=True, superseded_at=bindparam("at")))


_NEW = "new_"


@cache
def _replace_statement() -> Insert:
    """PostgreSQL: the supersede UPDATE as a CTE of the INSERT, one round trip instead of two (a round trip with
    psycopg's wait cost a determination 0.3-0.5 ms of issue 16's 5 ms). Both see the statement's snapshot, so the
    UPDATE never touches the row being inserted. The values are bound under their own names: bound under the
    column names, they would become SET clauses of the CTE's UPDATE too."""
    table = _determinations_table()
    return (insert(table).values({c.name: bindparam(_NEW + c.name, type_=c.type) for c in table.c})
            .add_cte(_supersede_statement().cte("superseded")))


def determine(session: Session, *, principal: Principal, case_id: uuid.UUID) -> Determination:
    """Evaluate the programme's active rule set on the case and keep the result with its inputs and trace."""
    found = case_for_rules(session, principal=principal, case_id=case_id)
    evaluation = rulesets.evaluate(found.rules, found.inputs)
    now = utcnow()
    # The earlier determinations stay, marked as replaced, so that an appeal against one still finds it. The
    # writes are Core statements, built once: the ORM's bulk UPDATE with its session synchronisation and the unit
    # of work's INSERT cost a determination about 1 ms of CPU more, a fifth of issue 16's 5 ms.
    values = {
        "id": uuid.uuid4(), "case_id": found.case_id, "office_id": found.office_id, "rule_set_id": found.rule_set_id,
        "inputs": _json_safe(evaluation.inputs_read), "trace": evaluation.to_json(),
        "outcome": Outcome(evaluation.outcome), "priority": evaluation.priority.score,
        "determined_by": principal.user_id, "determined_at": now, "superseded": False, "superseded_at": None,
    }
    superseding = {"of_case": found.case_id, "at": now}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_replace_statement(), superseding | {_NEW + name: value for name, value in values.items()})
    else:
        session.execute(_supersede_statement(), superseding)
        session.execute(insert(_determinations_table()), values)
    for loaded in session.identity_map.values():
        if isinstance(loaded, Determination) and loaded.case_id == found.case_id and not loaded.superseded:
            set_committed_value(loaded, "superseded", True)
            set_committed_value(loaded, "superseded_at", now)
    # The row is written; the object the caller gets is the same row, in the session as if it had been loaded.
    determination = Determination(**values)
    make_transient_to_detached(determination)
    session.add(determination)
    record_event(session, actor=principal, action="determination.run", entity_type="case",
                 entity_id=found.case_id, office_id=found.office_id,
                 details={"determination": str(determination.id), "programme": found.programme,
                          "rule_set": found.rule_set_version, "outcome": determination.outcome.value,
                          "criteria": {c.code: c.status for c in evaluation.criteria}})
    return determination


def _json_safe(values: Any) -> Any:
    if isinstance(values, dict):
        return {str(k): _json_safe(v) for k, v in values.items()}
    if isinstance(values, list | tuple):
        return [_json_safe(v) for v in values]
    if isinstance(values, date):
        return values.isoformat()
    if values is None or isinstance(values, bool | int | float | str):
        return values
    # The language's UNKNOWN (a missing value) is stored as null, like any other missing input.
    return None if values is rulesets.UNKNOWN else str(values)


class CaseDeterminations:
    """A case's determinations, newest first, with their overrides and appeals."""

    def __init__(self, case: Case, determinations: list[Determination], versions: dict[int, str],
                 overrides: dict[uuid.UUID, list[Override]], appeals: dict[uuid.UUID, list[Appeal]]) -> None:
        self.case, self.determinations, self.versions = case, determinations, versions
        self.overrides, self.appeals = overrides, appeals

    def effective_outcome(self, determination: Determination) -> Outcome:
        return effective_outcome(determination, self.overrides.get(determination.id, []))


def effective_outcome(determination: Determination, overrides: list[Override]) -> Outcome:
    """The outcome in force: that of the latest override in force, else the determination's own."""
    in_force = [o for o in overrides if o.status in (OverrideStatus.APPLIED, OverrideStatus.APPROVED)]
    if not in_force:
        return determination.outcome
    return max(in_force, key=lambda o: (o.decided_at or o.requested_at, o.requested_at)).outcome


def list_determinations(session: Session, *, principal: Principal, case_id: uuid.UUID) -> CaseDeterminations:
    """The case's determinations with the rule set version, overrides and appeals of each; the read is audited."""
    case = _case(session, principal, Action.DETERMINATION_READ, case_id)
    determinations = list(session.scalars(select(Determination).where(Determination.case_id == case.id)
                                          .order_by(Determination.determined_at.desc(), Determination.id)))
    ids = [d.id for d in determinations]
    overrides: dict[uuid.UUID, list[Override]] = {}
    appeals: dict[uuid.UUID, list[Appeal]] = {}
    versions: dict[int, str] = {}
    if ids:
        for o in session.scalars(select(Override).where(Override.determination_id.in_(ids))
                                 .order_by(Override.requested_at)):
            overrides.setdefault(o.determination_id, []).append(o)
        for a in session.scalars(select(Appeal).where(Appeal.determination_id.in_(ids)).order_by(Appeal.lodged_at)):
            appeals.setdefault(a.determination_id, []).append(a)
        versions = dict(session.execute(select(RuleSetVersion.id, RuleSetVersion.version).where(
            RuleSetVersion.id.in_({d.rule_set_id for d in determinations}))).all())
    record_event(session, actor=principal, action="determination.list", entity_type="case", entity_id=case.id,
                 office_id=case.office_id, details={"determinations": len(determinations)})
    return CaseDeterminations(case, determinations, versions, overrides, appeals)


def current_determination(session: Session, case_id: uuid.UUID) -> Determination | None:
    return session.scalar(select(Determination).where(Determination.case_id == case_id, ~Determination.superseded)
                          .order_by(Determination.determined_at.desc()).limit(1))


def get_determination(session: Session, principal: Principal, action: Action,
                      determination_id: uuid.UUID) -> tuple[Determination, Case]:
    """A determination of a case in the user's scope, or 404."""
    require(principal, action)
    determination = session.scalar(select(Determination).join(Case, Case.id == Determination.case_id)
                                   .where(Determination.id == determination_id, cases_scope(principal)))
    if determination is None:
        raise NotFound(N_("no such determination"), field="determination_id")
    return determination, load_case(session, principal, determination.case_id)
