"""A programme's versioned configuration — case form, workflow, services — and the pure rules that apply it.

No session and no I/O here: services load a version's config, call these functions, and write the result.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crossroads.kit.i18n import N_, Message

IDENTIFIER = r"^[a-z][a-z0-9_]{0,39}$"
ANY_STATE = "*"


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"


class Sensitivity(StrEnum):
    """How a field may travel: general data may appear in statistics; the others never leave a case."""

    GENERAL = "general"
    PERSONAL = "personal"
    SENSITIVE = "sensitive"
    HIGHLY_SENSITIVE = "highly_sensitive"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Choice(_Strict):
    value: str = Field(pattern=IDENTIFIER)
    label: str = Field(min_length=1, max_length=200)


class Condition(_Strict):
    """True when `field` equals `equals`, or is one of `in` (for multi-choice: contains any of them)."""

    field: str = Field(pattern=IDENTIFIER)
    equals: str | int | float | bool | None = None
    in_: list[str | int | float | bool] | None = Field(None, alias="in")

    def holds(self, data: dict[str, Any]) -> bool:
        value = data.get(self.field)
        wanted = [self.equals] if self.in_ is None else self.in_
        if isinstance(value, list):
            return any(v in wanted for v in value)
        return value in wanted


class FieldDef(_Strict):
    name: str = Field(pattern=IDENTIFIER)
    label: str = Field(min_length=1, max_length=200)
    type: FieldType
    choices: list[Choice] | None = None
    required: bool = False
    required_when: Condition | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(None, ge=1, le=20_000)
    pattern: str | None = None
    searchable: bool = False
    sensitivity: Sensitivity = Sensitivity.PERSONAL
    help: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FieldDef:
        has_choices = self.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE)
        if has_choices != bool(self.choices):
            raise ValueError(f"field {self.name}: choices are required for choice fields and only for them")
        if self.searchable and self.type in (FieldType.LONG_TEXT, FieldType.MULTI_CHOICE):
            raise ValueError(f"field {self.name}: long text and multi-choice fields cannot be searchable")
        if self.pattern is not None:
            re.compile(self.pattern)
        return self


class StateDef(_Strict):
    name: str = Field(pattern=IDENTIFIER)
    label: str = Field(min_length=1, max_length=200)
    terminal: bool = False
    # Fields that must hold a value before a case may enter this state.
    required_fields: list[str] = Field(default_factory=list)
    # For a terminal state: where a reopened case goes back to (None: the state it left to end here), and
    # whether reopening waits for a supervisor. Optional, so versions published before them stay valid.
    reopen_to: str | None = None
    reopen_requires_approval: bool = False


class TransitionDef(_Strict):
    from_state: str
    to_state: str
    label: str | None = None
    requires_approval: bool = False


class ServiceDef(_Strict):
    code: str = Field(pattern=IDENTIFIER)
    label: str = Field(min_length=1, max_length=200)


class ProgrammeConfig(_Strict):
    label: str = Field(min_length=1, max_length=200)
    description: str = ""
    fields: list[FieldDef] = Field(default_factory=list)
    states: list[StateDef] = Field(min_length=2)
    initial_state: str
    transitions: list[TransitionDef] = Field(min_length=1)
    services: list[ServiceDef] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> ProgrammeConfig:
        fields = [f.name for f in self.fields]
        states = [s.name for s in self.states]
        for names, what in ((fields, "field"), (states, "state"), ([s.code for s in self.services], "service")):
            dupes = {n for n in names if names.count(n) > 1}
            if dupes:
                raise ValueError(f"duplicate {what} names: {', '.join(sorted(dupes))}")
        if self.initial_state not in states:
            raise ValueError(f"initial_state {self.initial_state!r} is not a state")
        for f in self.fields:
            if f.required_when and f.required_when.field not in fields:
                raise ValueError(f"field {f.name}: required_when refers to unknown field {f.required_when.field}")
        for s in self.states:
            unknown = [n for n in s.required_fields if n not in fields]
            if unknown:
                raise ValueError(f"state {s.name}: required_fields names unknown fields {', '.join(unknown)}")
        for s in self.states:
            if (s.reopen_to is not None or s.reopen_requires_approval) and not s.terminal:
                raise ValueError(f"state {s.name}: only a terminal state can say how it is reopened")
            target = self.state(s.reopen_to) if s.reopen_to is not None else None
            if s.reopen_to is not None and (target is None or target.terminal):
                raise ValueError(f"state {s.name}: reopen_to must name a state that is not terminal")
        for t in self.transitions:
            if t.from_state != ANY_STATE and t.from_state not in states:
                raise ValueError(f"transition from unknown state {t.from_state!r}")
            if t.to_state not in states:
                raise ValueError(f"transition to unknown state {t.to_state!r}")
        return self

    def field(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)

    def state(self, name: str) -> StateDef | None:
        return next((s for s in self.states if s.name == name), None)

    def next_states(self, current: str) -> list[TransitionDef]:
        state = self.state(current)
        if state is not None and state.terminal:
            return []
        return [t for t in self.transitions if t.from_state in (current, ANY_STATE) and t.to_state != current]

    def ends_case(self, to_state: str) -> bool:
        """Whether entering `to_state` ends the case (closes, withdraws, refers out): a move that needs a reason."""
        state = self.state(to_state)
        return state is not None and state.terminal

    def stages(self) -> list[StateDef]:
        """The workflow's working states in the order the programme lists them, for a stage bar."""
        return [s for s in self.states if not s.terminal]

    def next_step(self, current: str) -> TransitionDef | None:
        """What the workflow expects next: the first move defined from this very state that keeps the case open,
        else the first one from it that ends the case. A move open from every state (withdraw, refer out) is
        the next step only of a state that has no move of its own."""
        moves = self.next_states(current)
        own = [t for t in moves if t.from_state == current] or moves
        return next((t for t in own if not self.ends_case(t.to_state)), own[0] if own else None)


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class FieldErrors(ValueError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _coerce(f: FieldDef, value: Any) -> Any:
    if f.type in (FieldType.TEXT, FieldType.LONG_TEXT):
        if not isinstance(value, str):
            raise FieldError(f.name, "must be text")
        value = value.strip()
        limit = f.max_length or (200 if f.type == FieldType.TEXT else 20_000)
        if len(value) > limit:
            raise FieldError(f.name, f"must be at most {limit} characters")
        if f.pattern and value and not re.fullmatch(f.pattern, value):
            raise FieldError(f.name, "does not have the expected format")
        return value or None
    if f.type == FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise FieldError(f.name, "must be a whole number")
        try:
            value = int(value)
        except ValueError:
            raise FieldError(f.name, "must be a whole number") from None
    elif f.type == FieldType.NUMBER:
        if isinstance(value, bool):
            raise FieldError(f.name, "must be a number")
        try:
            value = float(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            raise FieldError(f.name, "must be a number") from None
    elif f.type == FieldType.DATE:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise FieldError(f.name, "must be a date as YYYY-MM-DD") from None
    elif f.type == FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise FieldError(f.name, "must be true or false")
        return value
    elif f.type == FieldType.CHOICE:
        allowed = [c.value for c in f.choices or []]
        if value not in allowed:
            raise FieldError(f.name, f"must be one of {', '.join(allowed)}")
        return value
    elif f.type == FieldType.MULTI_CHOICE:
        allowed = [c.value for c in f.choices or []]
        if not isinstance(value, list) or any(v not in allowed for v in value):
            raise FieldError(f.name, f"must be a list of {', '.join(allowed)}")
        return list(dict.fromkeys(value))
    if f.min is not None and value < f.min:
        raise FieldError(f.name, f"must be at least {f.min:g}")
    if f.max is not None and value > f.max:
        raise FieldError(f.name, f"must be at most {f.max:g}")
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def validate_data(config: ProgrammeConfig, data: dict[str, Any]) -> dict[str, Any]:
    """Normalise a case's programme fields; raise FieldErrors naming every field at fault."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    for name in data:
        if config.field(name) is None:
            errors.append(FieldError(name, "is not a field of this programme"))
    for f in config.fields:
        if f.name not in data or _empty(data[f.name]):
            continue
        try:
            value = _coerce(f, data[f.name])
        except FieldError as exc:
            errors.append(exc)
            continue
        if not _empty(value):
            clean[f.name] = value
    for f in config.fields:
        needed = f.required or (f.required_when is not None and f.required_when.holds(clean))
        if needed and f.name not in clean and not any(e.field == f.name for e in errors):
            errors.append(FieldError(f.name, "is required"))
    if errors:
        raise FieldErrors(errors)
    return clean


class TransitionRefused(ValueError):
    def __init__(self, reason: str, missing_fields: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing_fields = missing_fields or []


def _state(config: ProgrammeConfig, name: str) -> Message | str:
    """A state by its label, which the reader's catalogue translates; its name if the programme lacks it."""
    state = config.state(name)
    return Message(state.label) if state is not None else name


def check_transition(config: ProgrammeConfig, current: str, to_state: str, data: dict[str, Any]) -> TransitionDef:
    """The transition from `current` to `to_state`, or TransitionRefused saying why not."""
    target = config.state(to_state)
    if target is None:
        raise TransitionRefused(Message(N_("“%(state)s” is not a state of this programme"), {"state": to_state}))
    allowed = config.next_states(current)
    transition = next((t for t in allowed if t.to_state == to_state), None)
    if transition is None:
        if not allowed:
            raise TransitionRefused(Message(
                N_("a case in “%(current)s” cannot move to “%(target)s”: the case is closed"),
                {"current": _state(config, current), "target": Message(target.label)}))
        raise TransitionRefused(Message(
            N_("a case in “%(current)s” cannot move to “%(target)s”; possible next states: %(options)s"),
            {"current": _state(config, current), "target": Message(target.label),
             "options": [_state(config, t.to_state) for t in allowed]}))
    missing = [f for f in target.required_fields if _empty(data.get(f))]
    if missing:
        labels = [Message(fd.label) if (fd := config.field(f)) else f for f in missing]
        raise TransitionRefused(Message(N_("fill in %(fields)s before moving to “%(state)s”"),
                                        {"fields": labels, "state": Message(target.label)}), missing)
    return transition


class Reopening(_Strict):
    to_state: str
    requires_approval: bool


def check_reopen(config: ProgrammeConfig, current: str, previous: str | None) -> Reopening:
    """Where a case ended in `current` goes back to when reopened, having left `previous` to end there.

    The state's own `reopen_to` wins; otherwise the state it left, when that is still a working state of this
    version; otherwise the initial state, from which the workflow can be walked again.
    """
    state = config.state(current)
    if state is None or not state.terminal:
        raise TransitionRefused("only a case that has ended can be reopened")
    target = state.reopen_to or previous
    back = config.state(target) if target is not None else None
    to_state = back.name if back is not None and not back.terminal else config.initial_state
    return Reopening(to_state=to_state, requires_approval=state.reopen_requires_approval)


def searchable_fields(config: ProgrammeConfig) -> list[FieldDef]:
    return [f for f in config.fields if f.searchable]
