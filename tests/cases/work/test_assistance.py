from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from crossroads.cases.models import Case
from crossroads.cases.work.assistance import delivery_errors
from crossroads.cases.work.models import CaseAssistance
from crossroads.cases.work.schemas import AssistanceStatus
from crossroads.programmes import service as programmes
from tests.factories import work
from tests.factories.work import days_from_today
from tests.helpers import token_headers


@pytest.fixture
def a_case(db, cw_a):
    return work.case(db, cw_a, "avrr")


def add(client, headers, case_id, **body):
    return client.post(f"/api/v1/cases/{case_id}/services",
                       json={"service_code": "return_counselling", **body}, headers=headers)


def deliver(client, headers, service_id, **body):
    return client.post(f"/api/v1/case-services/{service_id}/deliver",
                       json={"delivered_date": days_from_today(0).isoformat(), **body}, headers=headers)


def first_error(response) -> str:
    return response.json()["detail"][0]["field"]


class TestDeliveryErrors:
    LATEST = date(2030, 6, 2)

    @pytest.mark.parametrize(("status", "delivered", "cost", "currency", "fields"), [
        (AssistanceStatus.PLANNED, None, None, None, []),
        (AssistanceStatus.PLANNED, date(2030, 1, 1), None, None, ["delivered_date"]),
        (AssistanceStatus.DELIVERED, None, None, None, ["delivered_date"]),
        (AssistanceStatus.DELIVERED, date(2030, 6, 2), None, None, []),
        (AssistanceStatus.DELIVERED, date(2030, 6, 3), None, None, ["delivered_date"]),
        (AssistanceStatus.DELIVERED, date(2030, 6, 1), Decimal("5"), None, ["currency"]),
        (AssistanceStatus.PLANNED, None, None, "EUR", ["cost"]),
        (AssistanceStatus.DELIVERED, None, Decimal("5"), None, ["delivered_date", "currency"]),
    ])
    def test_names_every_field_at_fault(self, status, delivered, cost, currency, fields):
        errors = delivery_errors(status=status, delivered_date=delivered, cost=cost, currency=currency,
                                 latest=self.LATEST)
        assert [f for f, _ in errors] == fields


class TestAddService:
    def test_plans_a_service_from_the_programme_catalogue(self, client, cw, a_case):
        response = add(client, cw, a_case.id, planned_date="2030-03-01", cost="120.50", currency="eur")
        assert response.status_code == 201
        body = response.json()
        assert (body["status"], body["planned_date"], body["cost"], body["currency"]) == \
            ("planned", "2030-03-01", "120.50", "EUR")
        assert body["delivered_by"] is None

    def test_records_a_service_already_delivered(self, client, cw, world, a_case):
        response = add(client, cw, a_case.id, status="delivered", delivered_date=days_from_today(-1).isoformat(),
                       provider="Red Crescent", cost=40, currency="USD")
        assert response.status_code == 201
        assert response.json()["delivered_by"] == str(world.users["caseworker_a"].id)

    def test_code_outside_the_catalogue_is_422_naming_service_code_and_nothing_is_written(self, client, cw, db,
                                                                                          a_case):
        before = work.count(db, CaseAssistance)
        response = add(client, cw, a_case.id, service_code="shelter")
        assert response.status_code == 422
        assert first_error(response) == "service_code"
        assert work.count(db, CaseAssistance) == before
        assert work.events(db, "case.service_add", a_case.id) == []

    def test_catalogue_is_the_case_programme_version(self, client, cw, db, world, a_case):
        _, version, _ = programmes.current_version(db, "avrr")
        config = copy.deepcopy(version.config)
        config["services"] = [{"code": "newly_offered", "label": "Newly offered"}]
        admin = world.principal(db, "admin")
        programmes.publish_version(db, principal=admin, programme="avrr", config=config)
        db.commit()
        assert first_error(add(client, cw, a_case.id, service_code="newly_offered")) == "service_code"
        assert add(client, cw, a_case.id, service_code="return_counselling").status_code == 201

    def test_delivered_without_a_date_is_422_naming_delivered_date(self, client, cw, a_case):
        response = add(client, cw, a_case.id, status="delivered")
        assert response.status_code == 422
        assert first_error(response) == "delivered_date"

    def test_delivery_date_in_the_future_is_422(self, client, cw, a_case):
        response = add(client, cw, a_case.id, status="delivered", delivered_date=days_from_today(3).isoformat())
        assert response.status_code == 422
        assert first_error(response) == "delivered_date"

    def test_cost_without_currency_is_422_naming_currency(self, client, cw, a_case):
        response = add(client, cw, a_case.id, cost="10.00")
        assert response.status_code == 422
        assert first_error(response) == "currency"

    def test_unknown_currency_is_422_naming_currency(self, client, cw, a_case):
        response = add(client, cw, a_case.id, cost="10.00", currency="ABC")
        assert response.status_code == 422
        assert first_error(response) == "currency"

    def test_negative_cost_is_422_naming_cost(self, client, cw, a_case):
        response = add(client, cw, a_case.id, cost="-1", currency="EUR")
        assert response.status_code == 422
        assert first_error(response) == "cost"

    def test_cost_with_three_decimals_is_422_naming_cost(self, client, cw, a_case):
        response = add(client, cw, a_case.id, cost="1.005", currency="EUR")
        assert response.status_code == 422
        assert first_error(response) == "cost"

    def test_unknown_status_is_422_naming_status(self, client, cw, a_case):
        response = add(client, cw, a_case.id, status="cancelled")
        assert response.status_code == 422
        assert first_error(response) == "status"

    def test_caseworker_of_another_office_gets_404(self, client, db, world, a_case):
        other = token_headers(client, world.users["caseworker_b"].email)
        assert add(client, other, a_case.id).status_code == 404
        assert work.count(db, CaseAssistance) == 0

    def test_audit_keeps_the_code_and_fields_not_provider_or_cost(self, client, cw, db, a_case):
        service_id = add(client, cw, a_case.id, provider="Sentinel Clinic", cost="987.65", currency="EUR",
                         notes="sentinel note").json()["id"]
        [event] = work.events(db, "case.service_add", a_case.id)
        assert event.details["service"] == service_id
        assert event.details["code"] == "return_counselling"
        assert event.details["fields"] == ["cost", "currency", "notes", "provider", "service_code", "status"]
        assert event.details["version"] == db.get(Case, a_case.id).version
        assert "entinel" not in str(event.details) and "987" not in str(event.details)


