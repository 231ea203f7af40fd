"""The service directory, modelled on Open Referral HSDS 3.0: one table per HSDS object the directory uses.

Each row keeps its HSDS id as its key and the whole HSDS record, as imported, in `record`: exporting gives
back every field, HSDS or not. The columns beside it are the ones searched, joined or shown, copied from the
record when it is written (`directory/service.py`). Two columns are Crossroads' own and never come from a
file: the partner organisation an HSDS organization is (so that referrals reach its inbox), and how many hours
a service has to acknowledge a referral before it is flagged overdue.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from crossroads.db.base import Base

ID = String(250)
DEFAULT_ACKNOWLEDGEMENT_HOURS = 72


def _parent(table: str) -> Any:
    # Indexed: a re-import finds the rows of the records it replaces by their parent, and PostgreSQL's cascades
    # find them the same way.
    return mapped_column(ID, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=True, index=True)


class DirectoryTaxonomy(Base):
    __tablename__ = "directory_taxonomies"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class TaxonomyTerm(Base):
    __tablename__ = "directory_taxonomy_terms"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # Searched as `need=`; HSDS makes a code unique within its taxonomy only, so it is not unique here.
    code: Mapped[str | None] = mapped_column(String(250), index=True)
    name: Mapped[str] = mapped_column(String(500))
    parent_id: Mapped[str | None] = mapped_column(ID, ForeignKey("directory_taxonomy_terms.id", ondelete="SET NULL"))
    taxonomy_id: Mapped[str | None] = mapped_column(ID, ForeignKey("directory_taxonomies.id", ondelete="SET NULL"))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class DirectoryOrganization(Base):
    __tablename__ = "directory_organizations"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    partner_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class DirectoryLocation(Base):
    __tablename__ = "directory_locations"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("directory_organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(500))
    location_type: Mapped[str] = mapped_column(String(20))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class DirectoryService(Base):
    __tablename__ = "directory_services"
    __table_args__ = (Index("ix_directory_services_status_name", "status", "name", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("directory_organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    acknowledgement_hours: Mapped[int] = mapped_column(Integer, default=DEFAULT_ACKNOWLEDGEMENT_HOURS,
                                                       server_default=str(DEFAULT_ACKNOWLEDGEMENT_HOURS))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class ServiceAtLocation(Base):
    """A service offered at one location. It carries its location's coordinates (kept equal by every import,
    transfer.py) so that nearest-first search reads a box from one index of this table, without a join: a box
    is a range of longitude in each band of latitude it spans (geo.py); a range of latitude alone would read
    every location around the world at that latitude."""

    __tablename__ = "directory_service_at_locations"
    __table_args__ = (Index("ix_directory_service_at_locations_location_service", "location_id", "service_id"),
                      Index("ix_directory_service_at_locations_band", "band", "longitude", "latitude", "service_id",
                            "location_id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str] = mapped_column(ID, ForeignKey("directory_services.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str] = mapped_column(ID, ForeignKey("directory_locations.id", ondelete="CASCADE"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # The band of latitude (geo.latitude_band); None without coordinates.
    band: Mapped[int | None] = mapped_column(SmallInteger)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class DirectoryContact(Base):
    __tablename__ = "directory_contacts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    organization_id: Mapped[str | None] = _parent("directory_organizations")
    service_id: Mapped[str | None] = _parent("directory_services")
    service_at_location_id: Mapped[str | None] = _parent("directory_service_at_locations")
    location_id: Mapped[str | None] = _parent("directory_locations")
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class DirectoryPhone(Base):
    __tablename__ = "directory_phones"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    organization_id: Mapped[str | None] = _parent("directory_organizations")
    service_id: Mapped[str | None] = _parent("directory_services")
    service_at_location_id: Mapped[str | None] = _parent("directory_service_at_locations")
    location_id: Mapped[str | None] = _parent("directory_locations")
    contact_id: Mapped[str | None] = _parent("directory_contacts")
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class DirectoryLanguage(Base):
    __tablename__ = "directory_languages"
    __table_args__ = (Index("ix_directory_languages_service_code", "service_id", "code"),
                      Index("ix_directory_languages_location_code", "location_id", "code"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # Found by parent through the two indexes above, which also answer `language=`.
    service_id: Mapped[str | None] = mapped_column(ID, ForeignKey("directory_services.id", ondelete="CASCADE"))
    location_id: Mapped[str | None] = mapped_column(ID, ForeignKey("directory_locations.id", ondelete="CASCADE"))
    phone_id: Mapped[str | None] = _parent("directory_phones")
    # ISO 639-1, also for a language the file gave in ISO 639-3; None when it has no two-letter code.
    code: Mapped[str | None] = mapped_column(String(2))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class DirectorySchedule(Base):
    __tablename__ = "directory_schedules"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str | None] = _parent("directory_services")
    location_id: Mapped[str | None] = _parent("directory_locations")
    service_at_location_id: Mapped[str | None] = _parent("directory_service_at_locations")
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class OpeningHours(Base):
    """A schedule's weekly opening hours in UTC minutes of the week (directory/hours.py), for "open now".

    Derived from `directory_schedules` whenever a schedule is written; `service_id` and `location_id` say
    whose hours they are (a service's, a location's, or a service's at one location).
    """

    __tablename__ = "directory_opening_hours"
    __table_args__ = (Index("ix_directory_opening_hours_service", "service_id", "start_minute"),
                      Index("ix_directory_opening_hours_location", "location_id", "start_minute"))

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[str] = mapped_column(ID, ForeignKey("directory_schedules.id", ondelete="CASCADE"),
                                             index=True)
    service_id: Mapped[str | None] = mapped_column(ID)
    location_id: Mapped[str | None] = mapped_column(ID)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]


class ServiceArea(Base):
    __tablename__ = "directory_service_areas"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str | None] = _parent("directory_services")
    service_at_location_id: Mapped[str | None] = _parent("directory_service_at_locations")
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class DirectoryAttribute(Base):
    """An HSDS attribute: a taxonomy term applied to a record. `service_id` is set for terms of a service,
    which is what `need=` searches."""

    __tablename__ = "directory_attributes"
    __table_args__ = (Index("ix_directory_attributes_term_service", "taxonomy_term_id", "service_id"),
                      Index("ix_directory_attributes_link", "link_entity", "link_id"))

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    taxonomy_term_id: Mapped[str] = mapped_column(ID, ForeignKey("directory_taxonomy_terms.id", ondelete="CASCADE"))
    link_entity: Mapped[str] = mapped_column(String(40))
    link_id: Mapped[str] = mapped_column(ID)
    service_id: Mapped[str | None] = _parent("directory_services")
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
