"""The OpenAPI document as the API answers: our error body on every error status an operation can return.

FastAPI documents FastAPI's own validation error (loc, msg, type) for every operation with parameters, while
web/errors.py answers every error with `ErrorBody` (field, message, type). The document is rewritten once,
when it is first asked for, from what each operation declares: parameters and a body (422), a body (413: the
size limits), a bearer token (401, 403), a record named in the path or the body (404), and the statuses a
route lists itself.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    field: str | None = Field(description="The field at fault, dotted where nested (documents.0.number); "
                                          "null when the request as a whole is refused.")
    message: str = Field(description="What is wrong, in English; it never repeats the value sent.")
    type: str = Field(description="A stable code for programs: control_character, date_format, "
                                         "not_found, conflict, ...")


class ErrorBody(BaseModel):
    """Every error answer of the API. A conflict adds what changed (current_version, changed_fields)."""

    model_config = ConfigDict(extra="allow")
    detail: list[ErrorDetail]


DESCRIPTIONS = {
    "401": "No valid bearer token",
    "403": "Not allowed for this role, office or organisation",
    "404": "No such record, or none that this user may see",
    "409": "The record's state does not allow this, or someone else changed it",
    "413": "The request body or the file is too large",
    "422": "A field is missing or invalid; each problem names its field",
    "429": "Too many failed logins; try again later",
}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_METHODS = ("get", "put", "post", "patch", "delete")


def _error_response(status: str, declared: dict[str, Any] | None) -> dict[str, Any]:
    description = (declared or {}).get("description")
    generic = ("", "Validation Error", HTTPStatus(int(status)).phrase)
    if description is None or description in generic or description.startswith("Additional Response"):
        description = DESCRIPTIONS[status]
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def _names_records(document: dict[str, Any], schema: dict[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    """Whether a body schema refers to records by id (`person_id`, `office_ids`), which may not exist."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return False
        return _names_records(document, document["components"]["schemas"][name], seen | {name})
    if any(key.endswith(("_id", "_ids")) for key in schema.get("properties", {})):
        return True
    nested = [*schema.get("properties", {}).values(), *schema.get("anyOf", []), *schema.get("allOf", [])]
    if isinstance(schema.get("items"), dict):
        nested.append(schema["items"])
    return any(_names_records(document, sub, seen) for sub in nested)


def _statuses(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    parameters = operation.get("parameters", [])
    body = "requestBody" in operation
    statuses = {s for s in operation.get("responses", {}) if s in DESCRIPTIONS}
    if parameters or body:
        statuses.add("422")
    if body:
        statuses.add("413")
    if operation.get("security"):
        statuses |= {"401", "403"}
    bodies = [c.get("schema", {}) for c in operation.get("requestBody", {}).get("content", {}).values()]
    if any(p.get("in") == "path" for p in parameters) or any(_names_records(document, b) for b in bodies):
        statuses.add("404")
    return statuses


def describe_errors(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with every operation's error responses in our error body (changed in place)."""
    for path_item in document.get("paths", {}).values():
        for method in _METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(document, operation):
                responses[status] = _error_response(status, responses.get(status))
            operation["responses"] = dict(sorted(responses.items()))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for model in (ErrorDetail, ErrorBody):
        schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return document


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
