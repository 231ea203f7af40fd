"""HTML pages for administrators: programmes and their configuration versions."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from crossroads.auth.deps import UiUser
from crossroads.auth.policy import require
from crossroads.auth.roles import Action
from crossroads.db.session import attempt
from crossroads.kit.errors import DomainError, Invalid
from crossroads.kit.i18n import N_, Message
from crossroads.programmes import service as programmes
from crossroads.programmes.defaults import DEFAULT_CONFIGS
from crossroads.programmes.models import Programme, ProgrammeVersion
from crossroads.web.deps import DbSession
from crossroads.web.forms import Form, text
from crossroads.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/programmes")
def programme_list(request: Request, session: DbSession, principal: UiUser) -> Response:
    require(principal, Action.PROGRAMME_MANAGE)
    rows = session.execute(
        select(Programme, ProgrammeVersion)
        .outerjoin(ProgrammeVersion, ProgrammeVersion.id == Programme.current_version_id)
        .order_by(Programme.code)
    ).all()
    return render(request, "programmes/programmes.html", {"rows": rows})


@router.get("/admin/programmes/new")
def programme_new(request: Request, code: str, principal: UiUser) -> Response:
    require(principal, Action.PROGRAMME_MANAGE)
    return RedirectResponse(f"/admin/programmes/{code.strip().lower()}", status_code=303)


def _page(request: Request, session: DbSession, code: str, *, config_json: str | None = None, comment: str = "",
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    prog = session.get(Programme, code)
    current = session.get(ProgrammeVersion, prog.current_version_id) if prog and prog.current_version_id else None
    config = programmes.config_of(current) if current else None
    if config_json is None:
        # A new programme starts from a copy of a default one, to edit rather than write from nothing.
        source = current.config if current else DEFAULT_CONFIGS["legal_counselling"]
        config_json = json.dumps(source, indent=2, ensure_ascii=False)
    return render(request, "programmes/programme_edit.html", {
        "code": code, "current": current, "config": config, "config_json": config_json, "comment": comment,
        "errors": errors or {},
        "versions": programmes.list_versions(session, code),
    }, status_code=status_code)


@router.get("/admin/programmes/{code}")
def programme_page(code: str, request: Request, session: DbSession, principal: UiUser) -> Response:
    require(principal, Action.PROGRAMME_MANAGE)
    return _page(request, session, code)


@router.post("/admin/programmes/{code}")
def publish(code: str, request: Request, form: Form, session: DbSession, principal: UiUser) -> Response:
    raw = text(form, "config") or ""
    with attempt(session) as tried:
        try:
            config = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise Invalid(Message(N_("the configuration is not valid JSON (line %(line)d, column %(column)d)"),
                                  {"line": exc.lineno, "column": exc.colno}), field="config") from None
        if not isinstance(config, dict):
            raise Invalid(N_("the configuration must be a JSON object"), field="config")
        programmes.publish_version(session, principal=principal, programme=code, config=config,
                                   comment=text(form, "comment"))
    if isinstance(refusal := tried.refusal, DomainError):
        field = refusal.field if refusal.field in ("config", "comment") else "form"
        return _page(request, session, code, config_json=raw, comment=text(form, "comment") or "",
                     errors={field: refusal.message}, status_code=refusal.status_code)
    if refusal is not None:
        raise refusal
    return RedirectResponse(f"/admin/programmes/{code}", status_code=303)
