"""Screening instruments as versioned configuration: questions, answer types, skip logic, scoring.

The shipped instruments live in `instruments/*.yaml`, one file per instrument, so that a change to a question
is a reviewed change to a file with a new version, and a screening records which version it used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from crossroads.eligibility.files import FileError, Map, Seq, check_keys, line_of, read_yaml
from crossroads.eligibility.language import (
    BOOL,
    DATE,
    NUMBER,
    TEXT,
    UNKNOWN,
    Compiled,
    RefType,
    RuleError,
    compile_expression,
)
from crossroads.kit.i18n import N_, Message
from crossroads.programmes.config import Sensitivity

ANSWER_TYPES = ("yes_no", "choice", "number", "date", "text")
_KIND = {"yes_no": BOOL, "choice": TEXT, "number": NUMBER, "date": DATE, "text": TEXT}
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT = 2000

# A person's own fields a skip rule may look at (a pregnancy question only for women, a child's questions
# only below eighteen). Their values come from the registry, not from the screening.
PERSON_REFS: dict[str, RefType] = {
    "person.age": RefType(NUMBER),
    # Mirrors people.models.Sex without its "unknown", which reaches the rules as a missing value.
    "person.sex": RefType(TEXT, frozenset({"female", "male", "other"})),
    "person.nationality": RefType(TEXT),
    "person.date_of_birth": RefType(DATE),
    "person.date_of_birth_estimated": RefType(BOOL),
    "today": RefType(DATE),
}


class AnswerError(ValueError):
    """An answer that cannot be recorded, naming the question; the problem is said in the reader's language."""

    def __init__(self, question: str, problem: Message) -> None:
        super().__init__(f"{question}: {problem}")
        self.question, self.problem = question, problem


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    points: int = 0


@dataclass(frozen=True)
class Question:
    code: str
    label: str
    type: str
    sensitivity: Sensitivity
    choices: tuple[Choice, ...] = ()
    show_if: Compiled | None = None
    points: int = 0  # for a yes/no question, what a "yes" adds to the score
    help: str | None = None

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


@dataclass(frozen=True)
class Result:
    """A finding derived from the answers, such as "disability identified", for rules to refer to."""

    code: str
    label: str
    expression: Compiled


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    title: str
    description: str
    source: str  # the recognised tool it follows
    questions: tuple[Question, ...]
    results: tuple[Result, ...] = ()
    questions_by_code: dict[str, Question] = field(default_factory=dict, repr=False, compare=False)

    def question(self, code: str) -> Question | None:
        return self.questions_by_code.get(code)

    def prefix(self) -> str:
        return f"screening.{self.code}."

    def paths(self) -> dict[str, RefType]:
        """The input paths a screening with this instrument gives the rules."""
        out = {self.prefix() + q.code: _ref_type(q) for q in self.questions}
        out[self.prefix() + "score"] = RefType(NUMBER)
        for r in self.results:
            out[self.prefix() + r.code] = RefType(r.expression.kind)
        return out


@dataclass(frozen=True)
class ScoreResult:
    score: int
    results: dict[str, Any]  # result code -> value, UNKNOWN when the answers cannot tell
    parts: list[tuple[str, int]]  # question code and the points its answer gave


def _ref_type(q: Question) -> RefType:
    return RefType(_KIND[q.type], frozenset(c.value for c in q.choices) if q.type == "choice" else None)


# --- loading --------------------------------------------------------------------------------------------------

def _text(m: Map, key: str, source: str, *, required: bool = True) -> str | None:
    value = m.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise FileError(source, line_of(m, key), f"{key!r} must be a non-empty text")
    return value


def _code(m: Map, key: str, source: str) -> str:
    value = _text(m, key, source)
    assert value is not None
    if not _CODE.match(value):
        raise FileError(source, line_of(m, key), f"{key!r} must be lower-case letters, digits and _, not {value!r}")
    return value


def compile_at(m: Map, key: str, source: str, refs: Mapping[str, RefType], kind: str | None = BOOL) -> Compiled:
    """Compile the expression under `key`, errors placed at their line and column in the file."""
    text = m.get(key)
    if not isinstance(text, str):
        raise FileError(source, line_of(m, key), f"{key!r} must be an expression written as text")
    text = m.raw.get(key, text)
    where = m.at[key]
    try:
        return compile_expression(text, refs=refs, line=where.line, column=where.column, kind=kind)
    except RuleError as exc:
        raise FileError(source, exc.line, f"column {exc.column}: {exc.problem}") from None


