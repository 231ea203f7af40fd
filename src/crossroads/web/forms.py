"""Form helpers for the HTML views: CSRF-checked form data and pydantic errors mapped to fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from crossroads.kit.errors import Forbidden
from crossroads.kit.i18n import N_, Message
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


def first_error(exc: ValidationError) -> Message:
    """The first field error as one message naming its field, for a page that shows one error for a form."""
    field, problem = next(iter(field_errors(exc).items()))
    return Message(N_("%(where)s: %(problem)s"), {"where": field, "problem": problem})


def text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def lines(form: FormData, name: str) -> list[str]:
    return [line.strip() for line in (text(form, name) or "").splitlines() if line.strip()]


def form_page_on_get(router: APIRouter, path: str, target: str) -> None:
    """Answer a GET on a URL that only takes a form's POST with a redirect to the page that shows the form.

    A refused form is shown again by its POST's answer, at the POST's URL: reloading that page, following
    the browser's history to it or opening it from a bookmark asks for it with GET, which would otherwise be
    "405 Method Not Allowed". `target` names the path's parameters as `{case_id}`; each is quoted whole, so
    the redirect stays on this site whatever the URL held.
    """

    def show_form(request: Request) -> Response:
        params = {k: quote(str(v), safe="") for k, v in request.path_params.items()}
        return RedirectResponse(target.format(**params), status_code=303)

    router.add_api_route(path, show_form, methods=["GET"], include_in_schema=False)
