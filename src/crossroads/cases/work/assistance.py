"""A case's service plan and the services delivered: what, when, by whom, at what cost."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.policy import Principal, cases_scope, require
from crossroads.auth.roles import Action
from crossroads.cases.models import Case
from crossroads.cases.service import case_config, load_case, touch
from crossroads.cases.work.models import CaseAssistance
from crossroads.cases.work.schemas import AssistanceCreate, AssistanceDelivery, AssistanceStatus
from crossroads.db.base import utcnow
from crossroads.kit.errors import Conflict, Invalid, NotFound


def latest_delivery_date() -> date:
    """The latest date a delivery may carry: today somewhere on Earth.

    Offices carry no time zone yet; UTC+14 is a day ahead of UTC, so a delivery recorded there this
    morning must not be refused as being in the future.
    """
    return utcnow().date() + timedelta(days=1)


def delivery_errors(*, status: AssistanceStatus, delivered_date: date | None, cost: Decimal | None,
                    currency: str | None, latest: date) -> list[tuple[str, str]]:
    """The fields at fault in a service's dates and cost, each with the reason."""
    errors = []
    if status == AssistanceStatus.DELIVERED:
        if delivered_date is None:
            errors.append(("delivered_date", "is required when the service is delivered"))
        elif delivered_date > latest:
            errors.append(("delivered_date", "cannot be in the future"))
    elif delivered_date is not None:
        errors.append(("delivered_date", "is only given once the service is delivered"))
    if cost is not None and currency is None:
        errors.append(("currency", "is required with a cost"))
    if cost is None and currency is not None:
        errors.append(("cost", "is required with a currency"))
    return errors


def _raise(errors: list[tuple[str, str]]) -> None:
    if errors:
        raise Invalid(errors[0][1], field=errors[0][0], errors=errors)


def _fields(data: AssistanceCreate | AssistanceDelivery) -> list[str]:
    return sorted(k for k, v in data.model_dump().items() if v is not None)


def record_assistance(session: Session, *, principal: Principal, case_id: uuid.UUID,
                      data: AssistanceCreate) -> CaseAssistance:
    """Plan a service for a case, or record one already delivered, from the programme's catalogue."""
    require(principal, Action.CASE_SERVICE)
    case = load_case(session, principal, case_id, lock=True)
    catalogue = [s.code for s in case_config(session, case).services]
    errors = []
    if data.service_code not in catalogue:
        errors.append(("service_code", f"must be one of this programme's services: {', '.join(catalogue)}"
                       if catalogue else "this programme has no services catalogue"))
    errors += delivery_errors(status=data.status, delivered_date=data.delivered_date, cost=data.cost,
                              currency=data.currency, latest=latest_delivery_date())
    _raise(errors)
    delivered = data.status == AssistanceStatus.DELIVERED
    record = CaseAssistance(
        case_id=case.id, service_code=data.service_code, status=data.status.value, planned_date=data.planned_date,
        delivered_date=data.delivered_date, provider=data.provider or None, cost=data.cost, currency=data.currency,
        notes=data.notes or None, delivered_by=principal.user_id if delivered else None,
    )
    session.add(record)
    touch(case)
    session.flush()
    # Provider and notes are free text and the cost a value: the trail keeps which were given, not what.
    record_event(session, actor=principal, action="case.service_add", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"service": record.id, "code": record.service_code, "status": record.status,
                          "currency": record.currency, "fields": _fields(data), "version": case.version})
    return record


def deliver_assistance(session: Session, *, principal: Principal, service_id: int,
                    data: AssistanceDelivery) -> CaseAssistance:
    """Mark a planned service delivered, with its date and, when known, provider and cost."""
    require(principal, Action.CASE_SERVICE)
    case_id = session.scalar(
        select(CaseAssistance.case_id).join(Case, Case.id == CaseAssistance.case_id)
        .where(CaseAssistance.id == service_id, cases_scope(principal))
    )
    if case_id is None:
        raise NotFound("no such service", field="service_id")
    # The case first, as every other write to a case locks it, then the service as it is now.
    case = load_case(session, principal, case_id, lock=True)
    record = session.scalar(select(CaseAssistance).where(CaseAssistance.id == service_id)
                            .execution_options(populate_existing=True))
    if record is None:
        raise NotFound("no such service", field="service_id")
    if record.status != AssistanceStatus.PLANNED:
        raise Conflict("the service is already delivered", field="service_id")
    cost = data.cost if data.cost is not None else record.cost
    currency = data.currency if data.currency is not None else record.currency
    _raise(delivery_errors(status=AssistanceStatus.DELIVERED, delivered_date=data.delivered_date, cost=cost,
                           currency=currency, latest=latest_delivery_date()))
    record.status = AssistanceStatus.DELIVERED.value
    record.delivered_date = data.delivered_date
    record.delivered_by = principal.user_id
    record.cost, record.currency = cost, currency
    if data.provider:
        record.provider = data.provider
    touch(case)
    session.flush()
    record_event(session, actor=principal, action="case.service_deliver", entity_type="case", entity_id=case.id,
                 office_id=case.office_id,
                 details={"service": record.id, "code": record.service_code, "currency": record.currency,
                          "fields": _fields(data), "version": case.version})
    return record


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    planned: Decimal
    delivered: Decimal


def totals_by_currency(services: list[CaseAssistance]) -> list[CurrencyTotal]:
    """Planned and delivered costs per currency; amounts in different currencies are never added up."""
    sums: dict[str, dict[str, Decimal]] = {}
    for s in services:
        if s.cost is None or s.currency is None:
            continue
        per = sums.setdefault(s.currency, {AssistanceStatus.PLANNED: Decimal("0.00"),
                                           AssistanceStatus.DELIVERED: Decimal("0.00")})
        per[AssistanceStatus(s.status)] += s.cost
    return [CurrencyTotal(currency=c, planned=v[AssistanceStatus.PLANNED], delivered=v[AssistanceStatus.DELIVERED])
            for c, v in sorted(sums.items())]


def list_assistance(session: Session, *, principal: Principal,
                  case_id: uuid.UUID) -> tuple[list[CaseAssistance], list[CurrencyTotal]]:
    """A case's planned and delivered services, and their costs per currency."""
    require(principal, Action.CASE_READ)
    case = load_case(session, principal, case_id)
    # A case has tens of services, not thousands: the totals are summed from the rows the list shows.
    services = list(session.scalars(
        select(CaseAssistance).where(CaseAssistance.case_id == case.id)
        .order_by(CaseAssistance.status.desc(), CaseAssistance.planned_date.is_(None), CaseAssistance.planned_date,
                  CaseAssistance.id)
    ))
    return services, totals_by_currency(services)
