"""A provider pledges from its offers to a board line: a manual match within capacity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketplace.allocations.models import Allocation
from marketplace.catalog.vocab import LineKind
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs.lines import LineInput
from marketplace.needs.models import Need, NeedStatus
from marketplace.offers.services import OfferData, create_offer
from tests.marketplace.needs.factories import en, goods_id, make_need, user

EN = {"Accept-Language": "en"}


@pytest.fixture
def line_and_offer(app, homes):
    """A published need for 4 quilts in 吉首市 and a 6-quilt offer of the 湘西州 contractor."""
    with en(app):
        need = make_need(db.session.get(Household, homes["jishou"]), "published", lines=[
            LineInput("goods", "4", item_id=goods_id("quilt")),
            LineInput("funds", "500", category="living")])
        offer = create_offer(user("provider_staff"), OfferData(
            kind=LineKind.goods, capacity=Decimal("6"), valid_from=date.today(),
            goods_item_id=goods_id("quilt"), pickup_region_code="433101",
            regions=["433100"]), publish=True)
        db.session.commit()
        return need.id, need.lines[0].id, offer.id


def test_pledge_form_lists_open_offers_and_records_the_pledge(app, login, line_and_offer):
    need_id, line_id, offer_id = line_and_offer
    provider = login("provider_staff")
    page = provider.get(f"/board/lines/{line_id}/pledge", headers=EN).get_data(as_text=True)
    assert f'value="{offer_id}"' in page and 'data-testid="remaining">4.00' in page
    response = provider.post(f"/board/lines/{line_id}/pledge",
                             {"offer_id": str(offer_id), "quantity": "3"}, headers=EN)
    assert response.status_code == 302
    with app.app_context():
        need = db.session.get(Need, need_id)
        assert need.status == NeedStatus.partially_matched
        assert [a.quantity for a in db.session.query(Allocation).all()] == [Decimal("3.00")]
    board = provider.get("/board?per_page=100", headers=EN).get_data(as_text=True)
    assert "3.00 (75%)" in board


def test_pledge_beyond_the_need_or_capacity_is_refused(app, login, line_and_offer):
    _need_id, line_id, offer_id = line_and_offer
    provider = login("provider_staff")
    too_much = provider.post(f"/board/lines/{line_id}/pledge",
                             {"offer_id": str(offer_id), "quantity": "5"}, headers=EN)
    assert too_much.status_code == 400
    assert "still needed" in too_much.get_data(as_text=True)
    nonsense = provider.post(f"/board/lines/{line_id}/pledge",
                             {"offer_id": str(offer_id), "quantity": "abc"}, headers=EN)
    assert nonsense.status_code == 400
    with app.app_context():
        assert db.session.query(Allocation).count() == 0


def test_pledging_the_whole_need_matches_it(app, login, line_and_offer):
    need_id, line_id, offer_id = line_and_offer
    with app.app_context():
        funds_line = db.session.get(Need, need_id).lines[1].id
    provider = login("provider_staff")
    provider.post(f"/board/lines/{line_id}/pledge", {"offer_id": str(offer_id),
                                                     "quantity": "4"})
    with app.app_context():
        need = db.session.get(Need, need_id)
        assert need.status == NeedStatus.partially_matched  # the funds line is still open
        assert [str(line.status) for line in need.lines] == ["covered", "open"]
    board = provider.get("/board?per_page=100").get_data(as_text=True)
    assert f"/board/lines/{line_id}/pledge" not in board
    assert f"/board/lines/{funds_line}/pledge" in board


def test_lines_not_on_the_board_cannot_be_pledged(app, login, homes):
    with en(app):
        draft = make_need(db.session.get(Household, homes["jishou"]), "approved")
        line_id = draft.lines[0].id
        db.session.commit()
    response = login("provider_staff").get(f"/board/lines/{line_id}/pledge")
    assert response.status_code == 404
    assert login("caseworker_jishou").get(f"/board/lines/{line_id}/pledge").status_code == 403


@pytest.mark.parametrize("username, status", [
    ("provider_staff", 200), ("charity_staff", 200), ("admin", 403), ("oversight_xx", 403),
    ("reviewer_jishou", 403), ("caseworker_jishou", 403)])
def test_pledge_page_roles(login, line_and_offer, username, status):
    _need_id, line_id, _offer_id = line_and_offer
    assert login(username).get(f"/board/lines/{line_id}/pledge").status_code == status


def test_board_coverage_column_counts_committing_allocations_only(app, login, line_and_offer):
    """The board reads coverage in its page query; it must equal the allocations area's sum."""
    from marketplace.allocations.models import AllocationStatus
    from marketplace.allocations.services import covered_by_line
    from marketplace.needs.board import BoardFilter, board_page

    _need_id, line_id, offer_id = line_and_offer
    provider = login("provider_staff")
    for quantity in ("1", "2"):
        provider.post(f"/board/lines/{line_id}/pledge",
                      {"offer_id": str(offer_id), "quantity": quantity}, headers=EN)
    with app.app_context():
        first = db.session.query(Allocation).order_by(Allocation.id).first()
        first.status = AllocationStatus.cancelled  # released: no longer covers the line
        db.session.commit()
        _pagination, rows = board_page(BoardFilter(), 1, 100, "en")
        by_line = {row.line_id: row.covered for row in rows}
        assert by_line[line_id] == Decimal("2.00")
        assert by_line == covered_by_line(list(by_line))
        assert {str(c) for c in by_line.values()} == {"2.00", "0.00"}
