"""The expression language of eligibility rules, skip logic and priority points.

A small parser of our own rather than CEL (cel-python) or JSON Logic, for reasons the rules need and those
evaluators do not give:

- Three-valued logic. A missing input is UNKNOWN, and `unknown and false` is false, `unknown or true` is true,
  so a determination can say "not eligible" when one answer settles it, and "undetermined" only when it does not.
  CEL's error-absorbing `||`/`&&` comes close but reports an error, not a third value we can explain, and JSON
  Logic treats a missing value as null, which is false.
- Errors at load with line and column: a reference to a field the programme does not have, a number compared
  with a text, a choice value the field does not offer. JSON Logic rules are JSON with no positions, and CEL's
  checker knows nothing of our programme configuration.
- Speed. A re-evaluation runs every rule set over a million cases; cel-python interprets its parse tree on every
  call (hundreds of microseconds per expression). Here the tree is compiled once, at load, into nested Python
  closures (no eval, no exec), so a typical criterion costs about a microsecond.

There is no attribute access, no indexing and no call outside a fixed list of functions: a reference is a whole
input path (`person.age`, `case.country_of_return`, `screening.wg_short_set.seeing`) checked against the paths
the caller declares, so nothing in a rule can reach Python objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

Evaluator = Callable[[Mapping[str, Any]], Any]
# Far above any real criterion; it keeps a pasted mistake (or a hostile upload) from costing the server much.
MAX_CHARS = 5_000


class _Unknown:
    """The third truth value, and the value of any expression that needs a missing input."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        # Treating UNKNOWN as false is exactly the mistake this language exists to avoid.
        raise TypeError("UNKNOWN has no truth value; compare it with `is UNKNOWN`")

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()

# Kinds of value; a reference declares its kind so that mistakes are found when the rule is loaded.
BOOL, NUMBER, TEXT, DATE, LIST = "bool", "number", "text", "date", "list"
KINDS = (BOOL, NUMBER, TEXT, DATE, LIST)


@dataclass(frozen=True)
class RefType:
    """What an input path holds: its kind and, for choices, the values it may take."""

    kind: str
    choices: frozenset[str] | None = None


Refs = Mapping[str, RefType]


class RuleError(ValueError):
    """A rule that cannot be loaded, with where and why."""

    def __init__(self, line: int, column: int, problem: str) -> None:
        super().__init__(f"line {line}, column {column}: {problem}")
        self.line, self.column, self.problem = line, column, problem


@dataclass(frozen=True)
class Compiled:
    """An expression checked and compiled once; call it with a case's inputs."""

    text: str
    kind: str
    refs: tuple[str, ...]
    run: Evaluator = field(repr=False, compare=False)

    def __call__(self, inputs: Mapping[str, Any]) -> Any:
        try:
            return self.run(inputs)
        except (TypeError, ValueError):
            # An input of the wrong type (a text where a date is due) is not usable: the rule cannot tell.
            return UNKNOWN

    def evaluate(self, inputs: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The value and the inputs the expression refers to, as they were."""
        return self(inputs), {p: inputs.get(p) for p in self.refs}


# --- tokens -------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+|\#[^\n]*)
  | (?P<nl>\n)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|\(|\)|\[|\]|,|\.)
""", re.VERBOSE)

_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "known", "missing", "true", "false"})


@dataclass(frozen=True)
class _Tok:
    type: str
    value: str
    line: int
    column: int


