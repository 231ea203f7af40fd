"""The service directory's operations: search, read, edit; importing and exporting are in `transfer.py`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from crossroads.audit.service import record_event
from crossroads.auth.models import Organisation
from crossroads.auth.policy import Principal, require
from crossroads.auth.roles import Action
from crossroads.directory import taxonomy
from crossroads.directory.geo import MAX_DISTANCE_KM, bands, bounding_box, distance_km
from crossroads.directory.hours import minute_of_week
from crossroads.directory.models import (
    DirectoryAttribute,
    DirectoryLanguage,
    DirectoryLocation,
    DirectoryOrganization,
    DirectoryPhone,
    DirectorySchedule,
    DirectoryService,
    OpeningHours,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from crossroads.kit.errors import Invalid, NotFound
from crossroads.kit.i18n import N_

UNKNOWN_NEED = N_("no such need category in the directory's taxonomy")
NO_SERVICE = N_("no such service in the directory")
NO_ORGANIZATION = N_("no such organization in the directory")
NO_PARTNER = N_("no such partner organisation")

# The first box searched around a point, in km; each next one is twice as wide, up to the widest, after which
# every match is read. Doubling reads at most four times the area needed; each box is a statement of its own.
FIRST_RADIUS_KM = 20.0
WIDEST_BOX_KM = 160.0


@dataclass(frozen=True)
class SearchQuery:
    need: str | None = None
    near: tuple[float, float] | None = None
    language: str | None = None
    open_now: bool = False
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Hit:
    service_id: str
    location_id: str | None
    distance_km: float | None


def need_terms(session: Session, code: str) -> list[str]:
    """The ids of the terms with this code and of every term below them (an imported term may sit under one
    of the shipped categories)."""
    found = list(session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.code == code)))
    if not found:
        raise Invalid(UNKNOWN_NEED, field="need")
    seen, frontier = set(found), found
    while frontier:
        below = [t for t in session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.parent_id.in_(frontier)))
                 if t not in seen]
        seen.update(below)
        frontier = below
    return sorted(seen)


def _open_now(service: Any, location: Any | None, now: datetime) -> ColumnElement[bool]:
    minute = minute_of_week(now)
    today = now.date()
    oh = OpeningHours
    when = and_(oh.start_minute <= minute, oh.end_minute > minute,
                or_(oh.valid_from.is_(None), oh.valid_from <= today), or_(oh.valid_to.is_(None), oh.valid_to >= today))
    # Each alternative is an EXISTS of its own, so that each reads one index; one EXISTS over an OR read neither.
    if location is not None:
        return or_(exists(select(oh.id).where(oh.service_id == service, when,
                                              or_(oh.location_id.is_(None), oh.location_id == location))),
                   exists(select(oh.id).where(oh.location_id == location, oh.service_id.is_(None), when)))
    sal = ServiceAtLocation
    at_its_locations = exists(select(oh.id).join(sal, sal.location_id == oh.location_id)
                              .where(sal.service_id == service, oh.service_id.is_(None), when))
    return or_(exists(select(oh.id).where(oh.service_id == service, when)), at_its_locations)


def _filters(session: Session, query: SearchQuery, now: datetime, service: Any, location: Any | None
             ) -> list[ColumnElement[bool]]:
    """Conditions on a service id column (and a location id column, when the search is near a point), each
    an EXISTS that probes one index per candidate: a set of matching ids read whole cost more than the probes
    of the few hundred candidates a box holds."""
    out: list[ColumnElement[bool]] = [DirectoryService.status == "active"]
    if query.need:
        terms = need_terms(session, query.need)
        out.append(exists(select(DirectoryAttribute.id).where(DirectoryAttribute.service_id == service,
                                                              DirectoryAttribute.taxonomy_term_id.in_(terms))))
    if query.language:
        lang = DirectoryLanguage
        spoken: ColumnElement[bool] = exists(select(lang.id).where(lang.service_id == service,
                                                                   lang.code == query.language))
        if location is not None:
            spoken = or_(spoken, exists(select(lang.id).where(lang.location_id == location,
                                                              lang.code == query.language)))
        out.append(spoken)
    if query.open_now:
        out.append(_open_now(service, location, now))
    return out


def _search_near(session: Session, query: SearchQuery, now: datetime, want: int) -> list[Hit]:
    """Services nearest first, each at its nearest location, at least `want` of them when there are.

    Boxes around the point grow (20, 40, 80, 160 km) until one holds `want` services within its radius: any
    service outside that radius is further than all of them, so they are exactly the nearest. The database
    reads a box from the band index of the services at locations; the exact distance is computed here, for
    the rows of the box only. When even the widest box holds too few, the matches are few or far away: every
    match is read (through the indexes of the filters, when there are any) and ranked the same way.
    """
    lat, lon = query.near or (0.0, 0.0)
    sal = ServiceAtLocation
    filters = _filters(session, query, now, sal.service_id, sal.location_id)
    base = (select(sal.service_id, sal.location_id, sal.latitude, sal.longitude)
            .join(DirectoryService, DirectoryService.id == sal.service_id)
            .where(*filters))
    radius = FIRST_RADIUS_KM
    while True:
        if radius > WIDEST_BOX_KM:
            rows = session.execute(base.where(sal.latitude.is_not(None))).all()
            radius = MAX_DISTANCE_KM
        else:
            min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
            rows = session.execute(base.where(sal.band.in_(bands(min_lat, max_lat)),
                                              sal.longitude.between(min_lon, max_lon),
                                              sal.latitude.between(min_lat, max_lat))).all()
        best: dict[str, tuple[float, str]] = {}
        for service_id, location_id, la, lo in rows:
            if la is None or lo is None:
                continue
            d = distance_km(lat, lon, la, lo)
            if d <= radius and (service_id not in best or (d, location_id) < best[service_id]):
                best[service_id] = (d, location_id)
        if len(best) >= want or radius >= MAX_DISTANCE_KM:
            break
        radius *= 2
    ranked = sorted(best.items(), key=lambda kv: (kv[1][0], kv[0]))
    return [Hit(sid, lid, round(d, 3)) for sid, (d, lid) in ranked[:want]]


def search_services(session: Session, *, principal: Principal, query: SearchQuery, now: datetime
                    ) -> tuple[list[dict[str, Any]], bool]:
    """One page of active services matching the query, nearest first when `near` is given; and whether
    another page follows."""
    require(principal, Action.DIRECTORY_READ)
    offset = (query.page - 1) * query.per_page
    want = offset + query.per_page + 1
    if query.near is not None:
        hits = _search_near(session, query, now, want)[offset:]
    else:
        ids = session.scalars(
            select(DirectoryService.id).where(*_filters(session, query, now, DirectoryService.id, None))
            .order_by(DirectoryService.name, DirectoryService.id).offset(offset).limit(query.per_page + 1)
        ).all()
        hits = [Hit(sid, None, None) for sid in ids]
    more = len(hits) > query.per_page
    return _summaries(session, hits[: query.per_page]), more


def _address(record: dict[str, Any]) -> str | None:
    addresses = record.get("addresses")
    if not isinstance(addresses, list) or not addresses or not isinstance(addresses[0], dict):
        return None
    a = addresses[0]
    parts = [a.get(k) for k in ("address_1", "address_2", "city", "country")]
    return ", ".join(str(p) for p in parts if p) or None


def _location_out(loc: DirectoryLocation, distance: float | None = None) -> dict[str, Any]:
    return {"id": loc.id, "name": loc.name, "location_type": loc.location_type, "latitude": loc.latitude,
            "longitude": loc.longitude, "address": _address(loc.record), "distance_km": distance}


def _categories(session: Session, service_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    rows = session.execute(
        select(DirectoryAttribute.service_id, TaxonomyTerm.code)
        .join(TaxonomyTerm, TaxonomyTerm.id == DirectoryAttribute.taxonomy_term_id)
        .where(DirectoryAttribute.service_id.in_(service_ids), TaxonomyTerm.code.is_not(None))
        .order_by(TaxonomyTerm.code))
    for sid, code in rows:
        if sid is not None and code is not None and code not in out.setdefault(sid, []):
            out[sid].append(code)
    return out


def _languages(session: Session, service_ids: list[str], location_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    sal = ServiceAtLocation
    rows = session.execute(
        select(DirectoryLanguage.service_id, DirectoryLanguage.code)
        .where(DirectoryLanguage.service_id.in_(service_ids), DirectoryLanguage.code.is_not(None))
        .union(select(sal.service_id, DirectoryLanguage.code)
               .join(sal, sal.location_id == DirectoryLanguage.location_id)
               .where(DirectoryLanguage.location_id.in_(location_ids), sal.service_id.in_(service_ids),
                      DirectoryLanguage.code.is_not(None))))
    for sid, code in rows:
        if sid is not None and code is not None:
            out.setdefault(sid, []).append(code)
    return {sid: sorted(set(codes)) for sid, codes in out.items()}


def _summaries(session: Session, hits: list[Hit]) -> list[dict[str, Any]]:
    if not hits:
        return []
    service_ids = [h.service_id for h in hits]
    services = {s.id: (s, org_name) for s, org_name in session.execute(
        select(DirectoryService, DirectoryOrganization.name)
        .outerjoin(DirectoryOrganization, DirectoryOrganization.id == DirectoryService.organization_id)
        .where(DirectoryService.id.in_(service_ids)))}
    location_of = {h.service_id: h.location_id for h in hits if h.location_id}
    missing = [sid for sid in service_ids if sid not in location_of]
    if missing:
        # Without a point, a service is shown at its first location.
        for sid, lid in session.execute(select(ServiceAtLocation.service_id, ServiceAtLocation.location_id)
                                        .where(ServiceAtLocation.service_id.in_(missing))
                                        .order_by(ServiceAtLocation.service_id, ServiceAtLocation.id)):
            location_of.setdefault(sid, lid)
    locations = {loc.id: loc for loc in session.scalars(
        select(DirectoryLocation).where(DirectoryLocation.id.in_(set(location_of.values()))))}
    categories = _categories(session, service_ids)
    languages = _languages(session, service_ids, list(locations))
    out = []
    for h in hits:
        service, org_name = services[h.service_id]
        loc = locations.get(location_of.get(h.service_id, ""))
        out.append({
            "id": service.id, "name": service.name, "description": service.record.get("description"),
            "status": service.status,
            "organization": {"id": service.organization_id, "name": org_name} if service.organization_id else None,
            "location": _location_out(loc, h.distance_km) if loc is not None else None,
            "distance_km": h.distance_km, "categories": categories.get(h.service_id, []),
            "languages": languages.get(h.service_id, []),
        })
    return out


def _record_fields(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: record.get(n) for n in names}


def get_service(session: Session, *, principal: Principal, service_id: str) -> dict[str, Any]:
    """Everything a caseworker needs to refer someone to one service."""
    require(principal, Action.DIRECTORY_READ)
    row = session.execute(
        select(DirectoryService, DirectoryOrganization)
        .outerjoin(DirectoryOrganization, DirectoryOrganization.id == DirectoryService.organization_id)
        .where(DirectoryService.id == service_id)).first()
    if row is None:
        raise NotFound(NO_SERVICE, field="service_id")
    service, org = row
    sal = ServiceAtLocation
    locations = session.execute(
        select(sal.id, DirectoryLocation).join(DirectoryLocation, DirectoryLocation.id == sal.location_id)
        .where(sal.service_id == service.id).order_by(sal.id)).all()
    sal_ids = [s for s, _ in locations]
    location_ids = [loc.id for _, loc in locations]
    phones = session.scalars(select(DirectoryPhone).where(or_(
        DirectoryPhone.service_id == service.id, DirectoryPhone.service_at_location_id.in_(sal_ids),
        DirectoryPhone.location_id.in_(location_ids),
        DirectoryPhone.organization_id == service.organization_id)).order_by(DirectoryPhone.id)).all()
    schedules = session.scalars(select(DirectorySchedule).where(or_(
        DirectorySchedule.service_id == service.id, DirectorySchedule.service_at_location_id.in_(sal_ids),
        DirectorySchedule.location_id.in_(location_ids))).order_by(DirectorySchedule.id)).all()
    areas = session.scalars(select(ServiceArea).where(or_(ServiceArea.service_id == service.id,
                                                          ServiceArea.service_at_location_id.in_(sal_ids)))
                            .order_by(ServiceArea.id)).all()
    rec = service.record
    return {
        "id": service.id, "name": service.name, "status": service.status,
        **_record_fields(rec, "alternate_name", "description", "url", "email", "eligibility_description",
                         "minimum_age", "maximum_age", "application_process", "fees_description",
                         "interpretation_services", "alert"),
        "acknowledgement_hours": service.acknowledgement_hours,
        "organization": None if org is None else {
            "id": org.id, "name": org.name, "website": org.record.get("website"),
            "partner_organisation_id": org.partner_organisation_id},
        "locations": [_location_out(loc) for _, loc in locations],
        "categories": _categories(session, [service.id]).get(service.id, []),
        "languages": _languages(session, [service.id], location_ids).get(service.id, []),
        "phones": [_record_fields(p.record, "number", "extension", "type", "description") for p in phones],
        "schedules": [{**_record_fields(s.record, "byday", "opens_at", "closes_at", "freq", "description",
                                        "valid_from", "valid_to"), "location_id": s.location_id} for s in schedules],
        "service_areas": [a.record.get("name") or a.record.get("description") for a in areas
                          if a.record.get("name") or a.record.get("description")],
    }


def _entity(hsds_id: str) -> str | None:
    # The audit trail's entity ids are at most 64 characters; a longer HSDS id is in the details only.
    return hsds_id if len(hsds_id) <= 64 else None


def update_service(session: Session, *, principal: Principal, service_id: str, acknowledgement_hours: int
                   ) -> DirectoryService:
    """Set how long the service has to acknowledge a referral before it is flagged overdue."""
    require(principal, Action.DIRECTORY_MANAGE)
    service = session.get(DirectoryService, service_id)
    if service is None:
        raise NotFound(NO_SERVICE, field="service_id")
    before = service.acknowledgement_hours
    service.acknowledgement_hours = acknowledgement_hours
    session.flush()
    record_event(session, actor=principal, action="directory.service_update", entity_type="directory_service",
                 entity_id=_entity(service.id),
                 details={"id": service.id, "acknowledgement_hours": [before, acknowledgement_hours]})
    return service


def link_partner(session: Session, *, principal: Principal, organization_id: str,
                 partner_organisation_id: uuid.UUID | None) -> DirectoryOrganization:
    """Say which Crossroads partner organisation an HSDS organization is, so its referrals reach that inbox."""
    require(principal, Action.DIRECTORY_MANAGE)
    org = session.get(DirectoryOrganization, organization_id)
    if org is None:
        raise NotFound(NO_ORGANIZATION, field="organization_id")
    if partner_organisation_id is not None and session.get(Organisation, partner_organisation_id) is None:
        raise Invalid(NO_PARTNER, field="partner_organisation_id")
    org.partner_organisation_id = partner_organisation_id
    session.flush()
    record_event(session, actor=principal, action="directory.organization_link", entity_type="directory_organization",
                 entity_id=_entity(org.id), details={"id": org.id, "partner_organisation_id": str(
                     partner_organisation_id) if partner_organisation_id else None})
    return org


def needs(session: Session, *, principal: Principal) -> list[dict[str, Any]]:
    """The need categories: the shipped ones, then imported terms that have a code, by code."""
    require(principal, Action.DIRECTORY_READ)
    shipped = [{"code": n.code, "name": n.label, "shipped": True} for n in taxonomy.NEEDS]
    known = {n.code for n in taxonomy.NEEDS}
    imported = session.execute(select(TaxonomyTerm.code, TaxonomyTerm.name).where(TaxonomyTerm.code.is_not(None))
                               .order_by(TaxonomyTerm.code, TaxonomyTerm.id)).all()
    seen = set(known)
    for code, name in imported:
        if code is not None and code not in seen:
            seen.add(code)
            shipped.append({"code": code, "name": name, "shipped": False})
    return shipped
