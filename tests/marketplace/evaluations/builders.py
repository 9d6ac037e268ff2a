"""The hand-computed contract of the evaluation tests, built through the services.

Budget 10,000 CNY, one line of 100 h home care at 80 CNY, period TODAY − 100 … TODAY + 100
(so half of it has elapsed today). Four proposals of 20 h to four households: three accepted in
time, one expired. Two of the accepted ones are delivered in full (20 h each, the second after
its line's window end, i.e. late), confirmed and rated 5 and 2; the third is still to deliver.
Targets: 30 h delivered (met), satisfaction 80 % (not met).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from marketplace.allocations.confirm import confirm_delivery, record_feedback
from marketplace.allocations.flow import DeliveryInput, accept, expire_overdue, record_delivery
from marketplace.contracts.models import Contract, TargetMetric
from marketplace.contracts.services import LineData, contract_offers
from marketplace.extensions import db
from tests.marketplace.allocations.factories import (
    TODAY,
    active_contract,
    make_line,
    proposed,
    service_id,
    user,
)


def build_contract(officer: str = "oversight_xx", region_code: str = "433100",
                   line_region: str = "433101001", targets: dict | None = None,
                   overlap_reason: str = "") -> Contract:
    """The contract above (flushed, not committed); ``targets`` replace the default ones."""
    contract = active_contract(
        officer, title="居家照料服务项目", region_code=region_code,
        period_start=TODAY - timedelta(days=100), period_end=TODAY + timedelta(days=100),
        budget=Decimal("10000"), overlap_reason=overlap_reason,
        lines=[LineData(service_id("home_care"), Decimal("80"), Decimal("100"))],
        targets=targets or {TargetMetric.hours_delivered: Decimal("30"),
                            TargetMetric.satisfaction_rate: Decimal("80")})
    (offer,) = contract_offers(contract)
    provider = user("volunteer_staff")
    lines = [make_line(quantity="20", region_code=line_region) for _ in range(4)]
    allocations = [proposed(offer, line, "20", hours=24) for line in lines[:3]]
    late = proposed(offer, lines[3], "20", hours=-1)  # nobody answered in time
    for allocation in allocations:
        accept(provider, allocation)
    expire_overdue()
    assert late.status == "expired"
    lines[1].window_end = TODAY - timedelta(days=5)  # wanted before the visit: late
    caseworker = user("caseworker_jishou" if line_region.startswith("433101") else
                      "caseworker_furong")
    for allocation, satisfaction in zip(allocations[:2], (5, 2), strict=True):
        delivery = record_delivery(provider, allocation, DeliveryInput(
            delivered_on=TODAY - timedelta(days=1), quantity=Decimal("20"))).delivery
        confirm_delivery(caseworker, delivery, ok=True)
        record_feedback(caseworker, delivery, satisfaction)
    db.session.flush()
    return contract
