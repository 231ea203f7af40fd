"""Running a rule set's test personas: each says what outcome (and priority) a made-up case must get."""

from __future__ import annotations

from dataclasses import dataclass

from crossroads.eligibility.rulesets import Evaluation, RuleSet, evaluate


@dataclass(frozen=True)
class PersonaResult:
    name: str
    expected: str
    got: str
    ok: bool
    expected_priority: int | None
    got_priority: int
    evaluation: Evaluation
    line: int


def run_personas(ruleset: RuleSet) -> list[PersonaResult]:
    """Each persona's expected and actual outcome; a persona with an expected priority must match it too."""
    results = []
    for p in ruleset.personas:
        ev = evaluate(ruleset, p.inputs)
        ok = ev.outcome == p.expected and (p.priority is None or p.priority == ev.priority.score)
        results.append(PersonaResult(name=p.name, expected=p.expected, got=ev.outcome, ok=ok,
                                     expected_priority=p.priority, got_priority=ev.priority.score, evaluation=ev,
                                     line=p.line))
    return results
