"""Eligibility rule sets: per programme, versioned files of criteria, priority points and test personas.

A rule set is read from `rules/<programme>.yaml`. Every criterion carries three plain-language messages (met,
not met, unknown) that a caseworker can read to the person; they are msgids, translated where they are shown,
with the values the criterion read as parameters (`%(country_of_return)s`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from crossroads.eligibility.files import FileError, Map, Seq, check_keys, line_of, read_yaml
from crossroads.eligibility.instruments import PERSON_REFS, Instrument, compile_at, default_instruments
from crossroads.eligibility.language import BOOL, DATE, LIST, NUMBER, TEXT, UNKNOWN, Compiled, RefType
from crossroads.kit.i18n import N_, Message
from crossroads.programmes.defaults import DEFAULT_CONFIGS

ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED = "eligible", "not_eligible", "undetermined"
OUTCOMES = (ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED)
MET, NOT_MET, UNKNOWN_STATUS = "met", "not_met", "unknown"
OUTCOME_LABELS = {ELIGIBLE: N_("Eligible"), NOT_ELIGIBLE: N_("Not eligible"), UNDETERMINED: N_("Undetermined")}
STATUS_LABELS = {MET: N_("Met"), NOT_MET: N_("Not met"), UNKNOWN_STATUS: N_("Unknown")}
# The one outcome policy so far; named in the file so that another can be added without changing old files.
POLICY_ALL_REQUIRED = "all_required"

RuleFileError = FileError

_FIELD_KINDS = {"text": TEXT, "long_text": TEXT, "integer": NUMBER, "number": NUMBER, "date": DATE,
                "boolean": BOOL, "choice": TEXT, "multi_choice": LIST}
_KIND_NAMES = {BOOL: "true or false", NUMBER: "a number", TEXT: "a text", DATE: "a date like 2026-01-31",
               LIST: "a list of texts"}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def input_paths(programme_config: Mapping[str, Any], instruments: Iterable[Instrument]) -> dict[str, RefType]:
    """Every input path a rule of this programme may read: the person, the case's fields, the screenings."""
    refs: dict[str, RefType] = dict(PERSON_REFS)
    for f in programme_config.get("fields", []):
        choices = f.get("choices")
        refs["case." + f["name"]] = RefType(_FIELD_KINDS[str(f["type"])],
                                            frozenset(c["value"] for c in choices) if choices else None)
    for inst in instruments:
        refs.update(inst.paths())
    return refs


@dataclass(frozen=True)
class Criterion:
    code: str
    required: bool
    expression: Compiled
    met: str
    not_met: str
    unknown: str
    line: int


@dataclass(frozen=True)
class PriorityComponent:
    code: str
    points: int
    expression: Compiled
    message: str
    line: int


@dataclass(frozen=True)
class Persona:
    name: str
    inputs: dict[str, Any]
    expected: str
    priority: int | None
    line: int


@dataclass(frozen=True)
class RuleSet:
    programme: str
    version: str
    title: str
    policy: str
    criteria: tuple[Criterion, ...]
    priority: tuple[PriorityComponent, ...]
    personas: tuple[Persona, ...]
    source: str
    paths: Mapping[str, RefType] = field(default_factory=dict, repr=False, compare=False)
    runs: tuple[Callable[[Mapping[str, Any]], Any], ...] = field(init=False, repr=False, compare=False)
    required: tuple[bool, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "runs", tuple(c.expression.run for c in self.criteria))
        object.__setattr__(self, "required", tuple(c.required for c in self.criteria))

    def refs(self) -> tuple[str, ...]:
        """Every input path some criterion or priority component reads, in order of first use."""
        seen: dict[str, None] = {}
        for expr in [c.expression for c in self.criteria] + [p.expression for p in self.priority]:
            seen.update(dict.fromkeys(expr.refs))
        return tuple(seen)


@dataclass(frozen=True)
class CriterionResult:
    code: str
    status: str
    reason: Message
    inputs_read: dict[str, Any]
    required: bool = True


@dataclass(frozen=True)
class PriorityResult:
    score: int
    parts: list[tuple[str, int, Message]]


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def _message_json(m: Message) -> dict[str, Any]:
    return {"msgid": m.msgid, "params": {k: _jsonable(v) for k, v in m.params.items()}}


def _message_from(d: Mapping[str, Any]) -> Message:
    return Message(d["msgid"], dict(d.get("params") or {}))


