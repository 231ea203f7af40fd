"""Screening instruments: the shipped defaults, the Washington Group cut-off, skip logic and refused answers."""

from __future__ import annotations

from datetime import date

import pytest

from crossroads.eligibility.files import FileError
from crossroads.eligibility.instruments import (
    AnswerError,
    default_instruments,
    load_instrument,
    score,
    screening_inputs,
    validate_answers,
)
from crossroads.eligibility.language import UNKNOWN
from crossroads.programmes.config import Sensitivity

WG_DOMAINS = ("seeing", "hearing", "walking", "cognition", "self_care", "communication")


def wg(**answers: str) -> dict[str, str]:
    return validate_answers(default_instruments()["wg_short_set"], answers)


class TestDefaults:
    def test_the_recognised_tools_ship(self) -> None:
        assert {"trafficking_indicators", "wg_short_set", "uasc_assessment", "medical_protection"} <= set(
            default_instruments())

    def test_every_question_has_a_label_and_a_sensitivity_class_of_the_programmes(self) -> None:
        for inst in default_instruments().values():
            assert inst.version and inst.title and inst.source
            for q in inst.questions:
                assert q.label.strip(), (inst.code, q.code)
                assert q.sensitivity in set(Sensitivity)

    def test_washington_group_short_set_has_its_six_domains_and_four_answers(self) -> None:
        inst = default_instruments()["wg_short_set"]
        assert tuple(q.code for q in inst.questions) == WG_DOMAINS
        for q in inst.questions:
            assert [c.value for c in q.choices] == ["no_difficulty", "some_difficulty", "a_lot_of_difficulty",
                                                    "cannot_do_at_all"]

    def test_trafficking_indicators_cover_the_iom_indicators(self) -> None:
        codes = {q.code for q in default_instruments()["trafficking_indicators"].questions}
        assert {"recruited_by_deception", "deceived_about_work", "documents_withheld", "restricted_movement",
                "debt_bondage", "threats_or_violence", "no_pay", "excessive_hours"} <= codes
        assert all(q.sensitivity is Sensitivity.HIGHLY_SENSITIVE
                   for q in default_instruments()["trafficking_indicators"].questions)


class TestWashingtonGroupCutOff:
    inst = default_instruments()["wg_short_set"]

    def disability(self, answers: dict[str, str]) -> object:
        return score(self.inst, answers).results["disability"]

    def test_some_difficulty_everywhere_is_not_a_disability(self) -> None:
        assert self.disability(wg(**dict.fromkeys(WG_DOMAINS, "some_difficulty"))) is False

    @pytest.mark.parametrize("answer", ["a_lot_of_difficulty", "cannot_do_at_all"])
    @pytest.mark.parametrize("domain", WG_DOMAINS)
    def test_a_lot_of_difficulty_or_cannot_do_in_one_domain_is(self, domain: str, answer: str) -> None:
        answers = dict.fromkeys(WG_DOMAINS, "no_difficulty") | {domain: answer}
        assert self.disability(wg(**answers)) is True

    def test_one_domain_settles_it_even_with_others_unanswered(self) -> None:
        assert self.disability(wg(walking="cannot_do_at_all")) is True

    def test_an_unanswered_domain_leaves_it_unknown(self) -> None:
        answers = dict.fromkeys(WG_DOMAINS[:5], "no_difficulty")
        assert self.disability(wg(**answers)) is UNKNOWN
        assert screening_inputs(self.inst, wg(**answers))["screening.wg_short_set.disability"] is None

    def test_the_score_adds_the_points_of_each_answer(self) -> None:
        result = score(self.inst, wg(seeing="some_difficulty", hearing="cannot_do_at_all"))
        assert result.score == 4
        assert result.parts == [("seeing", 1), ("hearing", 3)]


class TestSkipLogic:
    uasc = default_instruments()["uasc_assessment"]
    medical = default_instruments()["medical_protection"]

    def test_an_answer_to_a_skipped_question_is_refused_naming_it(self) -> None:
        with pytest.raises(AnswerError) as caught:
            validate_answers(self.uasc, {"age_documented": True, "age": 15, "estimated_age": 14})
        assert caught.value.question == "estimated_age"
        assert "skipped" in str(caught.value)

    def test_the_question_a_previous_answer_opens_is_accepted(self) -> None:
        assert validate_answers(self.uasc, {"age_documented": "no", "estimated_age": "15"}) == {
            "age_documented": False, "estimated_age": 15}

    def test_a_question_whose_condition_is_unknown_is_skipped(self) -> None:
        with pytest.raises(AnswerError, match="^age:"):
            validate_answers(self.uasc, {"age": 15})

    def test_skip_rules_may_read_the_person(self) -> None:
        assert validate_answers(self.medical, {"pregnant": True}, person={"person.sex": "female"}) == {"pregnant": True}
        with pytest.raises(AnswerError, match="^pregnant:"):
            validate_answers(self.medical, {"pregnant": True}, person={"person.sex": "male"})


