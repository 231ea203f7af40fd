"""The policy's answers: actions only as Action values, pages reading `allowed`, four eyes in one place."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from jinja2 import Environment

from crossroads.auth.policy import (
    GRANTS,
    Allowed,
    Principal,
    UnknownAction,
    holds_case,
    may_decide_approval,
    may_decide_release,
    may_edit_person,
    readable_sensitivities,
)
from crossroads.auth.roles import Action, Role

SRC = Path(__file__).resolve().parents[2] / "src" / "crossroads"


def principal(role: Role, user_id: uuid.UUID | None = None) -> Principal:
    return Principal(user_id=user_id or uuid.uuid4(), role=role, organisation_id=uuid.uuid4(),
                     office_ids=frozenset({uuid.uuid4()}))


class TestMay:
    @pytest.mark.parametrize("role", list(Role))
    def test_answers_the_grants_of_the_role(self, role):
        p = principal(role)
        assert {a for a in Action if p.may(a)} == GRANTS[role]

    def test_a_misspelt_action_raises_rather_than_being_silently_denied(self):
        with pytest.raises(ValueError, match="case.aprove"):
            principal(Role.SUPERVISOR).may("case.aprove")  # type: ignore[arg-type]


class TestAllowed:
    @pytest.mark.parametrize("role", list(Role))
    def test_every_action_reads_as_an_attribute(self, role):
        allowed = Allowed(principal(role))
        assert {a for a in Action if getattr(allowed, a.name.lower())} == GRANTS[role]

    def test_nobody_signed_in_may_nothing(self):
        assert not any(getattr(Allowed(None), a.name.lower()) for a in Action)

    def test_a_misspelt_action_in_a_template_fails_the_render(self):
        env = Environment(autoescape=True)
        allowed = Allowed(principal(Role.SUPERVISOR))
        assert env.from_string("{% if allowed.case_approve %}yes{% endif %}").render(allowed=allowed) == "yes"
        with pytest.raises(UnknownAction):
            env.from_string("{% if allowed.case_aprove %}yes{% endif %}").render(allowed=allowed)

    def test_templates_ask_only_for_the_policys_answers(self):
        # Role names, `may("...")` strings and user-id comparisons in a template are decisions made twice.
        offending = {
            str(path.relative_to(SRC)): line
            for path in SRC.rglob("templates/**/*.html")
            for line in path.read_text(encoding="utf-8").splitlines()
            if re.search(r"\.may\(|principal\.(role|user_id)|(requested_by|prepared_by)\s*[!=]=", line)
        }
        assert offending == {}


class TestFourEyes:
    def test_a_supervisor_decides_others_requests_not_their_own(self):
        me = principal(Role.SUPERVISOR)
        assert may_decide_approval(me, uuid.uuid4())
        assert may_decide_approval(me, None)
        assert not may_decide_approval(me, me.user_id)
        assert not may_decide_approval(principal(Role.CASEWORKER), uuid.uuid4())

    def test_a_dpo_decides_releases_prepared_by_someone_else(self):
        dpo = principal(Role.DPO)
        assert may_decide_release(dpo, uuid.uuid4())
        assert not may_decide_release(dpo, dpo.user_id)
        assert not may_decide_release(principal(Role.DATA_OFFICER), uuid.uuid4())


class TestReadableSensitivities:
    @pytest.mark.parametrize(("role", "holder", "classes"), [
        (Role.CASEWORKER, True, {"general", "personal", "sensitive", "highly_sensitive"}),
        (Role.CASEWORKER, False, {"general", "personal"}),
        (Role.SUPERVISOR, False, {"general", "personal", "sensitive", "highly_sensitive"}),
        (Role.PARTNER, True, set()),
        (Role.DATA_OFFICER, True, set()),
        (Role.DPO, True, set()),
        (Role.ADMIN, True, set()),
    ])
    def test_need_to_know_by_role_and_holding(self, role, holder, classes):
        assert readable_sensitivities(principal(role), holder=holder) == classes

    def test_a_case_is_held_by_the_user_it_is_assigned_to(self):
        p = principal(Role.CASEWORKER)
        assert holds_case(p, p.user_id) and not holds_case(p, uuid.uuid4()) and not holds_case(p, None)


class TestMayEditPerson:
    @pytest.mark.parametrize(("role", "own_office", "allowed"), [
        (Role.CASEWORKER, True, True), (Role.CASEWORKER, False, False),
        (Role.SUPERVISOR, True, True), (Role.SUPERVISOR, False, True),
        (Role.PARTNER, True, False), (Role.DATA_OFFICER, True, False), (Role.DPO, True, False),
        (Role.ADMIN, True, False),
    ])
    def test_the_persons_office_or_a_supervisor(self, role, own_office, allowed):
        p = principal(role)
        office = next(iter(p.office_ids)) if own_office else uuid.uuid4()
        assert may_edit_person(p, office) is allowed


def test_every_action_has_the_words_its_refusal_says() -> None:
    from crossroads.auth.roles import ACTION_LABELS

    assert set(ACTION_LABELS) == set(Action)