def _question(m: Any, source: str, line: int, refs: dict[str, RefType], prefix: str) -> Question:
    if not isinstance(m, Map):
        raise FileError(source, line, "a question must be a mapping with code, label and type")
    check_keys(m, {"code", "label", "type", "choices", "show_if", "sensitivity", "points", "help"}, source)
    code = _code(m, "code", source)
    type_ = m.get("type")
    if type_ not in ANSWER_TYPES:
        raise FileError(source, line_of(m, "type"), f"type must be one of {', '.join(ANSWER_TYPES)}, not {type_!r}")
    sensitivity = m.get("sensitivity", "sensitive")
    if sensitivity not in {s.value for s in Sensitivity}:
        raise FileError(source, line_of(m, "sensitivity"),
                        f"sensitivity must be one of {', '.join(s.value for s in Sensitivity)}, not {sensitivity!r}")
    choices: list[Choice] = []
    raw = m.get("choices")
    if type_ == "choice":
        if not isinstance(raw, Seq) or not raw:
            raise FileError(source, line_of(m, "choices"), "a choice question needs a list of choices")
        for i, c in enumerate(raw):
            if not isinstance(c, Map):
                raise FileError(source, line_of(raw, i), "a choice must be a mapping with value and label")
            check_keys(c, {"value", "label", "points"}, source)
            points = c.get("points", 0)
            if not isinstance(points, int) or isinstance(points, bool):
                raise FileError(source, line_of(c, "points"), "points must be a whole number")
            choices.append(Choice(_code(c, "value", source), _text(c, "label", source) or "", points))
    elif raw is not None:
        raise FileError(source, line_of(m, "choices"), f"only a choice question has choices, not a {type_} one")
    points = m.get("points", 0)
    if not isinstance(points, int) or isinstance(points, bool):
        raise FileError(source, line_of(m, "points"), "points must be a whole number")
    if points and type_ != "yes_no":
        raise FileError(source, line_of(m, "points"), "only a yes/no question has points; a choice has them per choice")
    show_if = compile_at(m, "show_if", source, refs) if "show_if" in m else None
    return Question(code=code, label=_text(m, "label", source) or "", type=type_,
                    sensitivity=Sensitivity(sensitivity), choices=tuple(choices), show_if=show_if, points=points,
                    help=_text(m, "help", source, required=False))


def load_instrument(text: str, *, source: str) -> Instrument:
    """Read an instrument file, refusing it with the line and the problem when it is not right."""
    doc = read_yaml(text, source=source)
    if not isinstance(doc, Map):
        raise FileError(source, 1, "an instrument file is a mapping with code, version, title and questions")
    check_keys(doc, {"code", "version", "title", "description", "source", "questions", "results"}, source)
    code = _code(doc, "code", source)
    version = doc.get("version")
    if not isinstance(version, str | int | float) or isinstance(version, bool) or not str(version).strip():
        raise FileError(source, line_of(doc, "version"), "'version' must be given, for example \"2026.1\"")
    raw = doc.get("questions")
    if not isinstance(raw, Seq) or not raw:
        raise FileError(source, line_of(doc, "questions"), "'questions' must be a non-empty list")
    prefix = f"screening.{code}."
    # A skip rule may look at the person and at questions asked before it, never after: answers come in order.
    refs: dict[str, RefType] = dict(PERSON_REFS)
    questions: list[Question] = []
    for i, item in enumerate(raw):
        q = _question(item, source, line_of(raw, i), refs, prefix)
        if prefix + q.code in refs or q.code in ("score",):
            raise FileError(source, line_of(raw, i), f"question {q.code!r} is given twice or uses a reserved name")
        questions.append(q)
        refs[prefix + q.code] = _ref_type(q)
    refs[prefix + "score"] = RefType(NUMBER)
    results: list[Result] = []
    for item in doc.get("results") or Seq():
        if not isinstance(item, Map):
            raise FileError(source, line_of(doc, "results"), "a result must be a mapping with code, label, expression")
        check_keys(item, {"code", "label", "expression"}, source)
        rcode = _code(item, "code", source)
        if prefix + rcode in refs:
            raise FileError(source, line_of(item, "code"),
                            f"result {rcode!r} has the name of a question or another result")
        expr = compile_at(item, "expression", source, refs, kind=None)
        results.append(Result(rcode, _text(item, "label", source) or "", expr))
        refs[prefix + rcode] = RefType(expr.kind)
    return Instrument(code=code, version=str(version), title=_text(doc, "title", source) or "",
                      description=_text(doc, "description", source, required=False) or "",
                      source=_text(doc, "source", source, required=False) or "", questions=tuple(questions),
                      results=tuple(results), questions_by_code={q.code: q for q in questions})


