"""The errors services raise: each kind carries its HTTP status and names the field it is about."""

from __future__ import annotations

import pytest

from crossroads.kit.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooManyAttempts, Unauthenticated


class TestKinds:
    @pytest.mark.parametrize(("kind", "status", "code"), [
        (DomainError, 400, "bad_request"),
        (Unauthenticated, 401, "unauthenticated"),
        (Forbidden, 403, "forbidden"),
        (NotFound, 404, "not_found"),
        (Conflict, 409, "conflict"),
        (Invalid, 422, "invalid"),
        (TooManyAttempts, 429, "too_many_attempts"),
    ])
    def test_each_kind_has_its_status_and_code(self, kind, status, code):
        error = kind("went wrong", field="name")
        assert (error.status_code, error.code) == (status, code)
        assert isinstance(error, DomainError)
        assert (str(error), error.message, error.field, error.errors, error.extra) == (
            "went wrong", "went wrong", "name", [], {})


class TestTooManyAttempts:
    def test_carries_the_wait_in_whole_seconds_for_the_client(self):
        error = TooManyAttempts("too many failed logins; try again in 30 seconds", retry_after=30)
        assert (error.status_code, error.retry_after, error.extra) == (429, 30, {"retry_after": 30})


class TestWithin:
    def test_names_the_fields_inside_the_part_of_the_request(self):
        error = Invalid("bad", field="programme", errors=[("opened_on", "in the future")]).within("case")
        assert (error.field, error.errors) == ("case.programme", [("case.opened_on", "in the future")])

    def test_an_error_about_no_field_is_about_the_part(self):
        assert Invalid("bad").within("case").field == "case"

    def test_parts_nest(self):
        error = Invalid("bad", field="number").within("documents.0").within("person")
        assert error.field == "person.documents.0.number"
