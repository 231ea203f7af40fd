"""Generated requests against the OpenAPI document, through the application in-process (Schemathesis).

Every operation is called with the boundary values of its schema (the coverage phase) and with random valid and
invalid input (the fuzzing phase), as an administrator and as a caseworker, from a fixed seed. No answer may be
a server error, and every answer must be a status the document lists, with a body that matches it.

The run is bounded so that it takes about three minutes on either backend: writes get more examples than reads,
and PostgreSQL, about twice as slow per request, fewer than SQLite.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from crossroads.auth import service as auth_service
from tests.factories import work as wf

SEED = 20261207
CHECKS = ("not_a_server_error", "response_schema_conformance", "status_code_conformance")
# Fuzzing examples per operation: (reads, writes).
EXAMPLES = {"sqlite": (8, 20), "postgresql": (4, 10)}


def run_config(backend: str) -> SchemathesisConfig:
    reads, writes = EXAMPLES[backend]
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "continue-on-failure": True,
        "generation": {"max-examples": reads, "database": "none"},
        "operations": [{"include-method": method, "generation": {"max-examples": writes}}
                       for method in ("POST", "PATCH", "DELETE")],
        "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False},
                   "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    })


def describe(case: Any, failure: Any, interaction: Any) -> str:
    query = f"?{case.query}" if case.query else ""
    sent = interaction.request if interaction is not None else None
    answer = interaction.response if interaction is not None else None
    return (f"{case.method} {case.formatted_path}{query}: {failure.title}: {(failure.message or '')[:300]}"
            f"\n  sent {sent.headers.get('Content-Type') if sent else ''} {str(sent.body)[:200] if sent else ''}"
            f"\n  got {answer.content[:300]!r}" if answer is not None else "")


def fuzz(app: Any, db: Any, user: Any, backend: str) -> dict[str, Any]:
    schema = schemathesis.openapi.from_dict(app.openapi(), config=run_config(backend))
    schema.app = app

    # A token issued in the test's transaction; issued again after a 401 (an administrator who changes their
    # own password ends their own sessions). Logging in over HTTP would meet the login rate limit, which the
    # run's failed logins reach.
    class Bearer:
        def get(self, case: Any, context: Any) -> str:
            token = auth_service.issue_token(db, user=user, kind="api", lifetime=timedelta(hours=1))
            db.commit()
            return token

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    schema.auth.auth(refresh_interval=3600, retry_on=[401])(Bearer)

    started = time.monotonic()
    operations: set[str] = set()
    requests = 0
    checked: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    failures: dict[tuple[str, str], str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            operations.add(event.recorder.label)
            requests += len(event.recorder.interactions)
            for case_id, checks in event.recorder.checks.items():
                case = event.recorder.cases[case_id].value
                for check in checks:
                    checked[check.name] += 1
                    if check.failure_info is not None:
                        failed[check.name] += 1
                        failure = check.failure_info.failure
                        failures.setdefault((event.recorder.label, check.name),
                                            describe(case, failure, event.recorder.interactions.get(case_id)))
        elif isinstance(event, events.NonFatalError):
            failures.setdefault((event.label, "error"), f"{event.info.title}: {event.info.message[:300]}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return {"operations": len(operations), "requests": requests, "checks": dict(checked), "failed": dict(failed),
            "seconds": round(time.monotonic() - started), "failures": failures}


@pytest.fixture
def records(db, world):
    """A case of office A with a task and a service, so that lists and dashboards have something to show."""
    principal = world.principal(db, "caseworker_a")
    case = wf.case(db, principal)
    wf.task(db, principal, case)
    wf.service(db, principal, case)
    db.commit()
    return case


@pytest.mark.parametrize("role", ["admin", "caseworker_a"])
def test_no_input_gives_a_server_error_or_an_undocumented_answer(app, db, world, records, engine, role):
    backend = engine.dialect.name
    figures = fuzz(app, db, world.users[role], backend)
    print(f"\nschemathesis {backend} {role}: {figures['operations']} operations, {figures['requests']} requests, "
          f"{figures['checks']} checks, failed {figures['failed']}, {len(figures['failures'])} operations failing, "
          f"{figures['seconds']} s")
    assert figures["operations"] >= 70
    assert figures["failures"] == {}, "\n".join(f"{label} [{check}]: {text}"
                                                 for (label, check), text in sorted(figures["failures"].items()))
