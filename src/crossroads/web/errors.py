"""Turn every failure into a clear 4xx that names the field, without echoing what was sent."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import StatementError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crossroads.db.session import refused_by_database_layer
from crossroads.kit.errors import DomainError, Invalid, TooManyAttempts, Unauthenticated
from crossroads.kit.i18n import N_, Message
from crossroads.kit.messages import error_message
from crossroads.web.deps import LoginRequired
from crossroads.web.i18n import localise
from crossroads.web.logs import exception_outline, printable

log = logging.getLogger("crossroads.errors")


def _size(limit: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if limit >= scale and limit % scale == 0:
            return f"{limit // scale} {unit}"
    return f"{limit} bytes"


class BodyTooLarge(StarletteHTTPException):
    """A request body over its limit (web/middleware.py: BodyLimit).

    An HTTPException, so that FastAPI lets it through when it is raised while the body is read, instead of
    turning it into a 400.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, Message(N_("the request body is larger than %(size)s"), {"size": _size(limit)}))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _field(loc: tuple) -> str:
    # ("body", "documents", 0, "number") -> "documents.0.number"; pydantic's input values are dropped
    # on purpose: they may be a person's name or document number.
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or str(loc[0]) if loc else "body"


_INVALID_JSON = N_("the request body is not valid JSON")
_UNREADABLE_BODY = "There was an error parsing the body"


def validation_details(request: Request, exc: RequestValidationError) -> list[dict]:
    """Each field and what is wrong with it, said by the error's type and parameters in the request's language."""
    return [{"field": _field(tuple(err.get("loc", ()))), "message": localise(request, error_message(err)),
             "type": err.get("type")} for err in exc.errors()]


def _detail(exc: StarletteHTTPException) -> str:
    # Kept as it is when it is a string: str() would turn a Message back into plain English.
    return exc.detail if isinstance(exc.detail, str) else str(exc.detail)


def _html_error(request: Request, status: int, message: str, field: str | None = None) -> Response:
    from crossroads.web.templating import render

    return render(request, "error.html", {"status": status, "message": message, "field": field},
                  status_code=status)


def too_large(request: Request, exc: BodyTooLarge) -> Response:
    if _is_api(request):
        detail = {"field": None, "message": localise(request, exc.detail), "type": "too_large"}
        return JSONResponse({"detail": [detail]}, status_code=413)
    return _html_error(request, 413, exc.detail)


def log_unexpected(request: Request, exc: Exception) -> None:
    """Log an unhandled exception by its type, frames and request id (the answer's X-Request-ID)."""
    # Never the message: a database error's quotes the row it refused, e-mail addresses and password hashes included.
    log.error("unhandled %s in request %s on %s %s\n%s", type(exc).__name__,
              getattr(request.state, "request_id", "-"), printable(request.method), printable(request.url.path),
              exception_outline(exc))


def unexpected(request: Request, exc: Exception) -> Response:
    log_unexpected(request, exc)
    if _is_api(request):
        return JSONResponse({"detail": [{"field": None, "message": "internal error", "type": "internal"}]},
                            status_code=500)
    return _html_error(request, 500, "internal error")


def install(app: FastAPI) -> None:
    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        return too_large(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"detail": validation_details(request, exc)}, status_code=422)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if not _is_api(request):
            if isinstance(exc, Unauthenticated):
                return RedirectResponse("/login", status_code=303)
            # An invalid field the page could not show beside its input (a parameter, a hidden field).
            field = exc.field if isinstance(exc, Invalid) else None
            page = _html_error(request, exc.status_code, exc.message, field)
            if isinstance(exc, TooManyAttempts) and exc.retry_after:
                page.headers["Retry-After"] = str(exc.retry_after)
            return page
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        if isinstance(exc, TooManyAttempts) and exc.retry_after:
            headers = {"Retry-After": str(exc.retry_after)}
        details: list[dict[str, str | None]] = [
            {"field": f, "message": localise(request, m), "type": exc.code} for f, m in exc.errors
        ] or [{"field": exc.field, "message": localise(request, exc.message), "type": exc.code}]
        return JSONResponse({"detail": details, **exc.extra}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> Response:
        # A refusal raised while SQLAlchemy prepared a statement (db/session.py) arrives wrapped in its error.
        if (refusal := refused_by_database_layer(exc)) is not None:
            return await _domain(request, refusal)
        return await _unexpected(request, exc)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> Response:
        message = N_("someone else changed this record; reload it and apply your change again")
        if not _is_api(request):
            return _html_error(request, 409, message)
        return JSONResponse({"detail": [{"field": "version", "message": localise(request, message),
                                         "type": "conflict"}]},
                            status_code=409)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) and exc.status_code == 400 and exc.detail == _UNREADABLE_BODY:
            # FastAPI's answer to a JSON body that is not UTF-8: invalid JSON like any other (RFC 8259).
            return JSONResponse({"detail": [{"field": "body", "message": localise(request, _INVALID_JSON),
                                             "type": "json_invalid"}]},
                                status_code=422)
        if _is_api(request):
            return JSONResponse({"detail": [{"field": None, "message": localise(request, _detail(exc)),
                                             "type": "http"}]},
                                status_code=exc.status_code, headers=getattr(exc, "headers", None))
        return _html_error(request, exc.status_code, _detail(exc))

    # Reached only by a failure of the middleware itself: web/middleware.py answers every other unhandled
    # exception, so that the server never logs it again with its message.
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return unexpected(request, exc)
