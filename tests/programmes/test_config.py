from __future__ import annotations

import copy
import json

import pytest
from pydantic import ValidationError

from crossroads.programmes.config import (
    ANY_STATE,
    FieldErrors,
    ProgrammeConfig,
    TransitionRefused,
    check_reopen,
    check_transition,
    validate_data,
)
from crossroads.programmes.defaults import DEFAULT_CONFIGS

PROGRAMMES = sorted(DEFAULT_CONFIGS)
AVRR_PATH = ["intake", "counselling", "eligibility", "travel_documents", "travel_approved", "departed",
             "reintegration", "closed"]


def config(code: str) -> ProgrammeConfig:
    return ProgrammeConfig.model_validate(DEFAULT_CONFIGS[code])


def walk(cfg: ProgrammeConfig, steps: list[tuple[str, dict]]) -> tuple[str, dict, list]:
    """Fill in each step's fields, then move to its state; return the final state, data and transitions taken."""
    current, data, taken = cfg.initial_state, {}, []
    for to_state, updates in steps:
        data = validate_data(cfg, {**data, **updates})
        taken.append(check_transition(cfg, current, to_state, data))
        current = to_state
    return current, data, taken


def reachable(cfg: ProgrammeConfig) -> set[str]:
    seen, todo = {cfg.initial_state}, [cfg.initial_state]
    while todo:
        for t in cfg.next_states(todo.pop()):
            if t.to_state not in seen:
                seen.add(t.to_state)
                todo.append(t.to_state)
    return seen


