"""HTML pages of the service directory: the search a caseworker runs with a person in front of them, and one
service's page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from crossroads.auth.deps import UiUser
from crossroads.auth.policy import require
from crossroads.auth.roles import Action
from crossroads.db.base import utcnow
from crossroads.directory import service
from crossroads.directory.hsds import MAX_ID
from crossroads.directory.routes import search_query
from crossroads.directory.taxonomy import BY_CODE
from crossroads.kit.errors import DomainError
from crossroads.web.deps import DbSession
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/directory")
def directory_search(
    request: Request, session: DbSession, principal: UiUser,
    need: Annotated[str | None, Query(max_length=250)] = None,
    near: Annotated[str | None, Query(max_length=60)] = None,
    language: Annotated[str | None, Query(max_length=10)] = None,
    open_now: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    require(principal, Action.DIRECTORY_READ)
    form = {"need": need or "", "near": near or "", "language": language or "", "open_now": open_now}
    searched = any((need, near, language, open_now))
    items: list[dict[str, Any]] = []
    more, error, status = False, None, 200
    if searched:
        try:
            query = search_query(need, near, language, open_now, page, 20)
            items, more = service.search_services(session, principal=principal, query=query, now=utcnow())
        except DomainError as exc:
            error, status = exc, exc.status_code
    return render(request, "directory/search.html", {
        "needs": service.needs(session, principal=principal), "shipped": BY_CODE, "form": form, "items": items,
        "searched": searched, "error": error, "page": page, "more": more,
    }, status_code=status)


@router.get("/directory/services/{service_id}")
def directory_service(service_id: Annotated[str, Path(min_length=1, max_length=MAX_ID)], request: Request,
                      session: DbSession, principal: UiUser) -> Response:
    detail = service.get_service(session, principal=principal, service_id=service_id)
    return render(request, "directory/service.html", {"s": detail, "shipped": BY_CODE})
