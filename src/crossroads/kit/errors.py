"""Errors a service may raise; the web layer turns them into 4xx answers that name the field."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, errors: list[tuple[str, str]] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # Further (field, message) pairs when one request has several problems.
        self.errors = errors or []
        # Machine-readable context for the client, e.g. what changed under a stale edit.
        self.extra = extra or {}

    def within(self, part: str) -> DomainError:
        """The same error, its fields named inside `part` of a larger request (`case.programme`)."""
        self.field = f"{part}.{self.field}" if self.field else part
        self.errors = [(f"{part}.{f}", m) for f, m in self.errors]
        return self


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    status_code = 401
    code = "unauthenticated"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int | None = None, field: str | None = None) -> None:
        # Whole seconds to wait, answered as the Retry-After header and in the body.
        super().__init__(message, field=field, extra={"retry_after": retry_after} if retry_after else None)
        self.retry_after = retry_after
