"""The OpenAPI document describes what the API answers: bounded numbers, and our error body on every error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crossroads.web.openapi import ErrorBody

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def document(engine) -> dict[str, Any]:
    from crossroads.app import create_app
    from crossroads.config import Settings
    from tests.conftest import TEST_SECRET

    app = create_app(Settings(database_url="sqlite://", secret_key=TEST_SECRET, mode="test"), engine)
    return app.openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def integer_schemas(document: dict[str, Any], schema: dict[str, Any], where: str,
                    seen: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every integer schema reachable from `schema`, with where it is."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return
        seen = seen | {name}
        schema = resolve(document, schema)
    if schema.get("type") == "integer":
        yield where, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from integer_schemas(document, sub, where, seen)
    for name, sub in schema.get("properties", {}).items():
        yield from integer_schemas(document, sub, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from integer_schemas(document, schema["items"], f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from integer_schemas(document, schema["additionalProperties"], f"{where}{{}}", seen)


class TestNumbers:
    def test_every_integer_parameter_and_body_field_has_bounds(self, document):
        unbounded = []
        for label, operation in operations(document):
            for parameter in operation.get("parameters", []):
                for where, schema in integer_schemas(document, parameter["schema"], parameter["name"], set()):
                    if "maximum" not in schema or "minimum" not in schema:
                        unbounded.append(f"{label} {parameter['in']} {where}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                for where, schema in integer_schemas(document, content.get("schema", {}), "body", set()):
                    if "maximum" not in schema or "minimum" not in schema:
                        unbounded.append(f"{label} {where}")
        assert unbounded == []

    def test_there_are_integer_parameters_to_check(self, document):
        found = [p for _, op in operations(document) for p in op.get("parameters", [])
                 if list(integer_schemas(document, p["schema"], p["name"], set()))]
        assert len(found) >= 15

    def test_row_ids_stop_at_the_integer_column(self, document):
        parameter = document["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["parameters"][0]
        assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, 2**31 - 1)

    def test_dates_are_documented_as_dates(self, document):
        person = document["components"]["schemas"]["PersonCreate"]["properties"]["date_of_birth"]
        assert {"type": "string", "format": "date"} in person["anyOf"]


class TestErrors:
    def test_validation_errors_are_our_error_body(self, document):
        assert "HTTPValidationError" not in document["components"]["schemas"]
        for label, operation in operations(document):
            if operation.get("parameters") or "requestBody" in operation:
                schema = operation["responses"]["422"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, label

    def test_every_error_status_has_the_error_body(self, document):
        for label, operation in operations(document):
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody"), \
                        (label, status)
                    assert response["description"], (label, status)

    def test_the_error_body_is_field_message_type(self, document):
        detail = document["components"]["schemas"]["ErrorDetail"]
        assert set(detail["required"]) == {"field", "message", "type"}

    def test_protected_operations_document_the_bearer_token_and_its_refusals(self, document):
        assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
        for label, operation in operations(document):
            if label == "POST /api/v1/auth/token":
                assert "security" not in operation
                assert {"401", "422", "429"} <= set(operation["responses"])
                continue
            assert operation.get("security") == [{"HTTPBearer": []}], label
            assert {"401", "403"} <= set(operation["responses"]), label

    def test_path_parameters_document_404_and_bodies_413(self, document):
        for label, operation in operations(document):
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                assert "404" in operation["responses"], label
            if "requestBody" in operation:
                assert "413" in operation["responses"], label

    def test_conflicts_stay_documented_where_routes_declare_them(self, document):
        assert "409" in document["paths"]["/api/v1/cases/{case_id}"]["patch"]["responses"]


class TestAnswersMatchTheDocument:
    def test_a_validation_error_is_an_error_body(self, client, cw):
        response = client.post("/api/v1/people", json={"given_name": "\u0000"}, headers=cw)
        assert response.status_code == 422
        body = ErrorBody.model_validate(response.json())
        assert {d.field for d in body.detail} >= {"given_name", "family_name"}

    def test_an_unauthenticated_answer_is_an_error_body(self, client):
        response = client.get("/api/v1/dashboard/me")
        assert response.status_code == 401
        assert ErrorBody.model_validate(response.json()).detail[0].type == "unauthenticated"
