"""The matching problem built from the site's open need lines and offers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.allocations.models import Delivery, Feedback
from marketplace.allocations.services import pledge
from marketplace.catalog.vocab import LineKind
from marketplace.contracts.services import contract_offers
from marketplace.extensions import db
from marketplace.needs.models import Urgency
from marketplace.runs import problem as problem_module
from marketplace.runs.models import MatchingRun
from marketplace.runs.problem import (
    build,
    need_key,
    offer_key,
    priority,
    problem_document,
    qualification_factor,
    rating_factor,
)
from matching import parse_problem
from tests.marketplace.allocations.factories import (
    TODAY,
    active_contract,
    funds_data,
    goods_data,
    goods_id,
    make_line,
    offer,
    service_data,
    user,
)
from tests.marketplace.querycount import counted
from tests.marketplace.runs.run_factories import make_run, set_demo_pool_aside


def edge_map(problem):
    return {(problem.needs[e.need].id, problem.offers[e.offer].id): e for e in problem.edges}


def test_priority_weights_urgency_deadline_and_groups():
    assert priority("normal", TODAY + timedelta(days=90), [], TODAY) == 1.0
    assert priority("emergency", TODAY + timedelta(days=90), [], TODAY) == 2.0
    assert priority("normal", TODAY + timedelta(days=3), [], TODAY) == 1.5
    assert priority("normal", TODAY - timedelta(days=3), [], TODAY) == 1.5  # overdue
    assert priority("normal", TODAY + timedelta(days=20), [], TODAY) == 1.2
    assert priority("normal", TODAY + timedelta(days=90), ["dibao", "tekun"], TODAY) == 1.5
    assert priority(Urgency.emergency, TODAY, ["low_income"], TODAY) == pytest.approx(3.3)


def test_fit_factors():
    assert rating_factor(None) == pytest.approx(0.95)
    assert rating_factor((Decimal(5), 1000)) == pytest.approx(1.0, abs=1e-3)
    assert rating_factor((Decimal(1), 1000)) == pytest.approx(0.8, abs=1e-3)
    assert rating_factor((Decimal(1), 1)) > rating_factor((Decimal(1), 10))  # shrinkage
    assert qualification_factor(0) == 1.0
    assert qualification_factor(1) == 0.95
    assert qualification_factor(3) == 0.9


def test_open_lines_remaining_and_offers_with_fit(app, demo):
    with app.app_context():
        set_demo_pool_aside()
        line = make_line(quantity="20")  # home care in 433101001 (吉首市)
        service = offer("provider_staff", service_data())  # regions 433100, care_worker
        pledge(user("provider_staff"), service, line, Decimal("5"))
        run = make_run()
        problem, index = build(run)
        assert [n.id for n in problem.needs] == [need_key(line.id)]
        need = problem.needs[0]
        assert need.quantity == 15.0 and need.region == "433101" and not need.divisible
        assert [o.id for o in problem.offers] == [offer_key(service.id)]
        assert problem.offers[0].capacity == 35.0
        (edge,) = problem.edges
        # a prefecture-wide offer, but the provider is based in the line's county (吉首市);
        # unrated; one qualification more than the line requires
        assert edge.fit == pytest.approx(1.0 * 0.95 * 0.95, abs=1e-4)
        assert index.lines[0].remaining == Decimal("15")
        assert index.offers[0].remaining == Decimal("35")


def test_locality_county_prefecture_province(app, demo):
    """A Changsha charity's funds for a 吉首市 line: serving the county, the prefecture, the
    province; the goods of a 吉首市-based pickup; a provider based in the prefecture."""
    with app.app_context():
        set_demo_pool_aside()
        line = make_line(LineKind.funds, "medical", "300")
        county, prefecture, province, everywhere = (
            offer("charity_staff", funds_data(regions=regions))
            for regions in (["433101"], ["433100"], ["430000"], []))
        based = offer("volunteer_staff", funds_data(regions=["430000"]))  # 凤凰县
        problem, _ = build(make_run())
        fits = {o: e.fit for (n, o), e in edge_map(problem).items()}
        unrated = 0.95
        assert fits[offer_key(county.id)] == pytest.approx(1.0 * unrated)
        assert fits[offer_key(prefecture.id)] == pytest.approx(0.8 * unrated)
        assert fits[offer_key(province.id)] == pytest.approx(0.6 * unrated)
        assert fits[offer_key(everywhere.id)] == pytest.approx(0.6 * unrated)
        assert fits[offer_key(based.id)] == pytest.approx(0.8 * unrated)
        assert set(fits) == {offer_key(o.id) for o in (county, prefecture, province,
                                                        everywhere, based)}
        assert need_key(line.id) == problem.needs[0].id


def test_candidates_are_capped_at_the_best_fitting(app, demo, monkeypatch):
    monkeypatch.setattr(problem_module, "MAX_CANDIDATES", 2)
    with app.app_context():
        set_demo_pool_aside()
        make_line(LineKind.funds, "medical", "300")
        far, near, nearest = (offer("charity_staff", funds_data(regions=regions))
                              for regions in (["430000"], ["433100"], ["433101"]))
        problem, _ = build(make_run())
        assert [problem.offers[e.offer].id for e in problem.edges] == [
            offer_key(near.id), offer_key(nearest.id)]
        assert far.id  # the province-wide offer is left out


def test_ratings_of_the_provider_change_the_fit(app, demo):
    with app.app_context():
        set_demo_pool_aside()
        line = make_line(quantity="20")
        service = offer("provider_staff", service_data())
        allocation = pledge(user("provider_staff"), service, make_line(quantity="1"),
                            Decimal("1"))
        delivery = Delivery(allocation_id=allocation.id, delivered_on=TODAY,
                            quantity=Decimal("1"), organization_id=service.organization_id,
                            region_code=allocation.region_code)
        db.session.add(delivery)
        db.session.flush()
        db.session.add(Feedback(delivery_id=delivery.id, organization_id=service.organization_id,
                                region_code=allocation.region_code, satisfaction=1))
        db.session.flush()
        problem, _ = build(make_run())
        edge = edge_map(problem)[(need_key(line.id), offer_key(service.id))]
        # one rating of 1, shrunk: (1 + 3 × 4) / 4 = 3.25 → 0.75 + 0.05 × 3.25
        assert edge.fit == pytest.approx(1.0 * 0.9125 * 0.95, abs=1e-4)


def test_pool_leaves_out_other_regions_covered_drafts_and_other_kinds(app, demo):
    with app.app_context():
        set_demo_pool_aside()
        inside = make_line(quantity="10")
        make_line(quantity="10", region_code="430102001")  # 芙蓉区: other prefecture
        make_line(quantity="10", need_status="draft")
        covered = make_line(quantity="4")
        service = offer("provider_staff", service_data())
        pledge(user("provider_staff"), service, covered, Decimal("4"))
        funds_line = make_line(LineKind.funds, "medical", "500")
        problem, _ = build(make_run())
        assert {n.id for n in problem.needs} == {need_key(inside.id), need_key(funds_line.id)}
        problem, _ = build(make_run(kinds=["services"]))
        assert [n.id for n in problem.needs] == [need_key(inside.id)]
        problem, _ = build(make_run(categories=["medical"]))
        assert [n.id for n in problem.needs] == [need_key(funds_line.id)]


def test_compatibility_rules_decide_the_edges(app, demo):
    with app.app_context():
        set_demo_pool_aside()
        nurse_line = make_line(requires=("nurse",))
        group_line = make_line(groups=("dibao",))
        plain = make_line()
        restricted = offer("provider_staff", service_data(groups=["dibao"]))
        chair = offer("donor_staff", goods_data())  # goods: no edge to services
        wheel = make_line(LineKind.goods, "disability", "2", goods_item_id=goods_id("wheelchair"))
        medical = offer("charity_staff", funds_data(categories=["medical"]))
        living = make_line(LineKind.funds, "living", "300")
        problem, _ = build(make_run())
        edges = set(edge_map(problem))
        assert (need_key(group_line.id), offer_key(restricted.id)) in edges
        assert (need_key(plain.id), offer_key(restricted.id)) not in edges
        assert (need_key(nurse_line.id), offer_key(restricted.id)) not in edges
        assert (need_key(wheel.id), offer_key(chair.id)) in edges
        assert not any(o == offer_key(medical.id) for _, o in edges)  # restricted to medical
        assert (need_key(living.id), offer_key(chair.id)) not in edges


def test_contract_offers_are_limited_by_the_remaining_budget(app, demo):
    with app.app_context():
        set_demo_pool_aside()
        contract = active_contract()  # 100 h × 50 + 50 sessions × 100 = 10 000
        contract.budget = Decimal("6000")
        db.session.flush()
        home, counselling = contract_offers(contract)
        make_line()
        problem, index = build(make_run())
        caps = {o.id: o.capacity for o in problem.offers}
        # 6 000 of 10 000 CNY of remaining capacity: each offer gets 60 %
        assert caps[offer_key(home.id)] == pytest.approx(60.0)
        assert caps[offer_key(counselling.id)] == pytest.approx(30.0)
        costs = {o.id: o.unit_cost for o in problem.offers}
        assert costs[offer_key(home.id)] == 50.0
        assert {ref.contract_id for ref in index.offers} == {contract.id}


def test_build_runs_a_fixed_number_of_queries(app, demo):
    with app.app_context():
        for _ in range(3):
            make_line()
            offer("provider_staff", service_data())
        active_contract()
        db.session.commit()
        run_id = make_run().id
        db.session.commit()
    with app.app_context():
        run = db.session.get(MatchingRun, run_id)
        with counted(app) as few:
            small, _ = build(run)
    with app.app_context():
        for _ in range(10):
            make_line(LineKind.funds, "medical", "100")
            offer("charity_staff", funds_data())
            make_line()
        db.session.commit()
    with app.app_context():
        run = db.session.get(MatchingRun, run_id)
        with counted(app) as many:
            big, _ = build(run)
    assert len(big.needs) > len(small.needs) and len(big.edges) > len(small.edges)
    assert len(many) == len(few) <= 6


def test_problem_document_reads_back_equal(app, demo):
    with app.app_context():
        set_demo_pool_aside()
        make_line()
        make_line(LineKind.funds, "medical", "300")
        offer("provider_staff", service_data())
        offer("charity_staff", funds_data())
        problem, _ = build(make_run(policy={"coverage_slack": 0.05, "balance": False,
                                            "time_limit_s": 5}))
        again = parse_problem(problem_document(problem))
        assert again == problem
        assert again.policy.balance_by == "none" and again.policy.time_limit_s == 5