def minimal() -> dict:
    return {
        "label": "Test programme",
        "fields": [
            {"name": "country", "label": "Country", "type": "text", "pattern": "^[A-Z]{3}$"},
            {"name": "status", "label": "Status", "type": "choice",
             "choices": [{"value": "open", "label": "Open"}, {"value": "shut", "label": "Shut"}]},
            {"name": "count", "label": "Count", "type": "integer", "min": 0, "max": 10},
            {"name": "amount", "label": "Amount", "type": "number", "min": 0},
            {"name": "when", "label": "When", "type": "date"},
            {"name": "flag", "label": "Flag", "type": "boolean"},
            {"name": "reason", "label": "Reason", "type": "text", "required_when": {"field": "flag", "equals": True}},
            {"name": "tags", "label": "Tags", "type": "multi_choice",
             "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
        ],
        "states": [{"name": "start", "label": "Start"}, {"name": "end", "label": "End", "terminal": True}],
        "initial_state": "start",
        "transitions": [{"from_state": "start", "to_state": "end"}],
    }


class TestDefaultConfigs:
    def test_all_seven_agency_programmes_have_a_default(self):
        assert set(DEFAULT_CONFIGS) == {"counter_trafficking", "avrr", "uasc", "family_reunification",
                                        "labour_mobility", "resettlement", "legal_counselling"}

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_validates_as_a_programme_config(self, code):
        assert config(code).label

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_survives_a_json_round_trip_unchanged(self, code):
        raw = DEFAULT_CONFIGS[code]
        assert json.loads(json.dumps(raw)) == raw
        assert ProgrammeConfig.model_validate(json.loads(json.dumps(raw))) == config(code)

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_initial_state_is_listed_first_and_is_not_terminal(self, code):
        cfg = config(code)
        assert cfg.states[0].name == cfg.initial_state
        assert not cfg.states[0].terminal

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_every_state_is_reachable_and_a_terminal_state_can_be_reached(self, code):
        cfg = config(code)
        seen = reachable(cfg)
        assert seen == {s.name for s in cfg.states}
        assert any(cfg.state(name).terminal for name in seen)

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_every_non_terminal_state_has_a_way_out(self, code):
        cfg = config(code)
        assert all(cfg.next_states(s.name) for s in cfg.states if not s.terminal)

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_has_a_transition_needing_approval(self, code):
        assert any(t.requires_approval for t in config(code).transitions)

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_has_at_least_two_searchable_fields(self, code):
        assert len([f for f in config(code).fields if f.searchable]) >= 2

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_every_field_states_its_sensitivity_deliberately(self, code):
        assert all("sensitivity" in f for f in DEFAULT_CONFIGS[code]["fields"])

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_has_a_services_catalogue(self, code):
        assert config(code).services

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_an_empty_case_is_valid_so_cases_can_be_opened_before_anything_is_known(self, code):
        assert validate_data(config(code), {}) == {}


class TestAvrrWorkflow:
    def test_states_are_the_return_sequence_then_withdrawn(self):
        assert [s.name for s in config("avrr").states] == [*AVRR_PATH, "withdrawn"]

    def test_withdrawn_is_terminal_and_reachable_from_every_open_state(self):
        cfg = config("avrr")
        assert cfg.state("withdrawn").terminal
        for state in AVRR_PATH[:-1]:
            assert check_transition(cfg, state, "withdrawn", {}).from_state == ANY_STATE

    def test_a_case_walks_from_intake_to_closed_filling_required_fields(self):
        cfg = config("avrr")
        final, data, taken = walk(cfg, [
            ("counselling", {"vulnerability": ["medical_condition", "medical_condition"]}),
            ("eligibility", {"country_of_return": "IRQ", "return_destination_city": " Erbil "}),
            ("travel_documents", {"eligibility_decision": "eligible"}),
            ("travel_approved", {"travel_document_type": "emergency_travel_document",
                                 "travel_document_number": "ETD123456"}),
            ("departed", {"departure_date": "2025-03-14", "flight_details": "TK 1234 via IST"}),
            ("reintegration", {"reintegration_plan": "Small grocery business; school fees for two children.",
                               "reintegration_grant_amount": "1500.50"}),
            ("closed", {"closure_reason": "reintegration_completed"}),
        ])
        assert final == "closed" and config("avrr").state(final).terminal
        assert [t.to_state for t in taken] == AVRR_PATH[1:]
        assert [t.to_state for t in taken if t.requires_approval] == ["travel_approved"]
        assert data["vulnerability"] == ["medical_condition"]
        assert data["return_destination_city"] == "Erbil"
        assert data["reintegration_grant_amount"] == 1500.5

    def test_a_closed_case_cannot_be_withdrawn(self):
        with pytest.raises(TransitionRefused):
            check_transition(config("avrr"), "closed", "withdrawn", {})


class TestCounterTraffickingWorkflow:
    def test_a_case_walks_from_identification_to_closed(self):
        cfg = config("counter_trafficking")
        final, data, taken = walk(cfg, [
            ("protection_and_assistance", {"identification_date": "2025-01-09", "identified_by": "labour_inspector",
                                           "country_of_exploitation": "MYS", "type_of_exploitation": ["labour"],
                                           "means_of_control": ["debt_bondage", "document_confiscation"],
                                           "consent_to_assistance": True, "shelter_needed": True}),
            ("recovery", {"risk_assessment": "medium"}),
            ("closed", {"closure_reason": "recovery_completed"}),
        ])
        assert final == "closed" and cfg.state(final).terminal
        assert taken[-1].requires_approval
        assert data["type_of_exploitation"] == ["labour"]

    def test_every_way_to_close_needs_supervisor_approval(self):
        cfg = config("counter_trafficking")
        closings = [t for t in cfg.transitions if t.to_state == "closed"]
        assert closings and all(t.requires_approval for t in closings)

    def test_assistance_cannot_start_without_recorded_consent(self):
        with pytest.raises(TransitionRefused) as refused:
            check_transition(config("counter_trafficking"), "identification", "protection_and_assistance",
                             {"identification_date": "2025-01-09"})
        assert refused.value.missing_fields == ["consent_to_assistance"]

    def test_exploitation_details_are_highly_sensitive(self):
        cfg = config("counter_trafficking")
        assert cfg.field("type_of_exploitation").sensitivity == "highly_sensitive"
        assert cfg.field("means_of_control").sensitivity == "highly_sensitive"


class TestCheckTransition:
    def test_refuses_a_skip_and_names_the_possible_next_states_by_their_labels(self):
        with pytest.raises(TransitionRefused) as refused:
            check_transition(config("avrr"), "intake", "departed", {"departure_date": "2025-03-14"})
        assert refused.value.reason.endswith("possible next states: Return counselling, Withdrawn")

    def test_refuses_entering_a_state_with_a_required_field_missing_and_names_it(self):
        cfg = config("avrr")
        with pytest.raises(TransitionRefused) as refused:
            check_transition(cfg, "travel_approved", "departed", {"country_of_return": "IRQ"})
        assert refused.value.missing_fields == ["departure_date"]
        assert cfg.field("departure_date").label in refused.value.reason

    def test_an_empty_value_counts_as_missing(self):
        with pytest.raises(TransitionRefused) as refused:
            check_transition(config("avrr"), "counselling", "eligibility", {"country_of_return": ""})
        assert refused.value.missing_fields == ["country_of_return"]

    def test_refuses_leaving_a_terminal_state(self):
        cfg = config("avrr")
        with pytest.raises(TransitionRefused) as refused:
            check_transition(cfg, "closed", "intake", {})
        assert refused.value.reason.endswith("the case is closed")
        assert cfg.next_states("closed") == []

    def test_refuses_an_unknown_target_state(self):
        with pytest.raises(TransitionRefused) as refused:
            check_transition(config("avrr"), "intake", "deported", {})
        assert "deported" in refused.value.reason

    def test_returns_the_transition_with_its_approval_flag(self):
        data = {"travel_document_type": "passport"}
        t = check_transition(config("avrr"), "travel_documents", "travel_approved", data)
        assert (t.from_state, t.to_state, t.requires_approval) == ("travel_documents", "travel_approved", True)


class TestValidateData:
    def test_errors_name_every_bad_field(self):
        cfg = ProgrammeConfig.model_validate(minimal())
        with pytest.raises(FieldErrors) as errors:
            validate_data(cfg, {
                "nickname": "x",          # unknown field
                "count": "three",         # wrong type
                "status": "pending",      # not a choice
                "amount": -1,             # below min
                "flag": True,             # makes reason required
                "country": "iraq",        # does not match pattern
                "when": "14/03/2025",     # not ISO date
                "tags": ["a", "c"],       # not a choice
            })
        assert {e.field for e in errors.value.errors} == {
            "nickname", "count", "status", "amount", "reason", "country", "when", "tags"}

    def test_names_the_field_required_by_a_condition_only_when_the_condition_holds(self):
        cfg = config("uasc")
        assert validate_data(cfg, {"guardian_appointed": False}) == {"guardian_appointed": False}
        with pytest.raises(FieldErrors) as errors:
            validate_data(cfg, {"guardian_appointed": True})
        assert [e.field for e in errors.value.errors] == ["guardian_name"]
        assert validate_data(cfg, {"guardian_appointed": True, "guardian_name": "A. Rahimi"})["guardian_name"]

    def test_labour_mobility_fee_amount_is_required_when_fees_were_paid(self):
        with pytest.raises(FieldErrors) as errors:
            validate_data(config("labour_mobility"), {"recruitment_fees_paid": True})
        assert [e.field for e in errors.value.errors] == ["recruitment_fee_amount"]

    def test_rejects_booleans_for_numbers_and_text_for_booleans(self):
        cfg = ProgrammeConfig.model_validate(minimal())
        with pytest.raises(FieldErrors) as errors:
            validate_data(cfg, {"count": True, "flag": "yes"})
        assert {e.field for e in errors.value.errors} == {"count", "flag"}

    def test_rejects_above_max(self):
        with pytest.raises(FieldErrors) as errors:
            validate_data(ProgrammeConfig.model_validate(minimal()), {"count": 11})
        assert [e.field for e in errors.value.errors] == ["count"]

    def test_normalises_values_and_drops_empty_ones(self):
        cfg = ProgrammeConfig.model_validate(minimal())
        clean = validate_data(cfg, {"country": " IRQ ", "count": "4", "amount": 2, "when": "2025-03-14",
                                    "tags": ["b", "b", "a"], "reason": "", "status": None})
        assert clean == {"country": "IRQ", "count": 4, "amount": 2.0, "when": "2025-03-14", "tags": ["b", "a"]}

    def test_default_iso_country_fields_reject_names_and_lowercase(self):
        with pytest.raises(FieldErrors) as errors:
            validate_data(config("avrr"), {"country_of_return": "Iraq"})
        assert [e.field for e in errors.value.errors] == ["country_of_return"]


class TestProgrammeConfigReferences:
    def test_the_minimal_config_is_valid(self):
        assert ProgrammeConfig.model_validate(minimal()).initial_state == "start"

    def test_rejects_a_transition_to_an_unknown_state(self):
        raw = minimal()
        raw["transitions"].append({"from_state": "start", "to_state": "limbo"})
        with pytest.raises(ValidationError, match="limbo"):
            ProgrammeConfig.model_validate(raw)

    def test_rejects_a_transition_from_an_unknown_state(self):
        raw = minimal()
        raw["transitions"].append({"from_state": "limbo", "to_state": "end"})
        with pytest.raises(ValidationError, match="limbo"):
            ProgrammeConfig.model_validate(raw)

    def test_rejects_required_fields_naming_an_unknown_field(self):
        raw = minimal()
        raw["states"][1]["required_fields"] = ["closure_reason"]
        with pytest.raises(ValidationError, match="closure_reason"):
            ProgrammeConfig.model_validate(raw)

    def test_rejects_duplicate_field_names(self):
        raw = minimal()
        raw["fields"].append({"name": "count", "label": "Count again", "type": "integer"})
        with pytest.raises(ValidationError, match="duplicate field names: count"):
            ProgrammeConfig.model_validate(raw)

    def test_rejects_a_choice_field_without_choices(self):
        raw = minimal()
        raw["fields"].append({"name": "colour", "label": "Colour", "type": "choice"})
        with pytest.raises(ValidationError, match="colour"):
            ProgrammeConfig.model_validate(raw)

    def test_rejects_an_initial_state_that_is_not_a_state(self):
        raw = minimal()
        raw["initial_state"] = "begin"
        with pytest.raises(ValidationError, match="begin"):
            ProgrammeConfig.model_validate(raw)

    def test_rejects_required_when_referring_to_an_unknown_field(self):
        raw = minimal()
        raw["fields"][6]["required_when"] = {"field": "ghost", "equals": True}
        with pytest.raises(ValidationError, match="ghost"):
            ProgrammeConfig.model_validate(raw)

    def test_rejects_a_dangling_reference_in_a_default_config(self):
        raw = copy.deepcopy(DEFAULT_CONFIGS["avrr"])
        raw["states"][2]["required_fields"].append("country_of_destination")
        with pytest.raises(ValidationError, match="country_of_destination"):
            ProgrammeConfig.model_validate(raw)
        assert "country_of_destination" not in DEFAULT_CONFIGS["avrr"]["states"][2]["required_fields"]


class TestEndingAndNextStep:
    def test_moves_into_terminal_states_end_the_case(self):
        cfg = config("avrr")
        assert cfg.ends_case("withdrawn") and cfg.ends_case("closed")
        assert not cfg.ends_case("counselling") and not cfg.ends_case("nirvana")

    def test_stages_are_the_working_states_in_order(self):
        assert [s.name for s in config("avrr").stages()] == AVRR_PATH[:-1]

    @pytest.mark.parametrize(("state", "expected"), [
        ("intake", "counselling"),  # not the withdrawal open from every state
        ("eligibility", "travel_documents"),  # not "close as not eligible", listed after it
        ("reintegration", "closed"),  # the only move of its own: closing is what comes next
        ("withdrawn", None),
    ])
    def test_next_step_is_the_first_own_move_that_keeps_the_case_open(self, state, expected):
        step = config("avrr").next_step(state)
        assert (step.to_state if step else None) == expected

    @pytest.mark.parametrize("code", PROGRAMMES)
    def test_every_working_state_has_a_next_step(self, code):
        cfg = config(code)
        assert all(cfg.next_step(s.name) is not None for s in cfg.stages())


class TestCheckReopen:
    def test_goes_back_to_the_state_the_case_left(self):
        reopening = check_reopen(config("avrr"), "withdrawn", "travel_documents")
        assert (reopening.to_state, reopening.requires_approval) == ("travel_documents", False)

    def test_without_a_known_working_state_goes_back_to_the_initial_state(self):
        assert check_reopen(config("avrr"), "withdrawn", None).to_state == "intake"
        assert check_reopen(config("avrr"), "withdrawn", "closed").to_state == "intake"
        assert check_reopen(config("avrr"), "withdrawn", "gone_from_this_version").to_state == "intake"

    def test_the_state_may_name_where_reopening_leads_and_ask_for_approval(self):
        raw = copy.deepcopy(DEFAULT_CONFIGS["avrr"])
        for s in raw["states"]:
            if s["name"] == "withdrawn":
                s.update(reopen_to="counselling", reopen_requires_approval=True)
        reopening = check_reopen(ProgrammeConfig.model_validate(raw), "withdrawn", "travel_documents")
        assert (reopening.to_state, reopening.requires_approval) == ("counselling", True)

    @pytest.mark.parametrize("code", ["counter_trafficking", "uasc"])
    def test_protection_programmes_reopen_only_with_approval(self, code):
        cfg = config(code)
        assert all(check_reopen(cfg, s.name, None).requires_approval for s in cfg.states if s.terminal)

    def test_an_open_case_cannot_be_reopened(self):
        with pytest.raises(TransitionRefused):
            check_reopen(config("avrr"), "counselling", None)

    @pytest.mark.parametrize("state", [
        {"name": "start", "label": "Start", "reopen_to": "start"},
        {"name": "start", "label": "Start", "reopen_requires_approval": True},
    ])
    def test_only_terminal_states_say_how_they_reopen(self, state):
        raw = minimal()
        raw["states"][0] = state
        with pytest.raises(ValidationError, match="only a terminal state"):
            ProgrammeConfig.model_validate(raw)

    @pytest.mark.parametrize("target", ["end", "nowhere"])
    def test_reopen_to_must_name_a_working_state(self, target):
        raw = minimal()
        raw["states"][1] = {"name": "end", "label": "End", "terminal": True, "reopen_to": target}
        with pytest.raises(ValidationError, match="reopen_to"):
            ProgrammeConfig.model_validate(raw)
