"""The rule language: Kleene three-valued logic, typed references checked at load, no way out to Python."""

from __future__ import annotations

from datetime import date

import pytest

from crossroads.eligibility.language import (
    BOOL,
    DATE,
    LIST,
    NUMBER,
    TEXT,
    UNKNOWN,
    RefType,
    RuleError,
    compile_expression,
)

REFS = {
    "case.a": RefType(BOOL),
    "case.b": RefType(BOOL),
    "case.c": RefType(BOOL),
    "person.age": RefType(NUMBER),
    "person.nationality": RefType(TEXT),
    "case.urgency": RefType(TEXT, frozenset({"routine", "urgent", "emergency"})),
    "case.needs": RefType(LIST, frozenset({"disability", "pregnancy", "older_person"})),
    "case.deadline": RefType(DATE),
    "today": RefType(DATE),
}

T, F, U = True, False, UNKNOWN
VALUES = {T: True, F: False, U: None}


def run(text: str, **inputs: object) -> object:
    return compile_expression(text, refs=REFS)({k.replace("__", "."): v for k, v in inputs.items()})


def error(text: str, *, line: int = 1) -> RuleError:
    with pytest.raises(RuleError) as caught:
        compile_expression(text, refs=REFS, line=line)
    return caught.value


class TestThreeValuedLogic:
    # Kleene's strong three-valued logic, written out rather than computed so that the table is the specification.
    AND = [(T, T, T), (T, F, F), (T, U, U), (F, T, F), (F, F, F), (F, U, F), (U, T, U), (U, F, F), (U, U, U)]
    OR = [(T, T, T), (T, F, T), (T, U, T), (F, T, T), (F, F, F), (F, U, U), (U, T, T), (U, F, U), (U, U, U)]

    @pytest.mark.parametrize(("a", "b", "expected"), AND)
    def test_and(self, a, b, expected) -> None:
        assert run("case.a and case.b", case__a=VALUES[a], case__b=VALUES[b]) is expected

    @pytest.mark.parametrize(("a", "b", "expected"), OR)
    def test_or(self, a, b, expected) -> None:
        assert run("case.a or case.b", case__a=VALUES[a], case__b=VALUES[b]) is expected

    @pytest.mark.parametrize(("a", "expected"), [(T, F), (F, T), (U, U)])
    def test_not(self, a, expected) -> None:
        assert run("not case.a", case__a=VALUES[a]) is expected

    def test_three_operands_and_is_false_as_soon_as_one_is_false(self) -> None:
        assert run("case.a and case.b and case.c", case__c=False) is False
        assert run("case.a and case.b and case.c", case__a=True, case__c=True) is UNKNOWN

    def test_a_comparison_with_a_missing_input_is_unknown(self) -> None:
        assert run("person.age >= 18") is UNKNOWN
        assert run("person.age >= 18 or case.a", case__a=True) is True
        assert run("person.age >= 18 and case.a", case__a=False) is False

    def test_is_known_and_is_missing_are_never_unknown(self) -> None:
        assert run("person.age is known") is False
        assert run("person.age is missing") is True
        assert run("person.age is not missing", person__age=3) is True
        assert run("(person.age >= 18) is known", person__age=30) is True

    def test_unknown_has_no_python_truth_value(self) -> None:
        with pytest.raises(TypeError):
            bool(UNKNOWN)


class TestOperators:
    def test_comparisons_and_arithmetic(self) -> None:
        assert run("person.age * 2 + 1 == 61", person__age=30) is True
        assert run("person.age - 18 < 0", person__age=17) is True
        assert run("-person.age <= -18", person__age=18) is True
        assert run("18 <= person.age", person__age=17) is False
        assert run("person.nationality != \"SYR\"", person__nationality="AFG") is True

    def test_in_a_written_list_and_in_a_list_input(self) -> None:
        assert run('case.urgency in ["urgent", "emergency"]', case__urgency="urgent") is True
        assert run('case.urgency not in ["urgent", "emergency"]', case__urgency="urgent") is False
        assert run('case.urgency in ["urgent"]') is UNKNOWN
        assert run('"pregnancy" in case.needs', case__needs=["pregnancy"]) is True
        assert run('"pregnancy" in case.needs', case__needs=[]) is False
        assert run('"pregnancy" in case.needs') is UNKNOWN

    def test_dates_compare_and_read_from_text(self) -> None:
        assert run('case.deadline < date("2026-12-31")', case__deadline=date(2026, 1, 1)) is True
        assert run('case.deadline < date("2026-12-31")', case__deadline="2027-01-01") is False

    def test_an_input_of_the_wrong_type_is_unknown_not_a_crash(self) -> None:
        assert run("person.age >= 18", person__age="thirty") is UNKNOWN
        assert run("case.a", case__a="yes") is UNKNOWN
        assert run("case.deadline < today", case__deadline="someday", today=date(2026, 1, 1)) is UNKNOWN


