"""The API's browsable documentation: Swagger UI from the installed fastapi-offline package, under the app's CSP.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; the Content-Security-Policy
(script-src 'self') refuses both, and the page stayed blank. Here the assets are served by the app itself and the
start-up is a static script (static/api-docs.js).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from crossroads.web.templating import render

SWAGGER_UI_PATH = "/static/swagger-ui"
router = APIRouter(include_in_schema=False)


def swagger_ui_assets() -> StaticFiles:
    """Swagger UI's script and style sheet, to mount at SWAGGER_UI_PATH."""
    return StaticFiles(packages=[("fastapi_offline", "static")])


@router.get("/api/v1/docs")
def api_docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return render(request, "api_docs.html", {"openapi_url": root + request.app.openapi_url,
                                             "assets": root + SWAGGER_UI_PATH, "static": root + "/static"})
