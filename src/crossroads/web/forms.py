"""Form helpers for the HTML views: CSRF-checked form data and pydantic errors mapped to fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from pydantic import ValidationError
from starlette.datastructures import FormData

from crossroads.kit.errors import Forbidden
from crossroads.kit.inputs import refuse_control_characters
from crossroads.kit.messages import error_message
from crossroads.web.csrf import check_csrf, csrf_anchor


async def checked_form(request: Request) -> AsyncIterator[FormData]:
    """The posted form, from this site, with no control characters in any field (a textarea's line breaks and
    tabs are kept); the schemas the views build from it check each field further."""
    # Closed after the request: an uploaded file over 1 MiB is spooled to a temporary file, which nothing else closes.
    async with request.form() as form:
        token = form.get("csrf_token")
        if not check_csrf(request.app.state.settings.secret_key, csrf_anchor(request),
                          token if isinstance(token, str) else None):
            raise Forbidden("the form expired or came from another site; reload the page and try again")
        refuse_control_characters(form.multi_items(), unnamed="form")
        yield form


Form = Annotated[FormData, Depends(checked_form)]


def field_errors(exc: ValidationError) -> dict[str, str]:
    """First message per top-level field, for showing beside the input (translated by the template's `_`)."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        key = loc[0] if loc else "form"
        errors.setdefault(key, error_message(err))
    return errors


def text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def lines(form: FormData, name: str) -> list[str]:
    return [line.strip() for line in (text(form, name) or "").splitlines() if line.strip()]