class TestFunctions:
    def test_at_least_decides_as_soon_as_it_can(self) -> None:
        text = "at_least(2, case.a, case.b, case.c)"
        assert run(text, case__a=True, case__b=True) is True
        assert run(text, case__a=False, case__b=False) is False
        assert run(text, case__a=True, case__b=False) is UNKNOWN

    def test_count_true_is_unknown_while_an_operand_is(self) -> None:
        assert run("count_true(case.a, case.b)", case__a=True, case__b=True) == 2
        assert run("count_true(case.a, case.b)", case__a=True) is UNKNOWN

    def test_any_of_and_all_of(self) -> None:
        assert run("any_of(case.a, case.b)", case__b=True) is True
        assert run("all_of(case.a, case.b)", case__b=False) is False

    def test_years_since_counts_from_the_given_day(self) -> None:
        text = "years_since(case.deadline)"
        assert run(text, case__deadline=date(2000, 6, 2), today=date(2026, 6, 1)) == 25
        assert run(text, case__deadline=date(2000, 6, 1), today=date(2026, 6, 1)) == 26
        assert run("days_until(case.deadline) <= 14", case__deadline="2026-06-10", today="2026-06-01") is True

    def test_size_and_has_any(self) -> None:
        assert run("size(case.needs) > 1", case__needs=["disability", "pregnancy"]) is True
        assert run('has_any(case.needs, ["disability", "older_person"])', case__needs=["pregnancy"]) is False


class TestReadsAreRecorded:
    def test_evaluate_returns_every_path_the_expression_refers_to(self) -> None:
        expr = compile_expression("case.a or person.age >= 18", refs=REFS)
        value, read = expr.evaluate({"case.a": False, "person.age": 20, "person.nationality": "IRQ"})
        assert value is True
        assert read == {"case.a": False, "person.age": 20}

    def test_a_missing_input_is_recorded_as_none(self) -> None:
        _value, read = compile_expression("case.a and case.b", refs=REFS).evaluate({"case.a": True})
        assert read == {"case.a": True, "case.b": None}


class TestErrorsAtLoad:
    def test_syntax_error_with_line_and_column(self) -> None:
        exc = error("case.a and\n  (person.age > ", line=10)
        assert (exc.line, exc.column) == (11, 17)
        assert "expected a value" in exc.problem

    def test_unknown_reference(self) -> None:
        exc = error("case.a and case.nope")
        assert (exc.line, exc.column) == (1, 12)
        assert "unknown reference 'case.nope'" in exc.problem

    def test_number_compared_with_text(self) -> None:
        exc = error('person.age == "18"')
        assert exc.column == 12
        assert exc.problem == "cannot compare a number with a text"

    def test_a_choice_the_field_does_not_offer(self) -> None:
        assert "'urgnt' is not one of the choices" in error('case.urgency == "urgnt"').problem
        assert "'pregnant' is not one of the choices" in error('"pregnant" in case.needs').problem

    def test_and_needs_truth_values(self) -> None:
        assert error("case.a and person.age").problem == "`and` needs true or false, not a number"

    def test_ordering_texts_is_refused(self) -> None:
        assert "needs numbers or dates" in error('person.nationality < "M"').problem

    def test_the_expression_must_give_what_the_caller_needs(self) -> None:
        with pytest.raises(RuleError, match="must give true or false, not a number"):
            compile_expression("person.age + 1", refs=REFS, kind=BOOL)

    @pytest.mark.parametrize("text", ["", "   "])
    def test_empty(self, text: str) -> None:
        assert error(text).problem == "the expression is empty"

    def test_unterminated_string(self) -> None:
        assert "unexpected character" in error('person.nationality == "SYR').problem

    def test_mixed_list(self) -> None:
        assert "one kind" in error('case.urgency in ["urgent", 3]').problem

    def test_wrong_number_of_arguments(self) -> None:
        assert error("years_since()").problem == "years_since() takes 1 argument, not 0"

    def test_an_invalid_date_literal(self) -> None:
        assert "is not a date" in error('date("2026-02-30")').problem


class TestNoWayOutToPython:
    @pytest.mark.parametrize("text", [
        "case.a.__class__",
        "person.__class__.__bases__",
        "case.__dict__",
        "_private",
    ])
    def test_underscore_names_are_refused(self, text: str) -> None:
        assert "names starting with `_` are not allowed" in error(text).problem

    @pytest.mark.parametrize("text", ['__import__("os")', 'eval("1")', 'open("/etc/passwd")', "getattr(case.a, 'x')"])
    def test_only_whitelisted_functions(self, text: str) -> None:
        assert "unknown function" in error(text).problem

    @pytest.mark.parametrize("text", ["case.a[0]", "case.a; case.b", "lambda: 1", "case.a if case.b else case.c"])
    def test_no_indexing_statements_or_other_syntax(self, text: str) -> None:
        error(text)

    def test_attribute_access_on_a_value_is_an_unknown_reference(self) -> None:
        assert "unknown reference 'person.age.real'" in error("person.age.real").problem


class TestLimits:
    def test_a_very_long_expression_is_refused(self) -> None:
        assert "longer than" in error(" or ".join(["case.a"] * 2000)).problem

    def test_a_deeply_nested_expression_is_refused_not_a_crash(self) -> None:
        assert error("(" * 1500 + "case.a" + ")" * 1500).problem == "the expression is nested too deeply"