class TestDeliverService:
    def test_marks_a_planned_service_delivered(self, client, cw, db, world, cw_a, a_case):
        planned = work.service(db, cw_a, a_case)
        response = deliver(client, cw, planned.id, provider="Local NGO", cost="75", currency="EUR")
        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["provider"], body["cost"]) == ("delivered", "Local NGO", "75.00")
        assert body["delivered_by"] == str(world.users["caseworker_a"].id)
        [event] = work.events(db, "case.service_deliver", a_case.id)
        assert event.details["code"] == "return_counselling" and "Local" not in str(event.details)

    def test_keeps_the_planned_cost_when_none_is_given(self, client, cw, db, cw_a, a_case):
        planned = work.service(db, cw_a, a_case, cost=Decimal("30"), currency="USD")
        body = deliver(client, cw, planned.id).json()
        assert (body["cost"], body["currency"]) == ("30.00", "USD")

    def test_delivering_twice_is_409(self, client, cw, db, cw_a, a_case):
        planned = work.service(db, cw_a, a_case)
        deliver(client, cw, planned.id)
        assert deliver(client, cw, planned.id).status_code == 409

    def test_future_date_is_422_and_the_service_stays_planned(self, client, cw, db, cw_a, a_case):
        planned = work.service(db, cw_a, a_case)
        response = deliver(client, cw, planned.id, delivered_date=days_from_today(5).isoformat())
        assert response.status_code == 422
        assert first_error(response) == "delivered_date"
        db.expire_all()
        assert db.get(CaseAssistance, planned.id).status == "planned"

    def test_missing_date_is_422_naming_delivered_date(self, client, cw, db, cw_a, a_case):
        planned = work.service(db, cw_a, a_case)
        response = client.post(f"/api/v1/case-services/{planned.id}/deliver", json={}, headers=cw)
        assert response.status_code == 422
        assert first_error(response) == "delivered_date"

    def test_caseworker_of_another_office_gets_404(self, client, db, world, cw_a, a_case):
        planned = work.service(db, cw_a, a_case)
        other = token_headers(client, world.users["caseworker_b"].email)
        assert deliver(client, other, planned.id).status_code == 404


class TestListServices:
    def test_totals_per_currency_planned_and_delivered(self, client, cw, db, cw_a, a_case):
        work.service(db, cw_a, a_case, cost=Decimal("100"), currency="EUR")
        work.service(db, cw_a, a_case, "travel_documents", status=AssistanceStatus.DELIVERED,
                     delivered_date=days_from_today(-1), cost=Decimal("50.25"), currency="EUR")
        work.service(db, cw_a, a_case, "airport_assistance", status=AssistanceStatus.DELIVERED,
                     delivered_date=days_from_today(-1), cost=Decimal("10"), currency="USD")
        work.service(db, cw_a, a_case, "medical_escort")
        body = client.get(f"/api/v1/cases/{a_case.id}/services", headers=cw).json()
        assert len(body["items"]) == 4
        assert [i["status"] for i in body["items"]] == ["planned", "planned", "delivered", "delivered"]
        assert body["totals"] == [
            {"currency": "EUR", "planned": "100.00", "delivered": "50.25"},
            {"currency": "USD", "planned": "0.00", "delivered": "10.00"},
        ]

    def test_caseworker_of_another_office_gets_404(self, client, world, a_case):
        other = token_headers(client, world.users["caseworker_b"].email)
        assert client.get(f"/api/v1/cases/{a_case.id}/services", headers=other).status_code == 404

    def test_statements_do_not_grow_with_the_number_of_services(self, client, cw, db, engine, cw_a):
        one, twenty = work.case(db, cw_a), work.case(db, cw_a)
        work.service(db, cw_a, one, cost=Decimal("1"), currency="EUR")
        for _ in range(20):
            work.service(db, cw_a, twenty, cost=Decimal("1"), currency="EUR")
        small, few = work.measured_get(client, engine, db, f"/api/v1/cases/{one.id}/services", cw)
        large, many = work.measured_get(client, engine, db, f"/api/v1/cases/{twenty.id}/services", cw)
        assert (len(small.json()["items"]), len(large.json()["items"])) == (1, 20)
        assert large.json()["totals"][0]["planned"] == "20.00"
        assert few == many
