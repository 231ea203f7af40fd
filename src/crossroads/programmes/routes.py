"""JSON API for programmes and their configuration versions."""

from __future__ import annotations

from fastapi import APIRouter

from crossroads.auth.deps import ApiUser
from crossroads.auth.policy import require
from crossroads.auth.roles import Action
from crossroads.programmes import service
from crossroads.programmes.schemas import ProgrammeOut, ProgrammeVersionCreate, ProgrammeVersionOut
from crossroads.web.deps import DbSession

router = APIRouter(tags=["programmes"])


@router.get("/programmes", response_model=list[ProgrammeOut])
def list_programmes(session: DbSession, principal: ApiUser):
    require(principal, Action.PROGRAMME_READ)
    return service.list_programmes(session)


@router.get("/programmes/{code}/versions", response_model=list[ProgrammeVersionOut])
def list_programme_versions(code: str, session: DbSession, principal: ApiUser):
    require(principal, Action.PROGRAMME_READ)
    return service.list_versions(session, code)


@router.post("/programmes/{code}/versions", response_model=ProgrammeVersionOut, status_code=201)
def publish_programme_version(code: str, body: ProgrammeVersionCreate, session: DbSession, principal: ApiUser):
    return service.publish_version(session, principal=principal, programme=code, config=body.config,
                                   comment=body.comment)