def _tokens(text: str, line: int, column: int) -> list[_Tok]:
    out: list[_Tok] = []
    pos, ln, line_start = 0, line, 0
    first_line_offset = column - 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        col = pos - line_start + 1 + (first_line_offset if ln == line else 0)
        if m is None:
            raise RuleError(ln, col, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup
        assert kind is not None
        if kind == "nl":
            ln, line_start = ln + 1, m.end()
        elif kind != "ws":
            value = m.group()
            if kind == "name" and value in _KEYWORDS:
                kind = "kw"
            out.append(_Tok(kind, value, ln, col))
        pos = m.end()
    end_col = pos - line_start + 1 + (first_line_offset if ln == line else 0)
    out.append(_Tok("end", "", ln, end_col))
    return out


# --- functions ----------------------------------------------------------------------------------------------

def _as_date(v: Any) -> Any:
    if v is UNKNOWN or v is None:
        return UNKNOWN
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return date.fromisoformat(v)


def _today(inputs: Mapping[str, Any]) -> date:
    # The determination date, when the caller gives one, so that a stored determination can be reproduced.
    given = inputs.get("today")
    return _as_date(given) if given is not None else date.today()


def _years_between(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


@dataclass(frozen=True)
class _Function:
    params: tuple[str, ...]  # kinds of the parameters; a trailing "*" repeats the last one
    returns: str
    build: Callable[[list[Evaluator]], Evaluator]


def _count_true(args: list[Evaluator]) -> Evaluator:
    def run(inp: Mapping[str, Any]) -> Any:
        n = 0
        for a in args:
            v = a(inp)
            if v is UNKNOWN:
                return UNKNOWN
            if v is True:
                n += 1
        return n
    return run


def _at_least(args: list[Evaluator]) -> Evaluator:
    need_of, rest = args[0], args[1:]

    def run(inp: Mapping[str, Any]) -> Any:
        need = need_of(inp)
        if need is UNKNOWN:
            return UNKNOWN
        yes = unknown = 0
        for a in rest:
            v = a(inp)
            if v is True:
                yes += 1
            elif v is UNKNOWN:
                unknown += 1
        if yes >= need:
            return True
        return False if yes + unknown < need else UNKNOWN
    return run


def _years_since(args: list[Evaluator]) -> Evaluator:
    (arg,) = args

    def run(inp: Mapping[str, Any]) -> Any:
        d = arg(inp)
        return UNKNOWN if d is UNKNOWN else _years_between(d, _today(inp))
    return run


def _days_since(args: list[Evaluator]) -> Evaluator:
    (arg,) = args

    def run(inp: Mapping[str, Any]) -> Any:
        d = arg(inp)
        return UNKNOWN if d is UNKNOWN else (_today(inp) - d).days
    return run


def _days_until(args: list[Evaluator]) -> Evaluator:
    (arg,) = args

    def run(inp: Mapping[str, Any]) -> Any:
        d = arg(inp)
        return UNKNOWN if d is UNKNOWN else (d - _today(inp)).days
    return run


def _size(args: list[Evaluator]) -> Evaluator:
    (arg,) = args

    def run(inp: Mapping[str, Any]) -> Any:
        v = arg(inp)
        return UNKNOWN if v is UNKNOWN else len(v)
    return run


def _has_any(args: list[Evaluator]) -> Evaluator:
    have, wanted = args

    def run(inp: Mapping[str, Any]) -> Any:
        h, w = have(inp), wanted(inp)
        if h is UNKNOWN or w is UNKNOWN:
            return UNKNOWN
        return any(x in w for x in h)
    return run


FUNCTIONS: Final[dict[str, _Function]] = {
    # How many of the conditions hold; UNKNOWN as soon as one cannot be told, since the count is then unknown.
    "count_true": _Function((BOOL, "*"), NUMBER, _count_true),
    # At least n of the conditions hold: true once n are true, false once too few can still be, else UNKNOWN.
    "at_least": _Function((NUMBER, BOOL, "*"), BOOL, _at_least),
    "any_of": _Function((BOOL, "*"), BOOL, lambda args: _or(args)),
    "all_of": _Function((BOOL, "*"), BOOL, lambda args: _and(args)),
    "years_since": _Function((DATE,), NUMBER, _years_since),
    "days_since": _Function((DATE,), NUMBER, _days_since),
    "days_until": _Function((DATE,), NUMBER, _days_until),
    "size": _Function((LIST,), NUMBER, _size),
    "has_any": _Function((LIST, LIST), BOOL, _has_any),
    # `date` is folded into a constant at load; listed here so that its name is taken.
    "date": _Function((TEXT,), DATE, lambda args: args[0]),
}


# --- boolean and comparison nodes ---------------------------------------------------------------------------

def _and(args: list[Evaluator]) -> Evaluator:
    if len(args) == 2:
        a, b = args

        def run2(inp: Mapping[str, Any]) -> Any:
            x = a(inp)
            if x is False:
                return False
            y = b(inp)
            if y is False:
                return False
            return True if x is True and y is True else UNKNOWN
        return run2

    def run(inp: Mapping[str, Any]) -> Any:
        result: Any = True
        for f in args:
            v = f(inp)
            if v is False:
                return False
            if v is not True:
                result = UNKNOWN
        return result
    return run


def _or(args: list[Evaluator]) -> Evaluator:
    if len(args) == 2:
        a, b = args

        def run2(inp: Mapping[str, Any]) -> Any:
            x = a(inp)
            if x is True:
                return True
            y = b(inp)
            if y is True:
                return True
            return False if x is False and y is False else UNKNOWN
        return run2

    def run(inp: Mapping[str, Any]) -> Any:
        result: Any = False
        for f in args:
            v = f(inp)
            if v is True:
                return True
            if v is not False:
                result = UNKNOWN
        return result
    return run


def _not(a: Evaluator) -> Evaluator:
    def run(inp: Mapping[str, Any]) -> Any:
        v = a(inp)
        return UNKNOWN if v is UNKNOWN else not v
    return run


_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "==": lambda x, y: x == y, "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y, "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y, ">=": lambda x, y: x >= y,
    "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
}


def _binary(op: str, a: Evaluator, b: Evaluator, b_const: Any = UNKNOWN) -> Evaluator:
    fn = _COMPARE[op]
    if b_const is not UNKNOWN:
        # The common `reference OP constant` skips a call: most criteria look like this.
        def run_const(inp: Mapping[str, Any]) -> Any:
            x = a(inp)
            return UNKNOWN if x is UNKNOWN else fn(x, b_const)
        return run_const

    def run(inp: Mapping[str, Any]) -> Any:
        x = a(inp)
        if x is UNKNOWN:
            return UNKNOWN
        y = b(inp)
        return UNKNOWN if y is UNKNOWN else fn(x, y)
    return run


def _ref(path: str, kind: str) -> Evaluator:
    if kind == DATE:
        def run_date(inp: Mapping[str, Any]) -> Any:
            v = inp.get(path)
            if v is None:
                return UNKNOWN
            return v if type(v) is date else _as_date(v)
        return run_date
    if kind == LIST:
        def run_list(inp: Mapping[str, Any]) -> Any:
            v = inp.get(path)
            return UNKNOWN if v is None else v
        return run_list
    if kind == BOOL:
        def run_bool(inp: Mapping[str, Any]) -> Any:
            v = inp.get(path)
            if v is True or v is False:
                return v
            if v is None:
                return UNKNOWN
            raise TypeError(f"{path} is not true or false")
        return run_bool

    def run(inp: Mapping[str, Any]) -> Any:
        v = inp.get(path)
        return UNKNOWN if v is None else v
    return run


# --- parser -------------------------------------------------------------------------------------------------

@dataclass
class _Node:
    kind: str
    run: Evaluator
    tok: _Tok
    const: Any = UNKNOWN  # the value, when known at load
    choices: frozenset[str] | None = None  # the values a choice reference may take


def _constant(kind: str, value: Any, tok: _Tok) -> _Node:
    return _Node(kind, lambda inp: value, tok, const=value)


_ORDERED = (NUMBER, DATE)
_NAMES = {BOOL: "true or false", NUMBER: "a number", TEXT: "a text", DATE: "a date", LIST: "a list"}


class _Parser:
    def __init__(self, text: str, refs: Refs, line: int, column: int) -> None:
        self.toks = _tokens(text, line, column)
        self.i = 0
        self.refs = refs
        self.used: dict[str, None] = {}

    # helpers
    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def error(self, tok: _Tok, problem: str) -> RuleError:
        return RuleError(tok.line, tok.column, problem)

    def take(self, type_: str, value: str | None = None) -> _Tok | None:
        t = self.tok
        if t.type == type_ and (value is None or t.value == value):
            self.i += 1
            return t
        return None

    def expect(self, type_: str, value: str, what: str) -> _Tok:
        t = self.take(type_, value)
        if t is None:
            raise self.error(self.tok, f"expected {what}, found {self._found(self.tok)}")
        return t

    @staticmethod
    def _found(t: _Tok) -> str:
        return "the end of the expression" if t.type == "end" else repr(t.value)

    def need(self, node: _Node, kinds: tuple[str, ...], what: str) -> None:
        if node.kind not in kinds:
            wanted = " or ".join(_NAMES[k] for k in kinds)
            raise self.error(node.tok, f"{what} needs {wanted}, not {_NAMES[node.kind]}")

    # grammar
    def parse(self) -> _Node:
        node = self.or_()
        if self.tok.type != "end":
            raise self.error(self.tok, f"unexpected {self._found(self.tok)}")
        return node

    def or_(self) -> _Node:
        first = self.and_()
        parts = [first]
        while self.take("kw", "or"):
            parts.append(self.and_())
        if len(parts) == 1:
            return first
        for p in parts:
            self.need(p, (BOOL,), "`or`")
        return _Node(BOOL, _or([p.run for p in parts]), first.tok)

    def and_(self) -> _Node:
        first = self.not_()
        parts = [first]
        while self.take("kw", "and"):
            parts.append(self.not_())
        if len(parts) == 1:
            return first
        for p in parts:
            self.need(p, (BOOL,), "`and`")
        return _Node(BOOL, _and([p.run for p in parts]), first.tok)

    def not_(self) -> _Node:
        tok = self.take("kw", "not")
        if tok is None:
            return self.comparison()
        inner = self.not_()
        self.need(inner, (BOOL,), "`not`")
        return _Node(BOOL, _not(inner.run), tok)

    def comparison(self) -> _Node:
        left = self.sum_()
        t = self.tok
        if t.type == "op" and t.value in ("==", "!=", "<", "<=", ">", ">="):
            self.i += 1
            right = self.sum_()
            return self.compare(t, left, right)
        if t.type == "kw" and t.value == "is":
            self.i += 1
            negate = self.take("kw", "not") is not None
            word = self.take("kw", "known") or self.take("kw", "missing")
            if word is None:
                raise self.error(self.tok, f"expected `known` or `missing` after `is`, found {self._found(self.tok)}")
            want_known = (word.value == "known") != negate
            inner = left.run

            def known(inp: Mapping[str, Any]) -> bool:
                return (inner(inp) is not UNKNOWN) == want_known
            return _Node(BOOL, known, left.tok)
        if t.type == "kw" and t.value in ("in", "not"):
            if t.value == "not":
                if self.toks[self.i + 1].value != "in":
                    return left
                self.i += 1
            self.i += 1
            right = self.sum_()
            node = self.membership(t, left, right)
            return _Node(BOOL, _not(node.run), t) if t.value == "not" else node
        return left

    def compare(self, op: _Tok, left: _Node, right: _Node) -> _Node:
        if left.kind != right.kind:
            raise self.error(op, f"cannot compare {_NAMES[left.kind]} with {_NAMES[right.kind]}")
        if op.value not in ("==", "!=") and left.kind not in _ORDERED:
            raise self.error(op, f"`{op.value}` needs numbers or dates, not {_NAMES[left.kind]}")
        self.check_choice(left, right)
        self.check_choice(right, left)
        if left.const is not UNKNOWN and right.const is UNKNOWN:
            # Turned around so that the constant is on the right, where _binary reads it without a call.
            flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op.value, op.value)
            return _Node(BOOL, _binary(flipped, right.run, left.run, left.const), op)
        return _Node(BOOL, _binary(op.value, left.run, right.run, right.const), op)

    def check_choice(self, ref: _Node, other: _Node) -> None:
        if ref.choices is None:
            return
        values = other.const if isinstance(other.const, frozenset) else (
            {other.const} if isinstance(other.const, str) else set())
        for v in sorted(values):
            if v not in ref.choices:
                raise self.error(other.tok, f"{v!r} is not one of the choices: {', '.join(sorted(ref.choices))}")

    def membership(self, op: _Tok, left: _Node, right: _Node) -> _Node:
        if right.kind != LIST:
            raise self.error(right.tok, f"`in` needs a list on its right, not {_NAMES[right.kind]}")
        if left.kind == LIST:
            raise self.error(left.tok, "`in` needs one value on its left; use has_any(list, [...]) for a list")
        elem_kind = getattr(right, "elem_kind", None)
        if elem_kind is not None and elem_kind != left.kind:
            raise self.error(op, f"cannot look for {_NAMES[left.kind]} in a list of {_NAMES[elem_kind]} values")
        if right.choices is not None and isinstance(left.const, str) and left.const not in right.choices:
            raise self.error(left.tok, f"{left.const!r} is not one of the choices: {', '.join(sorted(right.choices))}")
        self.check_choice(left, right)
        a = left.run
        if isinstance(right.const, frozenset):
            values = right.const

            def run_const(inp: Mapping[str, Any]) -> Any:
                x = a(inp)
                return UNKNOWN if x is UNKNOWN else x in values
            return _Node(BOOL, run_const, op)
        b = right.run

        def run(inp: Mapping[str, Any]) -> Any:
            x = a(inp)
            if x is UNKNOWN:
                return UNKNOWN
            y = b(inp)
            return UNKNOWN if y is UNKNOWN else x in y
        return _Node(BOOL, run, op)

    def sum_(self) -> _Node:
        left = self.product()
        while self.tok.type == "op" and self.tok.value in ("+", "-"):
            op = self.tok
            self.i += 1
            right = self.product()
            left = self.arithmetic(op, left, right)
        return left

    def product(self) -> _Node:
        left = self.unary()
        while self.tok.type == "op" and self.tok.value == "*":
            op = self.tok
            self.i += 1
            right = self.unary()
            left = self.arithmetic(op, left, right)
        return left

    def arithmetic(self, op: _Tok, left: _Node, right: _Node) -> _Node:
        self.need(left, (NUMBER,), f"`{op.value}`")
        self.need(right, (NUMBER,), f"`{op.value}`")
        if left.const is not UNKNOWN and right.const is not UNKNOWN:
            return _constant(NUMBER, _COMPARE[op.value](left.const, right.const), left.tok)
        return _Node(NUMBER, _binary(op.value, left.run, right.run, right.const), left.tok)

    def unary(self) -> _Node:
        tok = self.take("op", "-")
        if tok is None:
            return self.atom()
        inner = self.unary()
        self.need(inner, (NUMBER,), "`-`")
        if inner.const is not UNKNOWN:
            return _constant(NUMBER, -inner.const, tok)
        run = inner.run
        return _Node(NUMBER, lambda inp: UNKNOWN if (v := run(inp)) is UNKNOWN else -v, tok)

    def atom(self) -> _Node:
        t = self.tok
        if t.type == "number":
            self.i += 1
            return _constant(NUMBER, float(t.value) if "." in t.value else int(t.value), t)
        if t.type == "string":
            self.i += 1
            return _constant(TEXT, _unquote(t.value), t)
        if t.type == "kw" and t.value in ("true", "false"):
            self.i += 1
            return _constant(BOOL, t.value == "true", t)
        if self.take("op", "("):
            inner = self.or_()
            self.expect("op", ")", "`)`")
            return inner
        if self.take("op", "["):
            return self.list_(t)
        if t.type == "name":
            self.i += 1
            if self.tok.type == "op" and self.tok.value == "(":
                return self.call(t)
            return self.reference(t)
        raise self.error(t, f"expected a value, found {self._found(t)}")

    def list_(self, open_: _Tok) -> _Node:
        items: list[_Node] = []
        if not self.take("op", "]"):
            while True:
                item = self.sum_()
                if item.const is UNKNOWN or item.kind not in (TEXT, NUMBER):
                    raise self.error(item.tok, "a list holds only texts or numbers written in the rule")
                if items and item.kind != items[0].kind:
                    raise self.error(item.tok, "a list holds values of one kind: texts or numbers")
                items.append(item)
                if self.take("op", "]"):
                    break
                self.expect("op", ",", "`,` or `]`")
        values = frozenset(i.const for i in items)
        node = _constant(LIST, values, open_)
        node.elem_kind = items[0].kind if items else None  # type: ignore[attr-defined]
        return node

    def reference(self, first: _Tok) -> _Node:
        parts = [first.value]
        while self.take("op", "."):
            nxt = self.take("name")
            if nxt is None:
                raise self.error(self.tok, f"expected a name after `.`, found {self._found(self.tok)}")
            parts.append(nxt.value)
        path = ".".join(parts)
        if any(p.startswith("_") for p in parts):
            raise self.error(first, f"unknown reference {path!r}: names starting with `_` are not allowed")
        ref = self.refs.get(path)
        if ref is None:
            near = sorted(p for p in self.refs if p.rsplit(".", 1)[0] == path.rsplit(".", 1)[0])[:8]
            hint = f" (known here: {', '.join(near)})" if near else ""
            raise self.error(first, f"unknown reference {path!r}{hint}")
        self.used[path] = None
        node = _Node(ref.kind, _ref(path, ref.kind), first, choices=ref.choices)
        if ref.kind == LIST:
            node.elem_kind = TEXT  # type: ignore[attr-defined]
        return node

    def call(self, name: _Tok) -> _Node:
        fn = FUNCTIONS.get(name.value)
        if fn is None:
            raise self.error(name, f"unknown function {name.value!r}; the functions are {', '.join(sorted(FUNCTIONS))}")
        self.expect("op", "(", "`(`")
        args: list[_Node] = []
        if not self.take("op", ")"):
            while True:
                args.append(self.or_())
                if self.take("op", ")"):
                    break
                self.expect("op", ",", "`,` or `)`")
        params = list(fn.params)
        repeat = params[-1] == "*"
        if repeat:
            params.pop()
        if len(args) < len(params) or (not repeat and len(args) > len(params)):
            count = f"at least {len(params)}" if repeat else str(len(params))
            raise self.error(name, f"{name.value}() takes {count} argument{'s' if count != '1' else ''}, "
                                   f"not {len(args)}")
        for i, arg in enumerate(args):
            kind = params[min(i, len(params) - 1)]
            self.need(arg, (kind,), f"argument {i + 1} of {name.value}()")
        if name.value == "date":
            if args[0].const is UNKNOWN:
                raise self.error(args[0].tok, "date() needs a date written in the rule, like date(\"2026-01-31\")")
            try:
                return _constant(DATE, date.fromisoformat(args[0].const), name)
            except ValueError:
                raise self.error(args[0].tok, f"{args[0].const!r} is not a date like \"2026-01-31\"") from None
        return _Node(fn.returns, fn.build([a.run for a in args]), name)


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), literal[1:-1])


def compile_expression(text: str, *, refs: Refs, line: int = 1, column: int = 1, kind: str | None = None) -> Compiled:
    """Check an expression against the known input paths and compile it; `line`/`column` place it in its file."""
    if not text.strip():
        raise RuleError(line, column, "the expression is empty")
    if len(text) > MAX_CHARS:
        raise RuleError(line, column, f"the expression is longer than {MAX_CHARS} characters; split the criterion")
    parser = _Parser(text, refs, line, column)
    try:
        node = parser.parse()
    except RecursionError:
        raise RuleError(line, column, "the expression is nested too deeply") from None
    if kind is not None and node.kind != kind:
        raise RuleError(node.tok.line, node.tok.column,
                        f"the expression must give {_NAMES[kind]}, not {_NAMES[node.kind]}")
    return Compiled(text=text, kind=node.kind, refs=tuple(parser.used), run=node.run)
