"""Rule sets: one per shipped programme, their personas, the outcome policy, the trace and refused files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossroads.eligibility.files import FileError
from crossroads.eligibility.personas import run_personas
from crossroads.eligibility.rulesets import (
    ELIGIBLE,
    NOT_ELIGIBLE,
    UNDETERMINED,
    Evaluation,
    InputError,
    check_inputs,
    evaluate,
    load_ruleset,
    outcome_of,
    shipped_programmes,
    shipped_ruleset,
)
from crossroads.kit.i18n import Message
from crossroads.programmes.defaults import DEFAULT_CONFIGS

HEADER = 'programme: avrr\nversion: "t1"\n'
CRITERION = ('criteria:\n'
             '  - code: wishes\n'
             '    when: "screening.return_counselling.wishes_to_return == true"\n'
             '    met: "You want to return."\n'
             '    not_met: "You do not want to return."\n'
             '    unknown: "We did not ask."\n')


def refused(text: str) -> FileError:
    with pytest.raises(FileError) as caught:
        load_ruleset(text, source="test.yaml")
    return caught.value


def shipped(code: str):
    ruleset = shipped_ruleset(code)
    assert ruleset is not None
    return ruleset


class TestShippedRuleSets:
    def test_every_shipped_programme_has_a_rule_set(self) -> None:
        assert shipped_programmes() == sorted(DEFAULT_CONFIGS)

    @pytest.mark.parametrize("code", sorted(DEFAULT_CONFIGS))
    def test_its_personas_pass_and_cover_every_outcome_that_can_happen(self, code: str) -> None:
        results = run_personas(shipped(code))
        assert results and all(r.ok for r in results), [r for r in results if not r.ok]
        assert {ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED} <= {r.expected for r in results}

    @pytest.mark.parametrize("code", sorted(DEFAULT_CONFIGS))
    def test_the_fast_outcome_agrees_with_the_full_evaluation(self, code: str) -> None:
        ruleset = shipped(code)
        for persona in ruleset.personas:
            outcome, statuses = outcome_of(ruleset, persona.inputs)
            ev = evaluate(ruleset, persona.inputs)
            assert (outcome, statuses) == (ev.outcome, tuple(c.status for c in ev.criteria))

    def test_an_input_of_the_wrong_type_makes_only_its_criterion_unknown_in_both(self) -> None:
        ruleset = shipped("avrr")
        inputs = {**ruleset.personas[0].inputs, "screening.return_counselling.wishes_to_return": "yes"}
        ev = evaluate(ruleset, inputs)
        assert outcome_of(ruleset, inputs) == (UNDETERMINED, tuple(c.status for c in ev.criteria))
        assert [c.code for c in ev.criteria if c.status != "met"] == ["wishes_to_return"]

    def test_unknown_programme(self) -> None:
        assert shipped_ruleset("no_such_programme") is None


class TestCounterTraffickingNeverAsksForCooperation:
    def test_no_rule_reads_cooperation_with_the_authorities(self) -> None:
        assert "case.cooperating_with_authorities" not in shipped("counter_trafficking").refs()


class TestOutcomePolicy:
    ruleset = shipped("avrr")
    ready = dict(ruleset.personas[0].inputs)

    def test_every_required_criterion_met_is_eligible(self) -> None:
        assert evaluate(self.ruleset, self.ready).outcome == ELIGIBLE

    def test_one_required_not_met_is_not_eligible_even_with_others_unknown(self) -> None:
        inputs = {"screening.return_counselling.wishes_to_return": False}
        ev = evaluate(self.ruleset, inputs)
        assert ev.outcome == NOT_ELIGIBLE
        assert [c.status for c in ev.criteria].count("unknown") == 4

    def test_unknown_without_not_met_is_undetermined(self) -> None:
        inputs = {k: v for k, v in self.ready.items() if k != "screening.return_counselling.informed_of_options"}
        ev = evaluate(self.ruleset, inputs)
        assert ev.outcome == UNDETERMINED
        assert [c.code for c in ev.criteria if c.status == "unknown"] == ["informed_choice"]

    def test_an_optional_criterion_does_not_decide(self) -> None:
        ruleset = shipped("counter_trafficking")
        inputs = {"case.identified_by": "ngo", "case.consent_to_assistance": True, "case.type_of_exploitation": []}
        ev = evaluate(ruleset, inputs)
        assert ev.outcome == ELIGIBLE
        assert [(c.code, c.status, c.required) for c in ev.criteria][-1] == ("exploitation_recorded", "not_met", False)


class TestTrace:
    def test_each_criterion_says_why_in_a_translatable_message_with_the_value_read(self) -> None:
        ev = evaluate(shipped("avrr"), {"case.country_of_return": "IRQ"})
        country = next(c for c in ev.criteria if c.code == "country_of_return")
        assert country.status == "met"
        assert isinstance(country.reason, Message)
        assert country.reason.msgid == "You will return to %(country_of_return)s."
        assert country.reason.params == {"country_of_return": "IRQ"}
        assert str(country.reason) == "You will return to IRQ."
        assert country.inputs_read == {"case.country_of_return": "IRQ"}
        wishes = ev.criteria[0]
        assert (wishes.status, str(wishes.reason)) == (
            "unknown", "We have not yet asked you whether you want to return home of your own free will.")

    def test_priority_parts_explain_the_score(self) -> None:
        ev = evaluate(shipped("avrr"), {"person.age": 70, "case.vulnerability": ["single_parent"]})
        assert ev.priority.score == 20
        assert [(code, points, str(m)) for code, points, m in ev.priority.parts] == [
            ("older_person", 10, "You are 70 years old."),
            ("single_parent", 10, "You are bringing up children on your own.")]

    def test_inputs_read_lists_everything_consulted(self) -> None:
        ruleset = shipped("avrr")
        ev = evaluate(ruleset, {"person.age": 40, "person.nationality": "IRQ"})
        assert set(ev.inputs_read) == set(ruleset.refs())
        assert "person.nationality" not in ev.inputs_read

    def test_json_round_trip(self) -> None:
        ruleset = shipped("labour_mobility")
        ev = evaluate(ruleset, ruleset.personas[0].inputs)
        stored = json.loads(json.dumps(ev.to_json()))
        assert stored["criteria"][0]["reason"] == {"msgid": "You are %(age)s years old, old enough to take part.",
                                                   "params": {"age": 32}}
        again = Evaluation.from_json(stored)
        assert again.to_json() == stored
        assert again.outcome == ev.outcome
        assert [str(c.reason) for c in again.criteria] == [str(c.reason) for c in ev.criteria]


class TestCheckInputs:
    ruleset = shipped("avrr")

    def test_types_dates_and_accepts_known_paths(self) -> None:
        assert check_inputs(self.ruleset, {"today": "2026-01-02", "person.age": 3}) == {
            "today": __import__("datetime").date(2026, 1, 2), "person.age": 3}

    @pytest.mark.parametrize(("inputs", "path"), [
        ({"case.no_such_field": 1}, "case.no_such_field"),
        ({"person.age": "forty"}, "person.age"),
        ({"case.vulnerability": ["tired"]}, "case.vulnerability"),
        ({"screening.return_counselling.wishes_to_return": "yes"}, "screening.return_counselling.wishes_to_return"),
    ])
    def test_refuses_naming_the_path(self, inputs: dict, path: str) -> None:
        with pytest.raises(InputError) as caught:
            check_inputs(self.ruleset, inputs)
        assert caught.value.path == path


class TestMalformedFiles:
    def test_a_minimal_file_loads(self) -> None:
        ruleset = load_ruleset(HEADER + CRITERION, source="test.yaml")
        assert (ruleset.programme, ruleset.version, len(ruleset.criteria)) == ("avrr", "t1", 1)

    def test_yaml_syntax_error_with_its_line(self) -> None:
        exc = refused(HEADER + CRITERION + "  - code: [broken\n")
        assert exc.line == 9
        assert exc.problem.startswith("not valid YAML")

    def test_unknown_reference_with_its_line_and_column(self) -> None:
        exc = refused(HEADER + CRITERION.replace("wishes_to_return ==", "wants_to_return =="))
        assert exc.line == 5
        assert "column 12: unknown reference 'screening.return_counselling.wants_to_return'" in exc.problem

    def test_a_block_expression_error_is_placed_on_its_own_line(self) -> None:
        text = HEADER + CRITERION.replace(
            '    when: "screening.return_counselling.wishes_to_return == true"\n',
            '    when: >-\n      person.age >= 18\n      and case.country_of_return == 3\n')
        exc = refused(text)
        assert (exc.line, exc.problem) == (7, "column 34: cannot compare a text with a number")

    def test_a_type_error(self) -> None:
        exc = refused(HEADER + CRITERION.replace("== true", "== 3"))
        assert (exc.line, exc.problem) == (5, "column 58: cannot compare true or false with a number")

    def test_a_placeholder_the_rule_does_not_read(self) -> None:
        exc = refused(HEADER + CRITERION.replace("You want to return.", "You go to %(country_of_return)s."))
        assert exc.line == 6
        assert "%(country_of_return)s" in exc.problem

    def test_an_unknown_key(self) -> None:
        exc = refused(HEADER + CRITERION + "    weight: 3\n")
        assert (exc.line, exc.problem.split(";")[0]) == (9, "unknown key 'weight'")

    def test_a_missing_message(self) -> None:
        exc = refused(HEADER + CRITERION.replace('    unknown: "We did not ask."\n', ""))
        assert "'unknown' must be a plain-language message" in exc.problem

    def test_a_programme_that_does_not_exist(self) -> None:
        exc = refused(HEADER.replace("avrr", "astrology") + CRITERION)
        assert exc.line == 1

    def test_a_duplicate_criterion(self) -> None:
        exc = refused(HEADER + CRITERION + CRITERION.removeprefix("criteria:\n"))
        assert (exc.line, exc.problem) == (9, "criterion 'wishes' is given twice")

    def test_a_persona_with_an_unknown_path_or_outcome(self) -> None:
        persona = '\npersonas:\n  - name: P\n    inputs:\n      person.height: 180\n    expected: eligible\n'
        assert refused(HEADER + CRITERION + persona).line == 13
        persona = '\npersonas:\n  - name: P\n    inputs: {}\n    expected: maybe\n'
        assert refused(HEADER + CRITERION + persona).line == 13

    def test_a_shipped_file_with_a_typo_is_refused(self, tmp_path: Path) -> None:
        text = (Path(__file__).parents[2] / "src/crossroads/eligibility/rules/counter_trafficking.yaml").read_text()
        broken = text.replace('case.consent_to_assistance == true', 'case.consent_to_assistence == true')
        exc = refused(broken)
        assert exc.line == text[:text.index("case.consent_to_assistance == true")].count("\n") + 1


class TestHostileFiles:
    def test_aliases_that_multiply_the_file_are_refused(self) -> None:
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
        exc = refused("\n".join(lines) + "\n")
        assert "more than 200000 values" in exc.problem

    def test_a_deeply_nested_file_is_refused_not_a_crash(self) -> None:
        assert refused("[" * 5000 + "]" * 5000).problem == "the file is nested too deeply"
