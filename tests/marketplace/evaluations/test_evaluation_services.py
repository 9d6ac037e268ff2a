"""Indicators, scores and grades of the hand-computed contract (see builders.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.audit.services import events_for
from marketplace.contracts.models import ContractStatus, TargetMetric
from marketplace.contracts.services import create_contract
from marketplace.evaluations.indicators import (
    BEHIND_SCHEDULE,
    NEAR_BUDGET,
    elapsed_share,
    indicators,
    warnings,
)
from marketplace.evaluations.models import ContractEvaluation, Grade
from marketplace.evaluations.services import (
    DEFAULT_WEIGHTS,
    EvaluationError,
    contracts_with_warnings,
    evaluate,
    grade,
    overview,
    published_for,
    score,
)
from marketplace.extensions import db
from tests.marketplace.allocations.factories import TODAY, contract_data, en, user
from tests.marketplace.evaluations.builders import build_contract


def test_indicators_of_the_hand_computed_contract(app, demo):
    with en(app):
        ind = indicators(build_contract(), TODAY)
        assert (ind.units_contracted, ind.units_delivered) == (Decimal("100"), Decimal("40"))
        assert ind.delivery_rate == Decimal("0.4")
        assert (ind.households_served, ind.households_allocated) == (2, 3)
        assert ind.households_rate == Decimal("0.6667")
        assert (ind.deliveries, ind.feedback_count) == (2, 2)
        assert ind.satisfaction_rate == Decimal("0.5")
        assert ind.satisfaction_average == Decimal("3.50")
        assert ind.proposals_due == 4 and ind.on_time_acceptance_rate == Decimal("0.75")
        assert ind.allocations_delivered == 2 and ind.on_time_delivery_rate == Decimal("0.5")
        assert (ind.committed, ind.consumed) == (Decimal("4800.00"), Decimal("3200.00"))
        assert ind.budget_execution_rate == Decimal("0.32")
        assert ind.committed_share == Decimal("0.48")
        assert ind.complaints == 1
        assert ind.elapsed_share == Decimal("0.5")
        targets = {t.metric: (t.actual, t.met) for t in ind.targets}
        assert targets == {"hours_delivered": (Decimal("40"), True),
                           "satisfaction_rate": (Decimal("50.00"), False)}


def test_response_time_and_households_targets(app, demo):
    with en(app):
        contract = build_contract(targets={TargetMetric.response_time_hours: Decimal("24"),
                                           TargetMetric.households_served: Decimal("4")})
        ind = indicators(contract, TODAY)
        # the three proposals were accepted as soon as they were made
        assert ind.response_hours is not None and Decimal("0") <= ind.response_hours < 1
        assert ind.households_rate == Decimal("0.5")  # 2 served of a target of 4
        targets = {t.metric: t.met for t in ind.targets}
        assert targets == {"response_time_hours": True, "households_served": False}


def test_schedule_warning_depends_on_the_tolerance(app, demo):
    with en(app):
        ind = indicators(build_contract(), TODAY)
        # 0.40 delivered against 0.5 elapsed: within the default 0.2 tolerance (0.40 ≥ 0.30)
        assert warnings(ind) == []
        assert warnings(ind, tolerance=Decimal("0.05")) == [BEHIND_SCHEDULE]


def test_weighted_score_by_hand(app, demo):
    with en(app):
        result = score(indicators(build_contract(), TODAY), DEFAULT_WEIGHTS)
    assert result.scores == {
        "delivery": Decimal("40.00"), "households": Decimal("66.67"),
        "satisfaction": Decimal("50.00"), "on_time_acceptance": Decimal("75.00"),
        "on_time_delivery": Decimal("50.00"), "budget_execution": Decimal("32.00"),
        "complaints": Decimal("50.00")}
    # (30·40 + 15·200/3 + 20·50 + 10·75 + 10·50 + 10·32 + 5·50) / 100 = 5020 / 100
    assert result.total == Decimal("50.20") and result.grade == Grade.fail


@pytest.mark.parametrize("total, expected", [
    ("0", Grade.fail), ("59.99", Grade.fail), ("60", Grade.passed), ("79.99", Grade.passed),
    ("80", Grade.good), ("89.99", Grade.good), ("90", Grade.excellent),
    ("100", Grade.excellent)])
def test_grade_boundaries(total, expected):
    assert grade(Decimal(total)) == expected


def test_elapsed_share_is_clamped():
    start, end = TODAY, TODAY + timedelta(days=10)
    assert elapsed_share(start, end, TODAY - timedelta(days=3)) == 0
    assert elapsed_share(start, end, TODAY + timedelta(days=4)) == Decimal("0.4")
    assert elapsed_share(start, end, TODAY + timedelta(days=30)) == 1
    assert elapsed_share(start, start, start) == 1


def test_an_indicator_without_data_passes_its_weight_on(app, demo):
    with en(app):
        contract = build_contract()
        weights = dict(DEFAULT_WEIGHTS, delivery=100, households=0, satisfaction=0,
                       on_time_acceptance=0, on_time_delivery=0, budget_execution=0,
                       complaints=0)
        assert score(indicators(contract, TODAY), weights).total == Decimal("40.00")


def _evaluations() -> int:
    return db.session.scalar(select(func.count(ContractEvaluation.id)))


def test_evaluate_stores_a_snapshot_and_is_audited(app, demo):
    with en(app):
        contract = build_contract()
        evaluation = evaluate(user("oversight_xx"), contract, DEFAULT_WEIGHTS, " 按期复核 ",
                              publish=True, as_of=TODAY)
        assert (evaluation.score, evaluation.grade) == (Decimal("50.20"), Grade.fail)
        assert evaluation.indicators["delivery_rate"] == "0.4000"
        assert evaluation.indicators["complaints"] == 1
        assert evaluation.scores["budget_execution"] == "32.00"
        assert evaluation.comment == "按期复核" and evaluation.region_code == "433100"
        (event,) = [e for e in events_for("contracts", contract.id)
                    if e.action == "contract.evaluate"]
        assert event.after["score"] == "50.20" and event.after["published"] is True
        assert published_for(contract.provider_id)[0].score == Decimal("50.20")


@pytest.mark.parametrize("weights, message", [
    (dict(DEFAULT_WEIGHTS, delivery=31), "add up to 100 \\(they add up to 101\\)"),
    (dict(DEFAULT_WEIGHTS, delivery=-30, households=75), "whole number"),
    ({k: v for k, v in DEFAULT_WEIGHTS.items() if k != "complaints"}, "whole number"),
])
def test_bad_weights_save_nothing(app, demo, weights, message):
    with en(app):
        contract = build_contract()
        with pytest.raises(EvaluationError, match=message):
            evaluate(user("oversight_xx"), contract, weights)
        assert _evaluations() == 0


def test_only_the_purchasers_officers_evaluate(app, demo):
    with en(app):
        contract = build_contract()
        for name in ("reviewer_jishou", "oversight_hn"):
            if name == "oversight_hn":  # the province is above 湘西州: allowed
                assert evaluate(user(name), contract, DEFAULT_WEIGHTS).id
            else:
                with pytest.raises(EvaluationError, match="oversight officers"):
                    evaluate(user(name), contract, DEFAULT_WEIGHTS)
        draft = create_contract(user("oversight_xx"),
                                contract_data(title="草稿", overlap_reason="续签"))
        assert draft.status == ContractStatus.draft
        with pytest.raises(EvaluationError, match="draft"):
            evaluate(user("oversight_xx"), draft, DEFAULT_WEIGHTS)


def test_published_for_shows_only_published_and_the_latest(app, demo):
    with en(app):
        contract = build_contract()
        officer = user("oversight_xx")
        evaluate(officer, contract, DEFAULT_WEIGHTS, publish=False)
        assert published_for(contract.provider_id) == []
        evaluate(officer, contract, DEFAULT_WEIGHTS, publish=True)
        evaluate(officer, contract, dict(DEFAULT_WEIGHTS, delivery=25, on_time_acceptance=15),
                 publish=True)
        (shown,) = published_for(contract.provider_id)
        # (25·40 + 1000 + 1000 + 15·75 + 500 + 320 + 250) / 100
        assert shown.score == Decimal("51.95") and shown.contract_title == "居家照料服务项目"


def test_overview_puts_warnings_first(app, demo):
    with en(app):
        calm = build_contract()
        # A contract half over with nothing delivered is behind schedule.
        behind = build_contract_without_deliveries()
        ours = {calm.id, behind.id}  # the demo data has contracts of its own
        rows = [r for r in overview(user("oversight_xx"), as_of=TODAY) if r.id in ours]
        assert [r.id for r in rows] == [behind.id, calm.id]
        assert rows[0].warnings == (BEHIND_SCHEDULE,) and rows[1].warnings == ()
        assert rows[1].delivery_rate == Decimal("0.4") and rows[1].consumed == Decimal("3200.00")
        warned = [r.id for r in contracts_with_warnings(user("oversight_xx")) if r.id in ours]
        assert warned == [behind.id]
        assert overview(user("oversight_hn"))  # the province sees 湘西州's contracts
        # a provider sees only its own contracts (the demo contract), not these
        providers = {r.provider for r in overview(user("provider_staff"))}
        assert providers == {"湘西州阳光社会工作服务中心"}
        assert NEAR_BUDGET not in rows[0].warnings


def build_contract_without_deliveries():
    from marketplace.contracts.services import LineData
    from tests.marketplace.allocations.factories import active_contract, service_id

    return active_contract(
        "oversight_xx", title="心理疏导项目", region_code="433100",
        period_start=TODAY - timedelta(days=100), period_end=TODAY + timedelta(days=100),
        budget=Decimal("5000"),
        lines=[LineData(service_id("counselling"), Decimal("100"), Decimal("50"))])


def test_overview_shares_its_delivery_figures_for_five_minutes(app, demo, monkeypatch):
    """The sums over every delivery of the contracts are shared for DELIVERY_FIGURES.ttl (they
    cost 1.1 s for the province at Hunan scale), even across commits; then computed afresh."""
    from sqlalchemy import update

    from marketplace.allocations.models import Allocation, Delivery
    from marketplace.common import cache
    from marketplace.contracts.models import ContractLine
    from marketplace.evaluations import services
    from marketplace.offers.models import Offer

    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    with en(app):
        calm = build_contract()
        first = {r.id: r for r in overview(user("oversight_xx"), as_of=TODAY)}[calm.id]
        assert first.units_delivered == Decimal("40")
        one = db.session.scalars(
            select(Delivery.id).join(Allocation).join(Offer)
            .join(ContractLine, ContractLine.id == Offer.contract_line_id)
            .where(ContractLine.contract_id == calm.id)).first()
        db.session.execute(update(Delivery).where(Delivery.id == one)
                           .values(quantity=Delivery.quantity - 5))
        db.session.commit()
        again = {r.id: r for r in overview(user("oversight_xx"), as_of=TODAY)}[calm.id]
        assert again.units_delivered == Decimal("40")  # shared, though this process wrote
        clock[0] += services.DELIVERY_FIGURES.ttl + 1
        later = {r.id: r for r in overview(user("oversight_xx"), as_of=TODAY)}[calm.id]
        assert later.units_delivered == Decimal("35")