class TestRefusedAnswers:
    inst = default_instruments()["trafficking_indicators"]

    def test_an_unknown_question(self) -> None:
        with pytest.raises(AnswerError) as caught:
            validate_answers(self.inst, {"debt_bondage": True, "favourite_colour": "blue"})
        assert caught.value.question == "favourite_colour"
        assert caught.value.problem.msgid == "is not a question of %(instrument)s"

    @pytest.mark.parametrize(("question", "value", "problem"), [
        ("debt_bondage", "maybe", "must be yes or no"),
        ("debt_bondage", 1, "must be yes or no"),
    ])
    def test_a_wrong_type(self, question: str, value: object, problem: str) -> None:
        with pytest.raises(AnswerError) as caught:
            validate_answers(self.inst, {question: value})
        assert (caught.value.question, str(caught.value.problem)) == (question, problem)

    def test_a_choice_not_offered_and_a_number_that_is_not_one(self) -> None:
        with pytest.raises(AnswerError, match="^seeing: must be one of no_difficulty"):
            wg(seeing="blind")
        with pytest.raises(AnswerError, match="^estimated_age: must be a number"):
            validate_answers(default_instruments()["uasc_assessment"],
                             {"age_documented": False, "estimated_age": "fifteen"})

    def test_unanswered_questions_are_allowed(self) -> None:
        assert validate_answers(self.inst, {"debt_bondage": None, "no_pay": ""}) == {}


class TestFindings:
    def test_trafficking_score_counts_the_indicators_present(self) -> None:
        inst = default_instruments()["trafficking_indicators"]
        answers = validate_answers(inst, {"debt_bondage": "yes", "no_pay": "yes", "excessive_hours": "no",
                                          "documents_withheld": True})
        inputs = screening_inputs(inst, answers)
        assert inputs["screening.trafficking_indicators.score"] == 3
        assert inputs["screening.trafficking_indicators.indicators_present"] == 3
        assert inputs["screening.trafficking_indicators.restricted_movement"] is None

    @pytest.mark.parametrize(("answers", "separated", "unaccompanied"), [
        ({"age_documented": True, "age": 15, "with_parent_or_usual_caregiver": False,
          "with_other_adult_relative": True}, True, False),
        ({"age_documented": False, "estimated_age": 13, "with_parent_or_usual_caregiver": False,
          "with_other_adult_relative": False}, False, True),
        ({"age_documented": True, "age": 15, "with_parent_or_usual_caregiver": True}, False, False),
        ({"age_documented": True, "age": 19, "with_parent_or_usual_caregiver": False,
          "with_other_adult_relative": False}, False, False),
    ])
    def test_separated_and_unaccompanied_children(self, answers, separated, unaccompanied) -> None:
        inst = default_instruments()["uasc_assessment"]
        results = score(inst, validate_answers(inst, answers)).results
        assert (results["separated"], results["unaccompanied"]) == (separated, unaccompanied)

    def test_dates_are_typed(self) -> None:
        inst = load_instrument(
            "code: visits\nversion: 1\ntitle: Visits\nquestions:\n"
            "  - {code: last_visit, label: Last visit, type: date, sensitivity: personal}\n", source="visits.yaml")
        assert validate_answers(inst, {"last_visit": "2026-03-01"}) == {"last_visit": date(2026, 3, 1)}


class TestMalformedInstrument:
    def test_a_yaml_syntax_error_names_its_line(self) -> None:
        with pytest.raises(FileError) as caught:
            load_instrument("code: x\nversion: 1\ntitle: X\nquestions:\n  - code: a\n   label: [unclosed\n",
                            source="x.yaml")
        assert caught.value.line == 6
        assert "not valid YAML" in caught.value.problem

    def test_skip_logic_may_not_look_at_a_later_question(self) -> None:
        text = ("code: x\nversion: 1\ntitle: X\nquestions:\n"
                "  - code: a\n    label: A\n    type: yes_no\n    show_if: \"screening.x.b == true\"\n"
                "  - code: b\n    label: B\n    type: yes_no\n")
        with pytest.raises(FileError) as caught:
            load_instrument(text, source="x.yaml")
        assert caught.value.line == 8
        assert "unknown reference 'screening.x.b'" in caught.value.problem

    def test_an_unknown_sensitivity_class(self) -> None:
        text = "code: x\nversion: 1\ntitle: X\nquestions:\n  - {code: a, label: A, type: yes_no, sensitivity: secret}\n"
        with pytest.raises(FileError, match="sensitivity must be one of general, personal"):
            load_instrument(text, source="x.yaml")
