"""The provider rating on the public organisation page: average satisfaction and number of
ratings from the households' feedback, nothing personal, and a clear "no ratings yet"."""

from __future__ import annotations

from decimal import Decimal

from marketplace.allocations.confirm import confirm_delivery, record_feedback
from marketplace.allocations.flow import DeliveryInput, record_delivery
from marketplace.allocations.services import pledge
from marketplace.extensions import db
from tests.marketplace.allocations.factories import (
    TODAY,
    make_line,
    offer,
    service_data,
    user,
)

EN = {"Accept-Language": "en"}


def _rate(provider: str, scores: list[int], note: str = "") -> int:
    """One confirmed one-hour delivery per score, each rated by 吉首's caseworker; the
    provider's organisation id."""
    actor = user(provider)
    made = offer(provider, service_data(qualifications=[]))
    caseworker = user("caseworker_jishou")
    for score in scores:
        allocation = pledge(actor, made, make_line(quantity="1"), Decimal("1"))
        delivery = record_delivery(actor, allocation, DeliveryInput(TODAY, Decimal("1"))).delivery
        confirm_delivery(caseworker, delivery, True)
        record_feedback(caseworker, delivery, score, note)
    return actor.organization_id


def _rating_text(client, org_id: int) -> str:
    page = client.get(f"/directory/{org_id}", headers=EN).get_data(as_text=True)
    start = page.index('data-testid="public-rating"')
    return page[start:page.index("</p>", start)]


def test_the_public_page_shows_the_average_and_the_count(app, client, demo):
    with app.app_context():
        # (5 + 4 + 2) / 3 = 3.666… → 3.67; the volunteers' single 1 must not mix in.
        sunshine = _rate("provider_staff", [5, 4, 2], note="王奶奶很满意")
        volunteers = _rate("volunteer_staff", [1])
        db.session.commit()
    text = _rating_text(client, sunshine)
    assert "rated its deliveries 3.67 out of 5 (3 ratings)" in text
    assert "rated its deliveries 1.00 out of 5 (1 rating)." in _rating_text(client, volunteers)
    page = client.get(f"/directory/{sunshine}", headers=EN).get_data(as_text=True)
    assert "王奶奶" not in page  # the caseworker's note is not published


def test_no_ratings_yet(app, client, demo):
    with app.app_context():
        charity = user("charity_staff").organization_id
    text = _rating_text(client, charity)
    assert "No ratings yet." in text and "out of 5" not in text


def test_the_rating_is_public_in_chinese_too(app, client, demo):
    with app.app_context():
        sunshine = _rate("provider_staff", [4, 5])
        db.session.commit()
    page = client.get(f"/directory/{sunshine}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "4.50" in page.get_data(as_text=True)
