"""Loading and extending the region tree."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from pypinyin import lazy_pinyin
from sqlalchemy import select
from wtforms import SelectChoice

from marketplace.audit.services import record_event
from marketplace.extensions import db
from marketplace.regions import directory
from marketplace.regions.models import CODE_LENGTHS, Region, RegionLevel, scope_prefix

DIVISIONS_CSV = Path(__file__).parent / "data" / "hunan_divisions.csv"

#: Which level may hang below which.
CHILD_LEVEL = {RegionLevel.county: RegionLevel.township, RegionLevel.township: RegionLevel.village}


class RegionError(Exception):
    """A region rule was broken; the message is shown to the user."""


def load_divisions(path: Path = DIVISIONS_CSV) -> int:
    """Insert or update the province, prefectures and counties from the seed file.

    Returns the number of rows read. Safe to run again: existing codes are updated in place.
    """
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    existing = {r.code: r for r in db.session.scalars(select(Region).where(
        Region.code.in_([row["code"] for row in rows])))}
    # Parents first: province, then prefectures, then counties.
    order = {"province": 0, "prefecture": 1, "county": 2}
    for row in sorted(rows, key=lambda r: (order[r["level"]], r["code"])):
        region = existing.get(row["code"]) or Region(code=row["code"])
        region.parent_code = row["parent_code"] or None
        region.level = RegionLevel(row["level"])
        region.name_zh = row["name_zh"]
        region.name_en = row["name_en"]
        region.kind = row["kind"]
        region.is_urban = row["is_urban"] == "1"
        db.session.add(region)
        db.session.flush()
    directory.clear()
    return len(rows)


def pinyin_name(name_zh: str) -> str:
    """A Latin name for a Chinese place name: 芙蓉路街道 → Furonglujiedao."""
    return "".join(lazy_pinyin(name_zh)).capitalize()


def infer_urban(level: RegionLevel, name_zh: str, parent: Region) -> bool:
    """Urban or rural below the county: streets (街道) and communities (社区) are urban, townships
    (乡, 镇) and villages (村) rural; other names follow their parent."""
    urban_suffix = "街道" if level == RegionLevel.township else "社区"
    rural_suffixes = ("乡", "镇") if level == RegionLevel.township else ("村",)
    if name_zh.endswith(urban_suffix):
        return True
    if name_zh.endswith(rural_suffixes):
        return False
    return parent.is_urban


@dataclass(frozen=True)
class NewRegion:
    code: str
    name_zh: str
    parent_code: str
    name_en: str = ""


def add_region(data: NewRegion, actor: Any = None) -> Region:
    """Add a township under a county or a village under a township (audited: ``actor`` is the
    administrator, None for a script)."""
    parent = db.session.get(Region, data.parent_code.strip())
    if parent is None:
        raise RegionError(str(_l("Unknown parent region code %(code)s.", code=data.parent_code)))
    level = CHILD_LEVEL.get(RegionLevel(parent.level))
    if level is None:
        raise RegionError(str(_l("Townships go under a county and villages under a township.")))
    code = data.code.strip()
    if not (code.isdigit() and len(code) == CODE_LENGTHS[level]
            and code.startswith(scope_prefix(parent.code))):
        raise RegionError(str(_l(
            "Code %(code)s must have %(n)d digits and start with the parent's code %(parent)s.",
            code=code, n=CODE_LENGTHS[level], parent=parent.code)))
    if db.session.get(Region, code) is not None:
        raise RegionError(str(_l("Region code %(code)s already exists.", code=code)))
    if not data.name_zh.strip():
        raise RegionError(str(_l("Give the Chinese name.")))
    region = Region(
        code=code,
        parent_code=parent.code,
        level=level,
        name_zh=data.name_zh.strip(),
        name_en=data.name_en.strip() or pinyin_name(data.name_zh.strip()),
        kind=level.value,
        is_urban=infer_urban(level, data.name_zh.strip(), parent),
    )
    db.session.add(region)
    db.session.flush()
    directory.clear()
    record_event(actor, "region.create", object_type="regions", object_id=region.code,
                 region_code=region.code,
                 after={"name_zh": region.name_zh, "parent_code": region.parent_code,
                        "level": str(region.level)})
    return region


def import_regions_csv(text: str, actor: Any = None) -> int:
    """Add townships and villages from CSV (``code,name_zh,parent_code[,name_en]``), all or none.

    Rows may refer to parents defined earlier in the same file. Raises RegionError naming the
    first bad line; the caller's transaction is then rolled back, so nothing is half-imported.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"code", "name_zh", "parent_code"} - set(reader.fieldnames or [])
    if missing:
        raise RegionError(str(_l("The CSV needs the columns code, name_zh and parent_code.")))
    count = 0
    for line, row in enumerate(reader, start=2):
        try:
            add_region(NewRegion(code=row["code"] or "", name_zh=row["name_zh"] or "",
                                 parent_code=row["parent_code"] or "",
                                 name_en=row.get("name_en") or ""), actor)
        except RegionError as exc:
            raise RegionError(str(_l("Line %(line)d: %(error)s", line=line, error=exc))) from exc
        count += 1
    if count == 0:
        raise RegionError(str(_l("The CSV has no rows.")))
    record_event(actor, "region.import", object_type="regions", object_id="",
                 after={"rows": count})
    return count


def region_choices(levels: Iterable[RegionLevel], locale: str) -> list[SelectChoice]:
    """Options for a region select field, in code order."""
    rows = db.session.scalars(
        select(Region).where(Region.level.in_(list(levels))).order_by(Region.code)
    )
    return [SelectChoice(r.code, f"{r.code} {r.display_name(locale)}") for r in rows]


def children_of(code: str | None) -> list[Region]:
    query = select(Region).order_by(Region.code)
    query = query.where(Region.parent_code == code) if code else query.where(
        Region.parent_code.is_(None))
    return list(db.session.scalars(query))


def place_labels(codes: Iterable[str | None], locale: str) -> dict[str, str]:
    """``code → label`` in ``locale`` for many region codes, in one query: a province,
    prefecture or county by its own name, a township or village after its county's
    ("吉首市 乾州街道", "Jishou Qianzhou Subdistrict") so a reader outside the county knows
    where it is. Unknown codes are left out (callers show the code)."""
    wanted = {c for c in codes if c}
    needed = wanted | {c[:6] for c in wanted if len(c) > 6} | {c[:9] for c in wanted
                                                                 if len(c) > 9}
    if not needed:
        return {}
    names = {r.code: r.display_name(locale)
             for r in db.session.scalars(select(Region).where(Region.code.in_(sorted(needed))))}
    labels = {}
    for code in wanted:
        if code not in names:
            continue
        parts = [names[p] for p in (code[:6], code[:9]) if len(code) > len(p) and p in names]
        labels[code] = " ".join([*parts, names[code]])
    return labels