@dataclass(frozen=True)
class Evaluation:
    programme: str
    version: str
    outcome: str
    criteria: list[CriterionResult]
    priority: PriorityResult
    inputs_read: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The determination's trace as plain JSON (dates as ISO texts), to be stored with it."""
        return {
            "programme": self.programme, "version": self.version, "outcome": self.outcome,
            "criteria": [{"code": c.code, "status": c.status, "required": c.required,
                          "reason": _message_json(c.reason),
                          "inputs_read": {k: _jsonable(v) for k, v in c.inputs_read.items()}}
                         for c in self.criteria],
            "priority": {"score": self.priority.score,
                         "parts": [{"code": code, "points": points, "reason": _message_json(m)}
                                   for code, points, m in self.priority.parts]},
            "inputs_read": {k: _jsonable(v) for k, v in self.inputs_read.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evaluation:
        return cls(
            programme=data["programme"], version=data["version"], outcome=data["outcome"],
            criteria=[CriterionResult(code=c["code"], status=c["status"], required=c.get("required", True),
                                      reason=_message_from(c["reason"]), inputs_read=dict(c["inputs_read"]))
                      for c in data["criteria"]],
            priority=PriorityResult(score=data["priority"]["score"],
                                    parts=[(p["code"], p["points"], _message_from(p["reason"]))
                                           for p in data["priority"]["parts"]]),
            inputs_read=dict(data["inputs_read"]),
        )


# --- loading --------------------------------------------------------------------------------------------------

def _param_names(path: str) -> str:
    # The last part of a path names its value in a message: `case.country_of_return` -> `country_of_return`.
    return path.rsplit(".", 1)[-1]


def _message(m: Map, key: str, source: str, params: set[str]) -> str:
    text = m.get(key)
    if not isinstance(text, str) or not text.strip():
        raise FileError(source, line_of(m, key), f"{key!r} must be a plain-language message")
    for name in _PLACEHOLDER.findall(text):
        if name not in params:
            raise FileError(source, line_of(m, key),
                            f"%({name})s in {key!r} is not a value this rule reads; it reads: "
                            f"{', '.join(sorted(params)) or 'nothing'}")
    stray = _PLACEHOLDER.sub("", text.replace("%%", ""))
    if "%" in stray:
        raise FileError(source, line_of(m, key), f"{key!r} has a stray %: write %% for a percent sign")
    return text


def _code(m: Map, source: str, seen: set[str], what: str) -> str:
    code = m.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise FileError(source, line_of(m, "code"), f"a {what} needs a code of lower-case letters, digits and _")
    if code in seen:
        raise FileError(source, line_of(m, "code"), f"{what} {code!r} is given twice")
    seen.add(code)
    return code


class InputError(ValueError):
    """An input that a rule set cannot read, naming its path."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


def _typed_value(path: str, value: Any, ref: RefType) -> Any:
    if value is None:
        return None
    kind = ref.kind
    ok = {
        BOOL: isinstance(value, bool),
        NUMBER: isinstance(value, int | float) and not isinstance(value, bool),
        TEXT: isinstance(value, str),
        DATE: isinstance(value, date) or (isinstance(value, str) and _is_date(value)),
        LIST: isinstance(value, list) and all(isinstance(v, str) for v in value),
    }[kind]
    if not ok:
        raise InputError(path, f"must be {_KIND_NAMES[kind]}, not {value!r}")
    choices = ref.choices
    if choices is not None:
        for v in value if isinstance(value, list) else [value]:
            if v not in choices:
                raise InputError(path, f"{v!r} is not one of {', '.join(sorted(choices))}")
    if kind == DATE and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def check_inputs(ruleset: RuleSet, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs given by hand (a persona, `rules explain`), typed; refuses an unknown path or a wrong type."""
    out: dict[str, Any] = {}
    for path, value in inputs.items():
        ref = ruleset.paths.get(path)
        if ref is None:
            raise InputError(path, "is not an input this programme's rules know")
        out[path] = _typed_value(path, value, ref)
    return out


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def load_ruleset(text: str, *, source: str, programme_config: Mapping[str, Any] | None = None,
                 instruments: Mapping[str, Instrument] | None = None) -> RuleSet:
    """Read a rule set file; a syntax, reference or type error is refused with its line and the problem.

    The programme's fields come from `programme_config` or, when not given, from its shipped configuration.
    """
    doc = read_yaml(text, source=source)
    if not isinstance(doc, Map):
        raise FileError(source, 1, "a rule set file is a mapping with programme, version and criteria")
    check_keys(doc, {"programme", "version", "title", "policy", "criteria", "priority", "personas"}, source)
    programme = doc.get("programme")
    config = programme_config if programme_config is not None else DEFAULT_CONFIGS.get(str(programme))
    if not isinstance(programme, str) or config is None:
        raise FileError(source, line_of(doc, "programme"),
                        f"programme must be the code of a programme: {', '.join(DEFAULT_CONFIGS)}")
    version = doc.get("version")
    if not isinstance(version, str | int | float) or isinstance(version, bool) or not str(version).strip():
        raise FileError(source, line_of(doc, "version"), "'version' must be given, for example \"2026.1\"")
    policy = doc.get("policy", POLICY_ALL_REQUIRED)
    if policy != POLICY_ALL_REQUIRED:
        raise FileError(source, line_of(doc, "policy"), f"policy must be {POLICY_ALL_REQUIRED!r}")
    refs = input_paths(config, (instruments if instruments is not None else default_instruments()).values())

    raw_criteria = doc.get("criteria")
    if not isinstance(raw_criteria, Seq) or not raw_criteria:
        raise FileError(source, line_of(doc, "criteria"), "'criteria' must be a non-empty list")
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for i, item in enumerate(raw_criteria):
        if not isinstance(item, Map):
            raise FileError(source, line_of(raw_criteria, i), "a criterion must be a mapping")
        check_keys(item, {"code", "required", "when", "met", "not_met", "unknown"}, source)
        code = _code(item, source, seen, "criterion")
        required = item.get("required", True)
        if not isinstance(required, bool):
            raise FileError(source, line_of(item, "required"), "'required' must be true or false")
        expr = compile_at(item, "when", source, refs)
        params = {_param_names(p) for p in expr.refs}
        criteria.append(Criterion(code=code, required=required, expression=expr,
                                  met=_message(item, "met", source, params),
                                  not_met=_message(item, "not_met", source, params),
                                  unknown=_message(item, "unknown", source, params),
                                  line=item.where.line))

    components: list[PriorityComponent] = []
    seen = set()
    raw_priority = doc.get("priority", Seq())
    if not isinstance(raw_priority, Seq):
        raise FileError(source, line_of(doc, "priority"), "'priority' must be a list")
    for i, item in enumerate(raw_priority):
        if not isinstance(item, Map):
            raise FileError(source, line_of(raw_priority, i), "a priority component must be a mapping")
        check_keys(item, {"code", "points", "when", "message"}, source)
        code = _code(item, source, seen, "priority component")
        points = item.get("points")
        if not isinstance(points, int) or isinstance(points, bool) or not 0 < points <= 1000:
            raise FileError(source, line_of(item, "points"), "'points' must be a whole number from 1 to 1000")
        expr = compile_at(item, "when", source, refs)
        components.append(PriorityComponent(
            code=code, points=points, expression=expr, line=item.where.line,
            message=_message(item, "message", source, {_param_names(p) for p in expr.refs})))

    personas: list[Persona] = []
    raw_personas = doc.get("personas", Seq())
    if not isinstance(raw_personas, Seq):
        raise FileError(source, line_of(doc, "personas"), "'personas' must be a list")
    names: set[str] = set()
    for i, item in enumerate(raw_personas):
        if not isinstance(item, Map):
            raise FileError(source, line_of(raw_personas, i), "a persona must be a mapping")
        check_keys(item, {"name", "inputs", "expected", "priority"}, source)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or name in names:
            raise FileError(source, line_of(item, "name"), "a persona needs a name of its own")
        names.add(name)
        expected = item.get("expected")
        if expected not in OUTCOMES:
            raise FileError(source, line_of(item, "expected"), f"'expected' must be one of {', '.join(OUTCOMES)}")
        priority = item.get("priority")
        if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
            raise FileError(source, line_of(item, "priority"), "'priority' must be a whole number")
        raw_inputs = item.get("inputs", Map())
        if not isinstance(raw_inputs, Map):
            raise FileError(source, line_of(item, "inputs"), "'inputs' must be a mapping of input path to value")
        inputs: dict[str, Any] = {}
        for path, value in raw_inputs.items():
            ref = refs.get(path)
            if ref is None:
                raise FileError(source, line_of(raw_inputs, path), f"unknown input path {path!r}")
            try:
                inputs[path] = _typed_value(path, value, ref)
            except InputError as exc:
                raise FileError(source, line_of(raw_inputs, path), str(exc)) from None
        personas.append(Persona(name=name, inputs=inputs, expected=str(expected), priority=priority,
                                line=item.where.line))

    return RuleSet(programme=programme, version=str(version), title=str(doc.get("title") or programme),
                   policy=policy, criteria=tuple(criteria), priority=tuple(components), personas=tuple(personas),
                   source=source, paths=refs)


def _rules_dir() -> Any:
    return resources.files("crossroads.eligibility").joinpath("rules")


@cache
def shipped_programmes() -> list[str]:
    """The programmes that ship a rule set."""
    return sorted(e.name.removesuffix(".yaml") for e in _rules_dir().iterdir() if e.name.endswith(".yaml"))


def shipped_ruleset_text(programme_code: str) -> str | None:
    if programme_code not in shipped_programmes():
        return None
    return str(_rules_dir().joinpath(f"{programme_code}.yaml").read_text(encoding="utf-8"))


@cache
def shipped_ruleset(programme_code: str) -> RuleSet | None:
    """The rule set shipped for a programme, or None when it has none."""
    text = shipped_ruleset_text(programme_code)
    if text is None:
        return None
    return load_ruleset(text, source=f"rules/{programme_code}.yaml")


# --- evaluation -------------------------------------------------------------------------------------------------

def _status(value: Any) -> str:
    return MET if value is True else NOT_MET if value is False else UNKNOWN_STATUS


def _params(read: Mapping[str, Any]) -> dict[str, Any]:
    # A missing value is said as a dash: an "unknown" message may still name what it could not read.
    return {_param_names(p): ("—" if v is None else v) for p, v in read.items()}


def evaluate(ruleset: RuleSet, inputs: Mapping[str, Any]) -> Evaluation:
    """Apply the rule set to one case's inputs: outcome, a trace per criterion, and the priority score."""
    results: list[CriterionResult] = []
    all_read: dict[str, Any] = {}
    any_not_met = any_unknown = False
    for c in ruleset.criteria:
        value, read = c.expression.evaluate(inputs)
        status = _status(value)
        template = c.met if status == MET else c.not_met if status == NOT_MET else c.unknown
        results.append(CriterionResult(c.code, status, Message(template, _params(read)), read, c.required))
        all_read.update(read)
        if c.required:
            any_not_met |= status == NOT_MET
            any_unknown |= status == UNKNOWN_STATUS
    outcome = NOT_ELIGIBLE if any_not_met else UNDETERMINED if any_unknown else ELIGIBLE
    parts: list[tuple[str, int, Message]] = []
    total = 0
    for p in ruleset.priority:
        value, read = p.expression.evaluate(inputs)
        all_read.update(read)
        if value is True:
            total += p.points
            parts.append((p.code, p.points, Message(p.message, _params(read))))
    return Evaluation(programme=ruleset.programme, version=ruleset.version, outcome=outcome, criteria=results,
                      priority=PriorityResult(total, parts), inputs_read=all_read)


def outcome_of(ruleset: RuleSet, inputs: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The outcome and each criterion's status, without messages: what a re-evaluation over every case needs."""
    try:
        # The compiled closures called directly: a re-evaluation makes millions of these calls.
        values = [run(inputs) for run in ruleset.runs]
    except (TypeError, ValueError):
        values = [c.expression(inputs) for c in ruleset.criteria]
    statuses = tuple([MET if v is True else NOT_MET if v is False else UNKNOWN_STATUS for v in values])
    unknown = False
    for status, required in zip(statuses, ruleset.required, strict=True):
        if required:
            if status == NOT_MET:
                return NOT_ELIGIBLE, statuses
            if status == UNKNOWN_STATUS:
                unknown = True
    return (UNDETERMINED if unknown else ELIGIBLE), statuses


def priority_of(ruleset: RuleSet, inputs: Mapping[str, Any]) -> int:
    return sum(p.points for p in ruleset.priority if p.expression(inputs) is True)


__all__ = ["OUTCOME_LABELS", "STATUS_LABELS", "UNKNOWN", "Criterion", "CriterionResult", "Evaluation", "InputError",
           "Persona", "PriorityComponent", "PriorityResult", "RuleFileError", "RuleSet", "check_inputs", "evaluate",
           "input_paths", "load_ruleset", "outcome_of", "priority_of", "shipped_programmes", "shipped_ruleset"]
