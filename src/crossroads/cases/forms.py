"""Read a programme's case form out of submitted HTML form data (pure: no session)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from crossroads.programmes.config import FieldType, ProgrammeConfig

PREFIX = "field_"


def data_from_form(config: ProgrammeConfig, form: FormData) -> dict[str, Any]:
    """Every field of the form as a change: a value, or None to clear it (the service validates)."""
    out: dict[str, Any] = {}
    for f in config.fields:
        key = PREFIX + f.name
        if f.type == FieldType.MULTI_CHOICE:
            values = [v for v in form.getlist(key) if isinstance(v, str) and v]
            out[f.name] = values or None
            continue
        raw = form.get(key)
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            out[f.name] = None
        elif f.type == FieldType.BOOLEAN:
            # A select with yes / no / not recorded: a checkbox cannot say "not recorded".
            out[f.name] = {"true": True, "false": False}.get(value, value)
        else:
            out[f.name] = value
    return out
