"""`crossroads rules test | check | explain | list`, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossroads.eligibility.cli import app
from crossroads.programmes.defaults import DEFAULT_CONFIGS
from tests.helpers import run_cli

RULES = Path(__file__).parents[2] / "src/crossroads/eligibility/rules"
runner = CliRunner()


def rules(*args: str):
    return runner.invoke(app, list(args))


def broken_persona(tmp_path: Path) -> Path:
    text = (RULES / "avrr.yaml").read_text(encoding="utf-8")
    # The persona who does not want to return is now expected to be eligible: the rules must say otherwise.
    marker = "  - name: Does not want to return\n"
    start = text.index(marker)
    end = text.index("expected: not_eligible", start)
    path = tmp_path / "avrr.yaml"
    path.write_text(text[:end] + "expected: eligible" + text[end + len("expected: not_eligible"):], encoding="utf-8")
    return path


class TestRulesTest:
    @pytest.mark.parametrize("programme", sorted(DEFAULT_CONFIGS))
    def test_every_shipped_programme_passes(self, programme: str) -> None:
        result = rules("test", programme)
        assert result.exit_code == 0, result.output
        assert "personas pass" in result.output

    def test_through_the_crossroads_command(self) -> None:
        result = run_cli(["rules", "test", "counter_trafficking"], {})
        assert result.returncode == 0, result.stderr
        assert "5 personas pass" in result.stdout

    def test_a_broken_persona_exits_1_naming_it(self, tmp_path: Path) -> None:
        path = broken_persona(tmp_path)
        result = run_cli(["rules", "test", "avrr", "--file", str(path)], {})
        assert result.returncode == 1
        assert "MISMATCH" in result.stdout
        assert "'Does not want to return' expected eligible" in result.stderr
        assert "got not_eligible" in result.stderr
        assert "1 of 6 personas do not get what they expect" in result.stderr

    def test_a_malformed_file_exits_2_with_its_line(self, tmp_path: Path) -> None:
        text = (RULES / "avrr.yaml").read_text(encoding="utf-8")
        line = text[:text.index("case.country_of_return is known")].count("\n") + 1
        path = tmp_path / "avrr.yaml"
        path.write_text(text.replace("case.country_of_return is known", "case.country_of_retrun is known"),
                        encoding="utf-8")
        result = run_cli(["rules", "test", "avrr", "--file", str(path)], {})
        assert result.returncode == 2
        assert f"line {line}:" in result.stderr
        assert "unknown reference 'case.country_of_retrun'" in result.stderr

    def test_a_yaml_syntax_error_exits_2_with_its_line(self, tmp_path: Path) -> None:
        path = tmp_path / "avrr.yaml"
        path.write_text('programme: avrr\nversion: "1"\ncriteria:\n  - code: x\n    when: "a\n', encoding="utf-8")
        result = rules("test", "avrr", "--file", str(path))
        assert result.exit_code == 2
        assert "line 5: not valid YAML" in result.output

    def test_a_file_of_another_programme_is_refused(self) -> None:
        result = rules("test", "avrr", "--file", str(RULES / "uasc.yaml"))
        assert result.exit_code == 2
        assert "the rule set of 'uasc', not of 'avrr'" in result.output

    def test_a_programme_without_rules_is_refused(self) -> None:
        result = rules("test", "astrology")
        assert result.exit_code == 2
        assert "no rule set is shipped for 'astrology'" in result.output


class TestRulesCheck:
    def test_a_good_file(self) -> None:
        result = rules("check", str(RULES / "counter_trafficking.yaml"))
        assert result.exit_code == 0, result.output
        assert "counter_trafficking 2026.1, 3 criteria" in result.output

    def test_an_instrument_file(self) -> None:
        result = rules("check", str(RULES.parent / "instruments/wg_short_set.yaml"))
        assert result.exit_code == 0, result.output
        assert "instrument wg_short_set WG-SS 2020, 6 questions, findings: disability" in result.output

    def test_a_bad_instrument_file(self, tmp_path: Path) -> None:
        path = tmp_path / "i.yaml"
        path.write_text("code: i\nversion: 1\ntitle: I\nquestions:\n  - {code: a, label: A, type: maybe}\n")
        result = rules("check", str(path))
        assert result.exit_code == 2
        assert "line 5: type must be one of yes_no, choice, number, date, text, not 'maybe'" in result.output

    def test_a_missing_file(self, tmp_path: Path) -> None:
        result = rules("check", str(tmp_path / "nope.yaml"))
        assert result.exit_code == 2
        assert "cannot be read" in result.output

    def test_a_bad_file_names_line_and_problem(self, tmp_path: Path) -> None:
        path = tmp_path / "r.yaml"
        path.write_text('programme: avrr\nversion: "1"\ncriteria:\n  - code: x\n    when: "person.age > \'ten\'"\n'
                        '    met: a\n    not_met: b\n    unknown: c\n', encoding="utf-8")
        result = run_cli(["rules", "check", str(path)], {})
        assert result.returncode == 2
        assert "line 5: column 23: cannot compare a number with a text" in result.stderr


class TestRulesExplain:
    def test_says_each_criterion_in_plain_language(self) -> None:
        inputs = {"case.country_of_return": "IRQ", "screening.return_counselling.wishes_to_return": False,
                  "person.age": 66}
        result = rules("explain", "avrr", "--inputs", json.dumps(inputs))
        assert result.exit_code == 0, result.output
        assert "Not eligible" in result.output
        assert "You said you do not want to return home now." in result.output
        assert "You will return to IRQ." in result.output
        assert "+10  You are 66 years old." in result.output

    def test_in_the_persons_language(self) -> None:
        result = rules("explain", "avrr", "--lang", "fr", "--inputs", '{"case.country_of_return": "IRQ"}')
        assert result.exit_code == 0, result.output
        assert "Pays de votre retour : IRQ." in result.output
        assert "Nous ne vous avons pas encore demandé si vous voulez rentrer chez vous" in result.output

    def test_an_unknown_language_is_refused(self) -> None:
        result = rules("explain", "avrr", "--lang", "xx", "--inputs", "{}")
        assert result.exit_code == 2
        assert "--lang: must be one of en, fr, ar, es" in result.output

    def test_reads_inputs_from_a_file(self, tmp_path: Path) -> None:
        path = tmp_path / "inputs.json"
        path.write_text(json.dumps({"case.identified_by": "law_enforcement", "case.consent_to_assistance": True}))
        result = rules("explain", "counter_trafficking", "--inputs", f"@{path}")
        assert result.exit_code == 0, result.output
        assert ": Eligible" in result.output and "You have agreed to receive assistance" in result.output

    @pytest.mark.parametrize(("inputs", "problem"), [
        ("{not json", "--inputs: not valid JSON"),
        ("[1, 2]", "--inputs: must be a JSON object"),
        ('{"person.shoe_size": 44}', "--inputs: person.shoe_size: is not an input"),
        ('{"person.age": "old"}', "--inputs: person.age: must be a number"),
    ])
    def test_bad_inputs_exit_2_naming_them(self, inputs: str, problem: str) -> None:
        result = rules("explain", "avrr", "--inputs", inputs)
        assert result.exit_code == 2
        assert problem in result.output


class TestRulesList:
    def test_lists_rule_sets_and_instruments(self) -> None:
        result = rules("list")
        assert result.exit_code == 0
        for code in [*DEFAULT_CONFIGS, "wg_short_set", "trafficking_indicators"]:
            assert code in result.output
