"""Data-level checks on the committed Hunan divisions seed file (csv module only, no app)."""

import csv
from collections import Counter
from pathlib import Path

import pytest

CSV_PATH = (Path(__file__).resolve().parents[3]
            / "marketplace" / "regions" / "data" / "hunan_divisions.csv")
FIELDS = ["code", "parent_code", "level", "name_zh", "name_en", "kind", "is_urban"]
KINDS = {
    "province": {"province"},
    "prefecture": {"city", "autonomous_prefecture"},
    "county": {"district", "county_city", "county", "autonomous_county"},
}


@pytest.fixture(scope="module")
def rows():
    """All rows of the seed file as dicts."""
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == FIELDS
        return list(reader)


@pytest.fixture(scope="module")
def by_code(rows):
    """Rows keyed by code."""
    return {r["code"]: r for r in rows}


def test_counts_by_level(rows):
    levels = Counter(r["level"] for r in rows)
    assert levels == {"province": 1, "prefecture": 14, "county": 122}


def test_counts_by_kind(rows):
    kinds = Counter(r["kind"] for r in rows)
    assert kinds == {"province": 1, "city": 13, "autonomous_prefecture": 1, "district": 36,
                     "county_city": 19, "county": 60, "autonomous_county": 7}


def test_province_row(by_code):
    prov = by_code["430000"]
    assert (prov["level"], prov["name_zh"], prov["parent_code"]) == ("province", "湖南省", "")


def test_codes_unique_six_digits_in_hunan(rows):
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert len(code) == 6 and code.isdigit() and code.startswith("43"), code


def test_parents_exist_and_match_code_structure(rows, by_code):
    for r in rows:
        if r["level"] == "province":
            continue
        parent = by_code[r["parent_code"]]
        expected_parent_level = "province" if r["level"] == "prefecture" else "prefecture"
        assert parent["level"] == expected_parent_level, r["code"]
        prefix = 2 if r["level"] == "prefecture" else 4
        assert r["code"][:prefix] == r["parent_code"][:prefix], r["code"]


def test_names_present_and_kinds_valid(rows):
    for r in rows:
        assert r["name_zh"].strip() and r["name_en"].strip(), r["code"]
        assert r["name_en"].isascii(), r["code"]
        assert r["kind"] in KINDS[r["level"]], r["code"]


def test_is_urban_exactly_for_districts(rows):
    for r in rows:
        assert r["is_urban"] == ("1" if r["kind"] == "district" else "0"), r["code"]


def test_kind_agrees_with_chinese_suffix(rows):
    suffix = {"district": "区", "county_city": "市", "county": "县",
              "autonomous_county": "自治县", "city": "市", "autonomous_prefecture": "自治州"}
    for r in rows:
        if r["kind"] != "province":
            assert r["name_zh"].endswith(suffix[r["kind"]]), r["code"]
        if r["kind"] == "county":
            assert not r["name_zh"].endswith("自治县"), r["code"]


@pytest.mark.parametrize(
    ("code", "name_zh", "kind", "is_urban", "name_en"),
    [
        ("430102", "芙蓉区", "district", "1", "Furong District"),
        ("431181", "祁阳市", "county_city", "0", "Qiyang City"),
        ("433100", "湘西土家族苗族自治州", "autonomous_prefecture", "0",
         "Xiangxi Tujia and Miao Autonomous Prefecture"),
        # 宁乡 became a county-level city in 2017 and took code 430182 (430124 was 宁乡县).
        ("430182", "宁乡市", "county_city", "0", "Ningxiang City"),
        ("430100", "长沙市", "city", "0", "Changsha"),
        ("431122", "东安县", "county", "0", "Dong'an County"),
    ],
)
def test_spot_checks(by_code, code, name_zh, kind, is_urban, name_en):
    r = by_code[code]
    assert (r["name_zh"], r["kind"], r["is_urban"], r["name_en"]) == (
        name_zh, kind, is_urban, name_en)


def test_abolished_codes_absent(by_code):
    # 宁乡县 (430124), 邵东县 (430521) and 祁阳县 (431121) were converted to cities.
    for code in ("430124", "430521", "431121"):
        assert code not in by_code
