"""Programme configuration versions: load, publish, and keep searchable fields indexed."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session, defer

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.kit.errors import Invalid, NotFound
from crossroads.kit.i18n import N_, Message
from crossroads.kit.messages import error_message
from crossroads.programmes.config import ProgrammeConfig, searchable_fields
from crossroads.programmes.models import Programme, ProgrammeVersion

_parsed: dict[tuple, ProgrammeConfig] = {}


def config_of(version: ProgrammeVersion) -> ProgrammeConfig:
    """The version's parsed configuration, parsed once per process: versions are never changed.

    The key includes the creation time and not only the id, so that an id reused after a rolled-back
    publish (or in another database served by the same process) never returns another version's config.
    """
    key = (version.id, version.programme, version.version, version.created_at)
    config = _parsed.get(key)
    if config is None:
        config = _parsed[key] = ProgrammeConfig.model_validate(version.config)
    return config


def get_version(session: Session, version_id: int) -> tuple[ProgrammeVersion, ProgrammeConfig]:
    # The configuration document is loaded only when this process has not parsed it yet: reading and
    # decoding its JSON on every request cost more than the rest of opening a case.
    version = session.get(ProgrammeVersion, version_id, options=[defer(ProgrammeVersion.config)])
    if version is None:
        raise NotFound("no such programme version", field="programme_version_id")
    return version, config_of(version)


# Every case opened reads this; built once, since building and cache-keying it cost more than running it.
_CURRENT_VERSION = (
    select(Programme, ProgrammeVersion)
    .join(ProgrammeVersion, ProgrammeVersion.id == Programme.current_version_id)
    .where(Programme.code == bindparam("code"), Programme.active)
    .options(defer(ProgrammeVersion.config))
)


def current_version(session: Session, programme: str) -> tuple[Programme, ProgrammeVersion, ProgrammeConfig]:
    row = session.execute(_CURRENT_VERSION, {"code": programme}).first()
    if row is None:
        codes = ", ".join(session.scalars(select(Programme.code).where(Programme.active).order_by(Programme.code)))
        raise Invalid(Message(N_("unknown programme; choose one of %(codes)s"), {"codes": codes}), field="programme")
    return row.Programme, row.ProgrammeVersion, config_of(row.ProgrammeVersion)


def list_versions(session: Session, programme: str) -> list[ProgrammeVersion]:
    return list(session.scalars(select(ProgrammeVersion).where(ProgrammeVersion.programme == programme)
                                .order_by(ProgrammeVersion.version.desc())))


def publish_version(session: Session, *, principal: Principal, programme: str, config: dict[str, Any],
                    comment: str | None = None) -> ProgrammeVersion:
    """Validate and publish a new version; new cases use it, existing cases keep theirs."""
    require(principal, Action.PROGRAMME_MANAGE)
    try:
        parsed = ProgrammeConfig.model_validate(config)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "config"
        raise Invalid(Message(N_("%(where)s: %(problem)s"), {"where": where, "problem": error_message(first)}),
                      field="config") from None
    prog = session.get(Programme, programme)
    if prog is None:
        prog = Programme(code=programme, name=parsed.label)
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", programme):
            raise Invalid(N_("programme codes are lower-case letters, digits and _"), field="programme")
        session.add(prog)
        session.flush()
    number = (session.scalar(select(func.max(ProgrammeVersion.version))
                             .where(ProgrammeVersion.programme == programme)) or 0) + 1
    stored = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    version = ProgrammeVersion(programme=programme, version=number, config=stored, comment=comment,
                               created_by=principal.user_id)
    session.add(version)
    session.flush()
    prog.current_version_id = version.id
    prog.name = parsed.label
    ensure_search_indexes(session, parsed)
    record_event(session, actor=principal, action="programme.publish", entity_type="programme", entity_id=programme,
                 details={"version": number, "fields": len(parsed.fields), "states": len(parsed.states)})
    return version


def ensure_search_indexes(session: Session, config: ProgrammeConfig) -> list[str]:
    """Create an expression index per searchable field, so filters on it stay index lookups.

    These indexes follow the programme configuration an administrator publishes, not the code, so they are
    created here rather than in a migration; their names start with ix_casefield_, which the
    migration check ignores.
    """
    dialect = session.get_bind().dialect.name
    created = []
    for f in searchable_fields(config):
        # One index per field name, shared by every programme that declares it searchable.
        name = f"ix_casefield_{f.name}"
        # Field names are checked by the config schema (^[a-z][a-z0-9_]*$), so interpolation is safe here.
        session.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON cases ({field_expression(dialect, f.name)})"))
        created.append(name)
    return created


def ensure_all_search_indexes(session: Session) -> None:
    versions = session.scalars(
        select(ProgrammeVersion).join(Programme, Programme.current_version_id == ProgrammeVersion.id)
    )
    for version in versions:
        ensure_search_indexes(session, config_of(version))


def field_expression(dialect: str, field: str) -> str:
    """The SQL text of a programme field's value, written exactly as its index is, so the index is used."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", field):
        raise Invalid("not a field name", field="field")
    return f"(data ->> '{field}')" if dialect == "postgresql" else f"json_extract(data, '$.{field}')"


def configs_for(session: Session, version_ids: set[int | None]) -> dict[int | None, ProgrammeConfig]:
    """Configs of several versions in one query (a page of cases spans several programmes)."""
    wanted = {v for v in version_ids if v is not None}
    if not wanted:
        return {}
    versions = session.scalars(select(ProgrammeVersion).where(ProgrammeVersion.id.in_(wanted)))
    return {v.id: config_of(v) for v in versions}


def state_labeller(configs: dict[int | None, ProgrammeConfig]):
    """A function giving a case's state label from its version's configuration (the state name otherwise)."""

    def label(case) -> str:
        config = configs.get(case.programme_version_id)
        state = config.state(case.state) if config else None
        return state.label if state else case.state

    return label


def all_states(session: Session) -> list[tuple[str, str]]:
    """(name, label) of every state in the current programme versions, for filters."""
    seen: dict[str, str] = {}
    versions = session.scalars(
        select(ProgrammeVersion).join(Programme, Programme.current_version_id == ProgrammeVersion.id)
    )
    for version in versions:
        for s in config_of(version).states:
            seen.setdefault(s.name, s.label)
    return sorted(seen.items(), key=lambda kv: kv[1])


def list_programmes(session: Session) -> list[Programme]:
    return list(session.scalars(select(Programme).where(Programme.active).order_by(Programme.code)))
