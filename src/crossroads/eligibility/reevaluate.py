"""Whose determination would change under a new rule set version: a streaming diff over every case's inputs.

Pure: the caller reads the cases (in chunks, from a read-only snapshot) and feeds them in; nothing here holds a
lock or a session. Criteria written the same way in both versions are evaluated once per case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from crossroads.eligibility.language import Compiled
from crossroads.eligibility.rulesets import ELIGIBLE, MET, NOT_ELIGIBLE, NOT_MET, UNDETERMINED, UNKNOWN_STATUS, RuleSet

Status = str


@dataclass(frozen=True)
class Change:
    """A case whose outcome, a criterion's status, or priority differs between the two versions."""

    case_id: Hashable
    old_outcome: str
    new_outcome: str
    changed_criteria: tuple[str, ...]
    old_priority: int = 0
    new_priority: int = 0


@dataclass
class DiffCounts:
    """Totals over every case fed in, changed or not."""

    cases: int = 0
    changed: int = 0
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (old outcome, new outcome) -> cases
    criteria: Counter[str] = field(default_factory=Counter)  # criterion code -> cases whose status changed
    priority_changed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"cases": self.cases, "changed": self.changed, "priority_changed": self.priority_changed,
                "outcomes": [{"old": o, "new": n, "cases": c} for (o, n), c in sorted(self.outcomes.items())],
                "criteria": dict(sorted(self.criteria.items()))}


def _status(value: Any) -> Status:
    return MET if value is True else NOT_MET if value is False else UNKNOWN_STATUS


_Eval = Compiled


def _plan(ruleset: RuleSet, shared: dict[str, int], evaluators: list[_Eval]) -> list[tuple[str, bool, int]]:
    # Each criterion becomes (code, required, index of its evaluator); equal expressions share one index.
    plan = []
    for c in ruleset.criteria:
        key = " ".join(c.expression.text.split())
        if key not in shared:
            shared[key] = len(evaluators)
            evaluators.append(c.expression)
        plan.append((c.code, c.required, shared[key]))
    return plan


def _outcome(plan: list[tuple[str, bool, int]], statuses: list[Status]) -> str:
    unknown = False
    for _code, required, i in plan:
        if required:
            s = statuses[i]
            if s == NOT_MET:
                return NOT_ELIGIBLE
            if s == UNKNOWN_STATUS:
                unknown = True
    return UNDETERMINED if unknown else ELIGIBLE


def _priority_fn(ruleset: RuleSet) -> Callable[[Mapping[str, Any]], int]:
    parts = [(p.points, p.expression) for p in ruleset.priority]

    def run(inputs: Mapping[str, Any]) -> int:
        return sum(points for points, expr in parts if expr(inputs) is True)
    return run


def _priority_key(ruleset: RuleSet) -> list[tuple[str, int, str]]:
    return [(p.code, p.points, " ".join(p.expression.text.split())) for p in ruleset.priority]


def diff(old: RuleSet, new: RuleSet, rows: Iterable[tuple[Hashable, Mapping[str, Any]]],
         counts: DiffCounts | None = None) -> Iterator[Change]:
    """Yield each case whose determination would change; `counts` (when given) totals every case as it streams."""
    totals = counts if counts is not None else DiffCounts()
    shared: dict[str, int] = {}
    evaluators: list[_Eval] = []
    old_plan = _plan(old, shared, evaluators)
    new_plan = _plan(new, shared, evaluators)
    old_codes = {code: i for code, _r, i in old_plan}
    new_codes = {code: i for code, _r, i in new_plan}
    # A criterion added or dropped is in every case's trace, so alone it does not make a case change; it is
    # listed on the cases that change for another reason, since it may be why their outcome did.
    added_or_dropped = tuple(sorted(set(old_codes) ^ set(new_codes)))
    compared = [(code, old_codes[code], new_codes[code]) for code in old_codes if code in new_codes
                and old_codes[code] != new_codes[code]]
    same_priority = _priority_key(old) == _priority_key(new)
    old_priority, new_priority = _priority_fn(old), _priority_fn(new)
    outcomes, criteria = totals.outcomes, totals.criteria
    runs = [e.run for e in evaluators]
    for case_id, inputs in rows:
        try:
            values = [run(inputs) for run in runs]
        except (TypeError, ValueError):
            values = [e(inputs) for e in evaluators]
        statuses = [_status(v) for v in values]
        before, after = _outcome(old_plan, statuses), _outcome(new_plan, statuses)
        changed = tuple(code for code, i, j in compared if statuses[i] != statuses[j])
        if same_priority:
            p_old = p_new = 0
        else:
            p_old, p_new = old_priority(inputs), new_priority(inputs)
        totals.cases += 1
        outcomes[(before, after)] += 1
        if before != after or changed or p_old != p_new:
            totals.changed += 1
            totals.priority_changed += p_old != p_new
            for code in changed:
                criteria[code] += 1
            yield Change(case_id, before, after, changed + added_or_dropped if before != after else changed,
                         p_old, p_new)


def diff_counts(old: RuleSet, new: RuleSet, rows: Iterable[tuple[Hashable, Mapping[str, Any]]]) -> DiffCounts:
    """Only the totals, for a report that does not list the cases."""
    counts = DiffCounts()
    for _change in diff(old, new, rows, counts):
        pass
    return counts


__all__ = ["Change", "DiffCounts", "diff", "diff_counts"]
