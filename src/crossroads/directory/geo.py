"""Distances on the Earth and the boxes that bound them: plain numbers in, plain numbers out."""

from __future__ import annotations

import math

from crossroads.kit.i18n import N_

NOT_A_POINT = N_("must be LAT,LON in decimal degrees")
BAD_LATITUDE = N_("the latitude must be between -90 and 90")
BAD_LONGITUDE = N_("the longitude must be between -180 and 180")

EARTH_RADIUS_KM = 6371.0088
# Half the Earth's circumference: no two points are further apart.
MAX_DISTANCE_KM = math.pi * EARTH_RADIUS_KM


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box holding every point within `radius_km` of (lat, lon).

    Where the circle reaches a pole or crosses the antimeridian the box spans every longitude: wider than
    needed, never narrower, so the exact distance filters what it lets through.
    """
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90:
        return max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0
    # The widest longitude span of the circle, at the latitude where it is tangent to a meridian.
    ratio = math.sin(radius_km / EARTH_RADIUS_KM) / math.cos(math.radians(lat))
    if ratio >= 1:
        return min_lat, max_lat, -180.0, 180.0
    dlon = math.degrees(math.asin(ratio))
    if lon - dlon < -180 or lon + dlon > 180:
        return min_lat, max_lat, -180.0, 180.0
    return min_lat, max_lat, lon - dlon, lon + dlon


# Bands of latitude a quarter of a degree (about 28 km) high: a search box is a few bands, and each band a
# range of longitude in the locations' index.
BANDS_PER_DEGREE = 4


def latitude_band(latitude: float) -> int:
    return math.floor(latitude * BANDS_PER_DEGREE)


def bands(min_lat: float, max_lat: float) -> list[int]:
    """Every band that holds a latitude in [min_lat, max_lat]."""
    return list(range(latitude_band(min_lat), latitude_band(max_lat) + 1))


def parse_point(text: str) -> tuple[float, float]:
    """'LAT,LON' in decimal degrees; ValueError naming what is wrong."""
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(NOT_A_POINT)
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(NOT_A_POINT) from None
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise ValueError(BAD_LATITUDE)
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise ValueError(BAD_LONGITUDE)
    return lat, lon
