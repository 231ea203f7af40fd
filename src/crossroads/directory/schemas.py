"""Input and output of the directory's API."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from crossroads.kit.inputs import InputModel


class OrganizationRef(BaseModel):
    id: str
    name: str | None


class LocationOut(BaseModel):
    id: str
    name: str | None
    location_type: str
    latitude: float | None
    longitude: float | None
    address: str | None
    distance_km: float | None = None


class ServiceSummary(BaseModel):
    id: str
    name: str
    description: str | None
    status: str
    organization: OrganizationRef | None
    location: LocationOut | None
    distance_km: float | None = Field(description="From `near`, to the service's nearest location; null without it.")
    categories: list[str] = Field(description="Codes of the service's taxonomy terms.")
    languages: list[str] = Field(description="ISO 639-1 codes spoken at the service or at this location.")


class ServicePage(BaseModel):
    items: list[ServiceSummary]
    page: int
    per_page: int
    next_page: int | None


class OrganizationOut(BaseModel):
    id: str
    name: str
    website: str | None
    partner_organisation_id: uuid.UUID | None


class PhoneOut(BaseModel):
    number: str | None
    extension: float | int | str | None
    type: str | None
    description: str | None


class ScheduleOut(BaseModel):
    byday: str | None
    opens_at: str | None
    closes_at: str | None
    freq: str | None
    description: str | None
    valid_from: str | None
    valid_to: str | None
    location_id: str | None


class ServiceDetail(BaseModel):
    id: str
    name: str
    status: str
    alternate_name: str | None
    description: str | None
    url: str | None
    email: str | None
    eligibility_description: str | None
    minimum_age: float | None
    maximum_age: float | None
    application_process: str | None
    fees_description: str | None
    interpretation_services: str | None
    alert: str | None
    acknowledgement_hours: int = Field(description="Hours the service has to acknowledge a referral before it is "
                                                   "flagged overdue.")
    organization: OrganizationOut | None
    locations: list[LocationOut]
    categories: list[str]
    languages: list[str]
    phones: list[PhoneOut]
    schedules: list[ScheduleOut]
    service_areas: list[str]


class NeedOut(BaseModel):
    code: str
    name: str
    shipped: bool = Field(description="One of the categories Crossroads ships, rather than an imported term.")


class ServiceUpdate(InputModel):
    # At most a year: a longer limit would never flag anything.
    acknowledgement_hours: int = Field(ge=1, le=8760)


class OrganizationLink(InputModel):
    partner_organisation_id: uuid.UUID | None


class OrganizationLinkOut(BaseModel):
    id: str
    name: str
    partner_organisation_id: uuid.UUID | None