@cache
def default_instruments() -> dict[str, Instrument]:
    """The shipped instruments by code."""
    out: dict[str, Instrument] = {}
    for entry in sorted(resources.files("crossroads.eligibility").joinpath("instruments").iterdir(),
                        key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            inst = load_instrument(entry.read_text(encoding="utf-8"), source=f"instruments/{entry.name}")
            out[inst.code] = inst
    return out


# --- answers ----------------------------------------------------------------------------------------------------

def _coerce(q: Question, value: Any) -> Any:
    if q.type == "yes_no":
        if value is True or value is False:
            return value
        if value in ("yes", "no"):
            return value == "yes"
        raise AnswerError(q.code, Message(N_("must be yes or no")))
    if q.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise AnswerError(q.code, Message(N_("must be a number")))
        try:
            number = float(value) if isinstance(value, str) else value
        except ValueError:
            raise AnswerError(q.code, Message(N_("must be a number"))) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise AnswerError(q.code, Message(N_("must be a number")))
        return int(number) if float(number).is_integer() else number
    if q.type == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise AnswerError(q.code, Message(N_("must be a date like %(example)s"),
                                              {"example": "2026-01-31"})) from None
    if not isinstance(value, str):
        raise AnswerError(q.code, Message(N_("must be a text")))
    if q.type == "choice":
        if q.choice(value) is None:
            raise AnswerError(q.code, Message(N_("must be one of %(choices)s"),
                                              {"choices": [c.value for c in q.choices]}))
        return value
    if len(value) > MAX_TEXT:
        raise AnswerError(q.code, Message(N_("must be at most %(max)s characters"), {"max": MAX_TEXT}))
    return value


def validate_answers(instrument: Instrument, answers: Mapping[str, Any], *,
                     person: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The answers, typed; refuses an unknown question, a wrong type, or an answer to a question that is skipped.

    Unanswered questions are allowed: a screening may stop when the person does not want to go on, and the rules
    then read those answers as unknown. An empty answer (None or "") counts as unanswered.
    """
    for code in answers:
        if instrument.question(code) is None:
            raise AnswerError(code, Message(N_("is not a question of %(instrument)s"), {"instrument": instrument.code}))
    typed: dict[str, Any] = {}
    inputs: dict[str, Any] = dict(person or {})
    prefix = instrument.prefix()
    for q in instrument.questions:
        value = answers.get(q.code)
        if value is None or value == "":
            continue
        if q.show_if is not None and q.show_if(inputs) is not True:
            raise AnswerError(q.code, Message(N_("is skipped for this person by the answers before it, "
                                                 "so it takes no answer")))
        typed[q.code] = _coerce(q, value)
        inputs[prefix + q.code] = typed[q.code]
    return typed


def score(instrument: Instrument, answers: Mapping[str, Any], *,
          person: Mapping[str, Any] | None = None) -> ScoreResult:
    """Points from the answers and the instrument's findings, for answers that `validate_answers` accepted."""
    total, parts = 0, []
    for q in instrument.questions:
        value = answers.get(q.code)
        points = 0
        if q.type == "yes_no" and value is True:
            points = q.points
        elif q.type == "choice" and isinstance(value, str) and (c := q.choice(value)) is not None:
            points = c.points
        if points:
            total += points
            parts.append((q.code, points))
    inputs = {**(person or {}), **{instrument.prefix() + k: v for k, v in answers.items()},
              instrument.prefix() + "score": total}
    results = {}
    for r in instrument.results:
        results[r.code] = r.expression(inputs)
        inputs[instrument.prefix() + r.code] = None if results[r.code] is UNKNOWN else results[r.code]
    return ScoreResult(score=total, results=results, parts=parts)


def screening_inputs(instrument: Instrument, answers: Mapping[str, Any], *,
                     person: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The flat input paths one screening gives the rules: its answers, its score and its findings."""
    result = score(instrument, answers, person=person)
    prefix = instrument.prefix()
    out: dict[str, Any] = {prefix + q.code: answers.get(q.code) for q in instrument.questions}
    out[prefix + "score"] = result.score
    for code, value in result.results.items():
        out[prefix + code] = None if value is UNKNOWN else value
    return out
