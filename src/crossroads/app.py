"""Build the FastAPI application: routers, middleware and error handlers."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from crossroads import __version__
from crossroads.auth import routes as auth_routes
from crossroads.auth import views as auth_views
from crossroads.cases import routes as case_routes
from crossroads.cases import views as case_views
from crossroads.cases.work import routes as work_routes
from crossroads.cases.work import views as work_views
from crossroads.cases.workflow import routes as workflow_routes
from crossroads.cases.workflow import views as workflow_views
from crossroads.config import Settings
from crossroads.consent import routes as consent_routes
from crossroads.consent import views as consent_views
from crossroads.db.session import get_engine, new_session
from crossroads.dedup import routes as dedup_routes
from crossroads.dedup import views as dedup_views
from crossroads.directory import routes as directory_routes
from crossroads.directory import views as directory_views
from crossroads.disclosure import routes as disclosure_routes
from crossroads.disclosure import views as disclosure_views
from crossroads.eligibility import routes as eligibility_routes
from crossroads.eligibility import views as eligibility_views
from crossroads.home import routes as home_routes
from crossroads.home import views as home_views
from crossroads.intake import routes as intake_routes
from crossroads.intake import views as intake_views
from crossroads.notify import routes as notify_routes
from crossroads.notify import views as notify_views
from crossroads.people import routes as people_routes
from crossroads.programmes import routes as programme_routes
from crossroads.programmes import views as programme_views
from crossroads.referrals import routes as referral_routes
from crossroads.referrals import views as referral_views
from crossroads.web import api_docs, errors, openapi
from crossroads.web.admission import ReadsFirst
from crossroads.web.deps import no_control_characters
from crossroads.web.middleware import BodyLimit, SecurityHeadersAndAccessLog


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        title="Crossroads",
        version=__version__,
        # The docs page is web/api_docs.py's: FastAPI's loads Swagger UI from a CDN, which the CSP refuses.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        dependencies=[Depends(no_control_characters)],
    )
    app.state.settings = settings
    app.state.engine = engine or get_engine(settings.database_url)
    # Where requests get their sessions (web/deps.py: open_session). The tests put their own session here,
    # so that their requests run the real transaction boundary.
    app.state.sessions = partial(new_session, app.state.engine)

    api = APIRouter(prefix="/api/v1")
    api.include_router(auth_routes.router)
    api.include_router(people_routes.router)
    api.include_router(intake_routes.router)
    api.include_router(programme_routes.router)
    api.include_router(case_routes.router)
    api.include_router(workflow_routes.router)
    api.include_router(work_routes.router)
    api.include_router(dedup_routes.router)
    api.include_router(disclosure_routes.router)
    api.include_router(home_routes.router)
    api.include_router(directory_routes.router)
    api.include_router(notify_routes.router)
    api.include_router(consent_routes.router)
    api.include_router(referral_routes.router)
    api.include_router(eligibility_routes.router)
    app.include_router(api)
    app.include_router(home_views.router)
    app.include_router(auth_views.router)
    app.include_router(intake_views.router)
    app.include_router(case_views.router)
    app.include_router(programme_views.router)
    app.include_router(workflow_views.router)
    app.include_router(work_views.router)
    app.include_router(dedup_views.router)
    app.include_router(disclosure_views.router)
    app.include_router(directory_views.router)
    app.include_router(notify_views.router)
    app.include_router(consent_views.router)
    app.include_router(referral_views.router)
    app.include_router(eligibility_views.router)
    app.include_router(api_docs.router)
    # Before /static, which would otherwise answer these paths with 404.
    app.mount(api_docs.SWAGGER_UI_PATH, api_docs.swagger_ui_assets(), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static")
    errors.install(app)
    openapi.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # The last added is the outermost: the access log and the headers cover the 413 answers of BodyLimit too,
    # and a write's time waiting for its turn (ReadsFirst) is in its logged duration.
    app.add_middleware(ReadsFirst, max_writes=settings.max_concurrent_writes,
                       max_wait=settings.write_wait_ms / 1000)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeadersAndAccessLog)

    return app
