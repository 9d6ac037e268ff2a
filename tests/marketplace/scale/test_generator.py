"""The scale generator: valid, decryptable personal data, linked rows, counts as asked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.common.crypto import keyed_hash
from marketplace.extensions import db
from marketplace.households.idnumbers import parse_id_number
from marketplace.households.models import Household, Person, Relation
from marketplace.needs.models import LineStatus, Need, NeedLine
from marketplace.regions.models import Region, RegionLevel
from marketplace.scale import values
from marketplace.scale.generator import ScaleError, _allocate, generate


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_tiny_run_writes_valid_linked_rows(app, demo):
    with app.app_context():
        before = {m: _count(m) for m in (Household, Person, Need, NeedLine)}
        first_new = _count(Household) and db.session.scalar(select(func.max(Household.id)))
        report = generate(50, seed=7)
        assert report.households == 50
        assert _count(Household) - before[Household] == 50
        assert _count(Person) - before[Person] == report.persons
        assert _count(Need) - before[Need] == report.needs
        assert _count(NeedLine) - before[NeedLine] == report.lines
        assert report.persons >= 50 and report.lines > 0
        for household in db.session.scalars(select(Household).where(
                Household.id > (first_new or 0))):
            assert household.region.level == RegionLevel.township
            assert household.region_code.startswith(household.county_code)
            assert [m.relation for m in household.members].count(Relation.head) == 1
            for person in household.members:
                parsed = parse_id_number(person.id_number)  # decrypts and checks the digit
                assert parsed.region_prefix == household.county_code
                assert parsed.birth_date == person.birth_date
                assert parsed.sex == person.sex
                assert person.id_hash == keyed_hash(person.id_number)
                assert person.phone is None or (len(person.phone) == 11
                                                 and person.phone.startswith("1"))
            assert household.address_detail  # decrypts


def test_need_lines_agree_with_their_needs(app, demo):
    with app.app_context():
        last = db.session.scalar(select(func.max(Need.id))) or 0
        generate(60, seed=3)
        needs = list(db.session.scalars(select(Need).where(Need.id > last)))
        assert needs
        for need in needs:
            assert need.county_code == need.household.county_code
            assert need.region_code == need.household.region_code
            assert (need.published_at is not None) == (need.status in values.PUBLISHED_STATUSES)
            assert need.lines, "every need has at least one line"
            for line in need.lines:
                assert (line.goods_item is not None) == (line.kind == "goods")
                assert (line.service_type is not None) == (line.kind == "services")
                assert line.quantity > 0
                if line.goods_item:
                    assert line.unit == line.goods_item.unit
                if need.status == "withdrawn":
                    assert line.status == LineStatus.cancelled
                if need.status in ("draft", "submitted", "published"):
                    assert line.status == LineStatus.open


def test_ids_continue_after_existing_rows(app, demo):
    with app.app_context():
        before = _count(Household)
        generate(10, seed=1)
        generate(10, seed=2)  # a second run neither collides nor reuses keys
        assert _count(Household) - before == 20
        assert db.session.scalar(select(func.count(func.distinct(Person.id_hash)))) == \
            db.session.scalar(select(func.count(Person.id)))


def test_mountain_counties_get_more_households(app):
    with app.app_context():
        counties = list(db.session.scalars(select(Region).where(
            Region.level == RegionLevel.county)))
        assert len(counties) == 122
        counts = _allocate(1_100_000, counties)
        assert sum(counts.values()) == 1_100_000
        assert counts["433123"] > 2 * counts["430102"]  # 凤凰县 (湘西) vs 芙蓉区 (Changsha)


def test_id_numbers_have_the_check_character(app):
    import random

    rng = random.Random(5)
    from datetime import date

    number = values.id_number(rng, "433123", date(1980, 2, 29), male=False)
    assert int(number[16]) % 2 == 0
    assert parse_id_number(number).birth_date == date(1980, 2, 29)


def test_needs_demo_data_first(app):
    with app.app_context(), pytest.raises(ScaleError, match="seed-demo"):
        generate(5)


def test_command_reports_counts_and_time(app, demo):
    result = app.test_cli_runner().invoke(args=["generate-scale", "--households", "12"])
    assert result.exit_code == 0, result.output
    assert "Generated 12 households" in result.output
    assert " s (" in result.output


def test_bulk_load_ends_with_fresh_statistics(app, demo):
    """After generating, the planner has statistics (SQLite: sqlite_stat1; PostgreSQL: the
    big tables vacuumed and analysed, so index-only scans can skip the table)."""
    from sqlalchemy import text

    with app.app_context():
        generate(20, seed=5)
        if db.engine.dialect.name == "postgresql":
            rows = db.session.execute(text(
                "SELECT relname FROM pg_stat_user_tables WHERE relname IN ('needs', "
                "'need_lines', 'households') AND last_vacuum IS NOT NULL "
                "AND last_analyze IS NOT NULL")).scalars().all()
            assert sorted(rows) == ["households", "need_lines", "needs"]
        else:
            stats = db.session.execute(text(
                "SELECT DISTINCT tbl FROM sqlite_stat1 WHERE tbl IN ('needs', 'need_lines')"
            )).scalars().all()
            assert sorted(stats) == ["need_lines", "needs"]
