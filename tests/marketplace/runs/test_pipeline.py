"""The run pipeline: build, solve (optimiser and greedy baseline), store the proposal."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.catalog.vocab import LineKind
from marketplace.extensions import db
from marketplace.runs.models import AssignmentDecision, RunAssignment, RunStage
from marketplace.runs.pipeline import EmptyPool, execute, read_document
from matching import check, parse_problem
from tests.marketplace.allocations.factories import (
    en,
    funds_data,
    goods_data,
    goods_id,
    make_line,
    offer,
    service_data,
)
from tests.marketplace.querycount import counted
from tests.marketplace.runs.run_factories import make_run, set_demo_pool_aside


class Reports(list):
    def __call__(self, stage, percent):
        self.append((stage, percent))


def small_pool():
    """Three home-care lines (20 h each) for one 40 h offer, funds for two of three lines,
    and two wheelchairs wanted with three in stock."""
    lines = [make_line(quantity="20") for _ in range(3)]
    lines += [make_line(LineKind.funds, "medical", "600") for _ in range(3)]
    lines.append(make_line(LineKind.goods, "disability", "2",
                           goods_item_id=goods_id("wheelchair")))
    offers = [offer("provider_staff", service_data()),
              offer("charity_staff", funds_data(capacity=Decimal("1000.50"))),
              offer("donor_staff", goods_data(capacity=Decimal("3")))]
    return lines, offers


def test_the_build_reports_its_progress_line_by_line(app, demo, monkeypatch):
    """A large build (13 s for 50,000 lines) moves the bar within the building stage, from
    0 to just below the solving stage's start, never backwards."""
    from marketplace.runs import pipeline, problem

    monkeypatch.setattr(problem, "PROGRESS_EVERY", 2)
    with app.app_context():
        set_demo_pool_aside()
        small_pool()
        reports = Reports()
        execute(make_run(policy={"time_limit_s": 5}), reports)
        building = [p for s, p in reports if s == RunStage.building]
        assert building[0] == 0 and len(set(building)) >= 4  # 7 lines: 3 reports within
        assert building == sorted(building)
        assert building[-1] < pipeline.STAGE_START[RunStage.solving]


def test_execute_stores_a_valid_proposal_and_both_figures(app, demo):
    with app.app_context():
        set_demo_pool_aside()
        lines, offers = small_pool()
        run = make_run(policy={"time_limit_s": 5})
        reports = Reports()
        execute(run, reports)
        db.session.commit()
        run_id = run.id

        assert [s for s, _ in reports][0] == RunStage.building
        assert [p for _, p in reports] == sorted(p for _, p in reports)
        assert reports[-1] == (RunStage.storing, 100)
        assert {s for s, _ in reports} == set(RunStage) - {RunStage.committing}  # approval

        pairs = list(db.session.scalars(select(RunAssignment).where(
            RunAssignment.run_id == run_id)))
        by_offer, by_line = defaultdict(Decimal), defaultdict(Decimal)
        for a in pairs:
            by_offer[a.offer_id] += a.quantity
            by_line[a.need_line_id] += a.quantity
            assert a.decision == AssignmentDecision.proposed and a.county_code == "433101"
            assert 0 < a.fit <= 1
        capacity = {o.id: o.capacity for o in offers}
        assert all(q <= capacity[o] for o, q in by_offer.items())
        quantity = {line.id: line.quantity for line in lines}
        assert all(q <= quantity[i] for i, q in by_line.items())
        # services whole: two of the three 20 h lines fit in 40 h
        services = [a for a in pairs if a.offer_id == offers[0].id]
        assert sorted(a.quantity for a in services) == [Decimal("20"), Decimal("20")]
        assert by_offer[offers[1].id] == Decimal("1000.50")  # funds to the cent
        assert by_offer[offers[2].id] == Decimal("2")  # goods in whole units

        summary = run.summary
        assert summary["lines"] == 7 and summary["offers"] == 3
        assert summary["optimiser"]["coverage"] >= summary["baseline"]["coverage"] - 1e-6
        assert summary["optimiser"]["bound"] >= summary["optimiser"]["coverage"] - 1e-6
        assert summary["assignments"] == len(pairs)
        assert summary["counties"][0]["code"] == "433101"
        assert summary["counties"][0]["lines"] == 7
        assert summary["unserved"]  # supply is short on purpose
        assert set(summary["timings"]) == {"building", "solving", "baseline", "storing"}
        assert run.lines_count == 7 and run.offers_count == 3

        problem = parse_problem(read_document(run_id, "problem"))
        for name in ("result", "baseline"):
            assert check(problem, read_document(run_id, name)).ok


