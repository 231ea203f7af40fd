"""JSON API of the service directory: search, one service, need categories, and the administrator's edits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from crossroads.auth.deps import ApiUser
from crossroads.db.base import utcnow
from crossroads.directory import service
from crossroads.directory.geo import parse_point
from crossroads.directory.hsds import MAX_ID, language_code
from crossroads.directory.schemas import (
    NeedOut,
    OrganizationLink,
    OrganizationLinkOut,
    ServiceDetail,
    ServicePage,
    ServiceSummary,
    ServiceUpdate,
)
from crossroads.kit.errors import Invalid
from crossroads.kit.i18n import N_
from crossroads.web.deps import DbSession

router = APIRouter(tags=["directory"])

NOT_A_LANGUAGE = N_("must be an ISO 639-1 language code, such as ar or fr")
HsdsId = Annotated[str, Path(min_length=1, max_length=MAX_ID)]


def search_query(need: str | None, near: str | None, language: str | None, open_now: bool, page: int,
                 per_page: int) -> service.SearchQuery:
    """The search as the API and the page take it: `near` as LAT,LON, language as ISO 639-1."""
    point = None
    if near:
        try:
            point = parse_point(near)
        except ValueError as exc:
            raise Invalid(str(exc), field="near") from None
    if language:
        if len(language) != 2 or language_code(language) != language.lower():
            raise Invalid(NOT_A_LANGUAGE, field="language")
        language = language.lower()
    return service.SearchQuery(need=need or None, near=point, language=language or None, open_now=open_now,
                               page=page, per_page=per_page)


@router.get("/services", response_model=ServicePage)
def search_services(
    session: DbSession, principal: ApiUser,
    need: Annotated[str | None, Query(max_length=250, description="A taxonomy term code: a shipped need "
                                      "category (legal_aid, shelter…) or an imported term's.")] = None,
    near: Annotated[str | None, Query(max_length=60, description="LAT,LON in decimal degrees: nearest first, "
                                      "with the distance.")] = None,
    language: Annotated[str | None, Query(max_length=2, description="ISO 639-1 code.")] = None,
    open_now: Annotated[bool, Query(description="Only services open at this moment by their weekly hours.")] = False,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
):
    query = search_query(need, near, language, open_now, page, per_page)
    items, more = service.search_services(session, principal=principal, query=query, now=utcnow())
    return ServicePage(items=[ServiceSummary.model_validate(i) for i in items], page=page, per_page=per_page,
                       next_page=page + 1 if more else None)


@router.get("/services/{service_id}", response_model=ServiceDetail)
def get_service(service_id: HsdsId, session: DbSession, principal: ApiUser):
    return service.get_service(session, principal=principal, service_id=service_id)


@router.patch("/services/{service_id}", response_model=ServiceDetail)
def update_service(service_id: HsdsId, body: ServiceUpdate, session: DbSession, principal: ApiUser):
    service.update_service(session, principal=principal, service_id=service_id,
                           acknowledgement_hours=body.acknowledgement_hours)
    return service.get_service(session, principal=principal, service_id=service_id)


@router.get("/directory/needs", response_model=list[NeedOut])
def list_needs(session: DbSession, principal: ApiUser):
    return service.needs(session, principal=principal)


@router.patch("/directory/organizations/{organization_id}", response_model=OrganizationLinkOut)
def link_organization(organization_id: HsdsId, body: OrganizationLink, session: DbSession, principal: ApiUser):
    org = service.link_partner(session, principal=principal, organization_id=organization_id,
                               partner_organisation_id=body.partner_organisation_id)
    return OrganizationLinkOut(id=org.id, name=org.name, partner_organisation_id=org.partner_organisation_id)
