"""The region tree in the database: completeness, townships, villages and CSV import."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.regions import services
from marketplace.regions.models import Region, scope_prefix


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_hunan_is_complete(ctx):
    def count(level):
        return db.session.scalar(select(func.count()).where(Region.level == level))

    assert count("province") == 1
    assert count("prefecture") == 14
    assert count("county") == 122
    codes = db.session.scalars(select(Region.code)).all()
    assert len(codes) == len(set(codes))
    assert db.session.get(Region, "430102").is_urban
    assert not db.session.get(Region, "433123").is_urban
    assert db.session.get(Region, "433123").parent.name_zh == "湘西土家族苗族自治州"


def test_loading_twice_changes_nothing(ctx):
    before = db.session.scalar(select(func.count(Region.code)))
    services.load_divisions()
    assert db.session.scalar(select(func.count(Region.code))) == before


@pytest.mark.parametrize("code, prefix", [
    ("430000", "43"), ("430100", "4301"), ("430102", "430102"), ("430102001", "430102001"),
])
def test_scope_prefix(code, prefix):
    assert scope_prefix(code) == prefix


def test_add_township_and_village(ctx):
    town = services.add_region(services.NewRegion("433123101", "麻冲乡", "433123"))
    assert town.level == "township" and town.name_en == "Machongxiang" and not town.is_urban
    street = services.add_region(services.NewRegion("433123001", "沱江街道", "433123"))
    assert street.is_urban
    village = services.add_region(services.NewRegion("433123101201", "竹山村", "433123101"))
    assert village.level == "village" and not village.is_urban
    assert db.session.get(Region, "433123").contains(village.code)


@pytest.mark.parametrize("code, parent", [
    ("433123101", "999999"),  # unknown parent
    ("430102101", "433123"),  # code outside the parent
    ("43312310", "433123"),  # wrong length
    ("433100101", "433100"),  # townships hang below counties, not prefectures
])
def test_bad_regions_are_refused(ctx, code, parent):
    with pytest.raises(services.RegionError):
        services.add_region(services.NewRegion(code, "某地", parent))
    assert db.session.get(Region, code) is None


def test_csv_import_is_all_or_nothing(app, login):
    admin = login("admin")
    good = "code,name_zh,parent_code\n433123102,禾库镇,433123\n433123102201,禾库村,433123102\n"
    bad = "code,name_zh,parent_code\n433123103,腊尔山镇,433123\n433123104,某镇,999999\n"
    response = admin.post("/admin/regions/import", {"file": (_file(bad), "towns.csv")},
                          content_type="multipart/form-data",
                          headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "Line 3" in response.get_data(as_text=True)
    response = admin.post("/admin/regions/import", {"file": (_file(good), "towns.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Region, "433123103") is None
        assert db.session.get(Region, "433123102201").level == "village"


def test_admin_adds_a_township_through_the_form(app, login):
    response = login("admin").post("/admin/regions/new", {
        "parent_code": "433101", "code": "433101002", "name_zh": "峒河街道", "name_en": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Region, "433101002").name_zh == "峒河街道"


def _file(text: str):
    import io

    return io.BytesIO(text.encode("utf-8"))


def test_place_labels_name_a_township_after_its_county(app, demo):
    with app.app_context():
        zh = services.place_labels(["433101001", "433101", "430000", "999999", None], "zh_CN")
        en = services.place_labels(["433101001"], "en")
    assert zh == {"433101001": "吉首市 乾州街道", "433101": "吉首市", "430000": "湖南省"}
    assert en["433101001"].endswith("Qianzhou Subdistrict") or " " in en["433101001"]
    assert en["433101001"].split(" ")[0] == "Jishou"