def test_execute_again_replaces_the_proposal(app, demo):
    with app.app_context():
        set_demo_pool_aside()
        small_pool()
        run = make_run(policy={"time_limit_s": 5})
        execute(run, Reports())
        first = run.summary["assignments"]
        execute(run, Reports())
        db.session.flush()
        stored = db.session.scalars(select(RunAssignment).where(
            RunAssignment.run_id == run.id)).all()
        assert len(stored) == first


@pytest.mark.parametrize("what", ["lines", "offers"])
def test_an_empty_pool_says_so(app, demo, what):
    with en(app):
        set_demo_pool_aside()
        if what == "offers":
            make_line()
        else:
            offer("provider_staff", service_data())
        run = make_run()
        with pytest.raises(EmptyPool) as err:
            execute(run, Reports())
        expected = ("There are no open need lines" if what == "lines"
                    else "There are no open offers with capacity left")
        assert str(err.value).startswith(expected)


def test_storing_is_bulk(app, demo):
    """The statements do not grow with the number of proposed pairs."""
    counts = []
    for n in (2, 8):
        with app.app_context():
            set_demo_pool_aside()
            for _ in range(n):
                make_line(LineKind.funds, "medical", "100")
            offer("charity_staff", funds_data(capacity=Decimal("10000")))
            run = make_run(policy={"time_limit_s": 5})
            db.session.commit()
            run_id = run.id
        with app.app_context():
            run = db.session.get(type(run), run_id)
            with counted(app) as statements:
                execute(run, Reports())
            assert run.summary["assignments"] == n
            counts.append(len(statements))
            db.session.rollback()
    assert counts[0] == counts[1]


def test_the_run_row_is_written_only_at_the_end(app, demo):
    """The worker writes progress to the run row on its own connection: until the pipeline
    stores, its transaction must not hold that row (on PostgreSQL the progress would wait)."""
    with app.app_context():
        set_demo_pool_aside()
        small_pool()
        run = make_run(policy={"time_limit_s": 5})
        db.session.commit()
        run_id = run.id
    with app.app_context():
        run = db.session.get(type(run), run_id)
        seen: list[tuple[RunStage, int, int]] = []
        with counted(app) as statements:
            def report(stage, percent):
                writes = sum(1 for s in statements if s.lstrip().upper().startswith(
                    "UPDATE MATCHING_RUNS"))
                # pending changes would go out with the next query's autoflush
                seen.append((stage, percent, writes + (run in db.session.dirty)))

            execute(run, report)
        assert all(writes == 0 for stage, percent, writes in seen if percent < 100)
        assert sum(1 for s in statements if s.lstrip().upper().startswith(
            "UPDATE MATCHING_RUNS")) == 1
        db.session.rollback()


def test_float_noise_does_not_cost_a_unit():
    """The engine's 1.9999999999999998 units of a goods line are 2 units, not 1; a real
    fraction is still rounded down to whole units, and funds to the cent."""
    from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

    from marketplace.runs.pipeline import CENT, UNIT, snapped

    assert snapped(1.9999999999999998, UNIT, ROUND_FLOOR) == Decimal("2")
    assert snapped(2.0000000000000004, UNIT, ROUND_FLOOR) == Decimal("2")
    assert snapped(1.5, UNIT, ROUND_FLOOR) == Decimal("1")
    assert snapped(0.30000000000000004, CENT, ROUND_HALF_EVEN) == Decimal("0.30")
    assert snapped(10.004, CENT, ROUND_FLOOR) == Decimal("10.00")
