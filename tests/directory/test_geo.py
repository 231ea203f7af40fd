from __future__ import annotations

import pytest

from crossroads.directory.geo import MAX_DISTANCE_KM, bounding_box, distance_km, parse_point


@pytest.mark.parametrize(("a", "b", "km"), [
    ((36.8065, 10.1815), (34.7406, 10.7603), 236.0),  # Tunis, Sfax
    ((0, 0), (0, 180), MAX_DISTANCE_KM),
    ((51.5074, -0.1278), (48.8566, 2.3522), 343.5),  # London, Paris
])
def test_distance(a, b, km):
    assert distance_km(*a, *b) == pytest.approx(km, rel=0.01)


@pytest.mark.parametrize(("lat", "lon", "radius"), [(36.8, 10.2, 50), (-33.9, 151.2, 500), (64.1, -21.9, 2000),
                                                   (0, 179.9, 100), (89.9, 0, 50)])
def test_the_box_holds_every_point_within_the_radius(lat, lon, radius):
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
    for bearing in range(0, 360, 5):
        import math

        # A point on the circle, by the spherical destination formula.
        d, b, p1, l1 = radius / 6371.0088, math.radians(bearing), math.radians(lat), math.radians(lon)
        p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
        l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
        plat, plon = math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180
        assert min_lat - 1e-9 <= plat <= max_lat + 1e-9
        assert min_lon - 1e-9 <= plon <= max_lon + 1e-9


@pytest.mark.parametrize(("text", "message"), [("36.8", "LAT,LON"), ("a,b", "LAT,LON"), ("100,101", "latitude"),
                                               ("10,-181", "longitude"), ("inf,0", "latitude")])
def test_bad_points(text, message):
    with pytest.raises(ValueError, match=message):
        parse_point(text)


def test_a_point():
    assert parse_point(" 36.8 , 10.18") == (36.8, 10.18)
