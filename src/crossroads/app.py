"""Build the FastAPI application: routers, middleware and error handlers."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from crossroads import __version__
from crossroads.auth import routes as auth_routes
from crossroads.auth import views as auth_views
from crossroads.cases import programme_views, work_routes, work_views, workflow_routes, workflow_views
from crossroads.cases import routes as case_routes
from crossroads.cases import views as case_views
from crossroads.config import Settings
from crossroads.db.session import get_engine
from crossroads.people import routes as people_routes
from crossroads.people import views as people_views
from crossroads.web import errors

access_log = logging.getLogger("crossroads.access")


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        title="Crossroads",
        version=__version__,
        docs_url="/api/v1/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine or get_engine(settings.database_url)

    api = APIRouter(prefix="/api/v1")
    api.include_router(auth_routes.router)
    api.include_router(people_routes.router)
    api.include_router(case_routes.router)
    api.include_router(workflow_routes.router)
    api.include_router(work_routes.router)
    app.include_router(api)
    app.include_router(auth_views.router)
    app.include_router(people_views.router)
    app.include_router(case_views.router)
    app.include_router(programme_views.router)
    app.include_router(workflow_views.router)
    app.include_router(work_views.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static")
    errors.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.middleware("http")
    async def headers_and_access_log(request: Request, call_next):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        if request.url.path.startswith(("/api/", "/people", "/cases")):
            response.headers.setdefault("Cache-Control", "no-store")
        # Path only: query strings carry searched names, which must never reach a log.
        access_log.info("%s %s %s %.0fms", request.method, request.url.path, response.status_code,
                        (time.perf_counter() - started) * 1000)
        return response

    return app
