"""One Jinja2 environment over every domain's templates, rendered with the request's locale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel import Locale
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from crossroads.kit.i18n import translate
from crossroads.web.csrf import csrf_anchor, csrf_token
from crossroads.web.i18n import LANG_COOKIE, SUPPORTED, negotiate, text_direction, translations
from crossroads.web.labels import FILTERS, GLOBALS

_ROOT = Path(__file__).resolve().parent.parent
# Each domain (and sub-package) keeps its own templates/ folder; the base templates are web's, searched first.
_TEMPLATE_DIRS = [_ROOT / "web" / "templates"] + sorted(
    d for d in _ROOT.glob("*/**/templates") if d.is_dir() and d != _ROOT / "web" / "templates"
)

env = Environment(
    loader=ChoiceLoader([FileSystemLoader(d) for d in _TEMPLATE_DIRS]),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(FILTERS)
# Each language offered by its own name ("español", "العربية"), the way people look for it.
LOCALE_NAMES = {lang: Locale.parse(lang).get_display_name(lang) for lang in SUPPORTED}
env.globals.update(GLOBALS)


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    locale = negotiate(request)
    trans = translations(locale)

    def gettext(message: str) -> str:
        # A Message (kit/i18n.py) is translated by its msgid and then given its parameters.
        return translate(trans, message)

    anchor = csrf_anchor(request)
    settings = request.app.state.settings
    ctx: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "dir": text_direction(locale),
        "locales": SUPPORTED,
        "locale_names": LOCALE_NAMES,
        "principal": getattr(request.state, "principal", None),
        # auth.deps sets what the signed-in user may do (auth.policy.Allowed); pages read it, not the roles.
        "allowed": getattr(request.state, "allowed", None),
        "csrf_token": csrf_token(settings.secret_key, anchor) if anchor else "",
        "gettext": gettext,
        "ngettext": trans.ngettext,
        "pgettext": trans.pgettext,
        "_": gettext,
        "demo": settings.mode == "demo",
        # Switching language keeps the page's other parameters (a search, a page number).
        "lang_links": {lang: str(request.url.include_query_params(lang=lang).replace(scheme="", netloc=""))
                       for lang in SUPPORTED},
    }
    ctx.update(context or {})
    response = HTMLResponse(env.get_template(template).render(ctx), status_code=status_code, headers=headers)
    if request.query_params.get("lang") in SUPPORTED:
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="lax",
                            secure=settings.cookie_secure)
    return response
