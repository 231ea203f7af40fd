"""The re-evaluation diff: whose determination a new rule set version would change, streamed, with totals."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

from crossroads.eligibility.reevaluate import Change, DiffCounts, diff, diff_counts
from crossroads.eligibility.rulesets import RuleSet, load_ruleset, shipped_ruleset

AVRR = (Path(__file__).parents[2] / "src/crossroads/eligibility/rules/avrr.yaml").read_text(encoding="utf-8")


def avrr() -> RuleSet:
    ruleset = shipped_ruleset("avrr")
    assert ruleset is not None
    return ruleset


def without_travel_document_criterion() -> RuleSet:
    start = AVRR.index("  - code: travel_document\n")
    end = AVRR.index("  - code: no_fear_of_harm_on_return\n")
    return load_ruleset(AVRR[:start] + AVRR[end:], source="avrr-next.yaml")


def rows() -> list[tuple[int, dict]]:
    return [(i, dict(p.inputs)) for i, p in enumerate(avrr().personas)]


class TestDiff:
    def test_the_same_version_changes_nobody(self) -> None:
        counts = diff_counts(avrr(), avrr(), rows())
        assert counts.cases == 6 and counts.changed == 0
        assert sum(counts.outcomes.values()) == 6
        assert all(old == new for old, new in counts.outcomes)

    def test_dropping_a_criterion_changes_those_it_held_back(self) -> None:
        counts = DiffCounts()
        changes = list(diff(avrr(), without_travel_document_criterion(), rows(), counts))
        # Only the child whose travel document was unknown was held back by that criterion alone.
        assert changes == [Change(5, "undetermined", "eligible", ("travel_document",), 0, 0)]
        assert counts.outcomes[("undetermined", "eligible")] == 1
        assert counts.outcomes[("eligible", "eligible")] == 2
        assert counts.changed == 1

    def test_a_changed_threshold_lists_the_criterion_and_the_cases(self) -> None:
        text = (Path(__file__).parents[2] / "src/crossroads/eligibility/rules/counter_trafficking.yaml").read_text()
        old = load_ruleset(text, source="ct.yaml")
        new = load_ruleset(text.replace("score >= 3", "score >= 5"), source="ct-next.yaml")
        cases = [(1, {"case.identified_by": "self", "screening.trafficking_indicators.score": 4,
                      "case.consent_to_assistance": True}),
                 (2, {"case.identified_by": "self", "screening.trafficking_indicators.score": 6,
                      "case.consent_to_assistance": True}),
                 (3, {"case.identified_by": "ngo", "screening.trafficking_indicators.score": 1,
                      "case.consent_to_assistance": True})]
        counts = DiffCounts()
        changes = list(diff(old, new, cases, counts))
        assert [(c.case_id, c.old_outcome, c.new_outcome, c.changed_criteria) for c in changes] == [
            (1, "eligible", "not_eligible", ("identified_as_victim",))]
        assert counts.criteria == {"identified_as_victim": 1}
        assert counts.to_json()["outcomes"] == [{"old": "eligible", "new": "eligible", "cases": 2},
                                                {"old": "eligible", "new": "not_eligible", "cases": 1}]

    def test_a_priority_change_is_a_change(self) -> None:
        new = load_ruleset(AVRR.replace("points: 10\n    when: \"person.age >= 60\"",
                                        "points: 20\n    when: \"person.age >= 60\""), source="avrr-next.yaml")
        changes = list(diff(avrr(), new, rows()))
        assert [(c.case_id, c.old_priority, c.new_priority, c.old_outcome == c.new_outcome) for c in changes] == [
            (1, 35, 45, True)]

    def test_it_streams(self) -> None:
        # An endless source: the diff must hand out the first change without reading everything first.
        ready, held_back = avrr().personas[0].inputs, avrr().personas[5].inputs

        def endless() -> Iterator[tuple[int, dict]]:
            for i in itertools.count():
                yield i, dict(held_back if i == 7 else ready)

        first = next(diff(avrr(), without_travel_document_criterion(), endless()))
        assert first == Change(7, "undetermined", "eligible", ("travel_document",), 0, 0)

    def test_an_input_of_the_wrong_type_is_unknown_not_a_crash(self) -> None:
        bad = [(1, {**avrr().personas[0].inputs, "screening.return_counselling.wishes_to_return": "yes"})]
        counts = diff_counts(avrr(), without_travel_document_criterion(), bad)
        assert dict(counts.outcomes) == {("undetermined", "undetermined"): 1}
