"""Two determinations of one case at once: the second waits for the first, so exactly one stays current.

Real transactions on a database of the module's own, committed for real. On PostgreSQL the second waits at the
read, on the case row; SQLite runs one writer at a time, so there it waits to begin.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from crossroads.db.session import new_session, transaction, unit_of_work
from crossroads.eligibility import service
from crossroads.eligibility.models import Determination
from tests.factories import auth as af
from tests.factories import cases as cf
from tests.factories import eligibility as ef
from tests.helpers import lock_awaited


def test_two_determinations_of_one_case_at_once_leave_one_current(scratch_engine):
    with unit_of_work(scratch_engine) as session:
        world = af.world(session)
        cw = world.principal(session, "caseworker_a")
        case = cf.case_in_state(session, cw, "avrr", data={"country_of_return": "IRQ"})
        ef.active(session)
        ef.eligible_case_inputs(session, cw, case.id)
    failures: list[BaseException] = []

    def second() -> None:
        try:
            with new_session(scratch_engine) as other, transaction(other):
                service.determine(other, principal=cw, case_id=case.id)
        except BaseException as exc:  # reported by the test's thread below
            failures.append(exc)

    with new_session(scratch_engine) as first, transaction(first):
        service.determine(first, principal=cw, case_id=case.id)
        first.flush()
        thread = threading.Thread(target=second)
        thread.start()
        if scratch_engine.dialect.name == "postgresql":
            assert lock_awaited(scratch_engine), "the second determination never waited for the first"
        else:
            time.sleep(0.3)
        assert thread.is_alive(), "the second determination did not wait for the first to commit"
    thread.join(30)
    assert not failures, failures
    with unit_of_work(scratch_engine, read_only=True) as session:
        rows = session.execute(select(Determination.superseded, func.count()).where(Determination.case_id == case.id)
                               .group_by(Determination.superseded)).all()
    assert dict(rows) == {False: 1, True: 1}
