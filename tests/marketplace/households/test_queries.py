"""The list and the household page run a fixed number of SQL queries (no N+1)."""

from __future__ import annotations

from datetime import date, timedelta

from marketplace.extensions import db
from marketplace.households import services
from tests.marketplace.households.helpers import household_input, member, user
from tests.marketplace.querycount import counted


def _add_households(app, n: int, size: int, start: int) -> list[int]:
    with app.app_context(), app.test_request_context("/"):
        ids = []
        for i in range(n):
            serial = start + i * 10  # distinct birth dates give distinct ID numbers
            born = [date(1960, 1, 1) + timedelta(days=serial + k) for k in range(size)]
            members = [member(f"户主{serial}", "male", born[0], "head", 1)]
            members += [member(f"成员{serial + k}", "female", born[k], "child", 1)
                        for k in range(1, size)]
            ids.append(services.create_household(user("caseworker_jishou"), household_input(),
                                                 members).id)
        db.session.commit()
        return ids


def test_list_queries_do_not_grow_with_the_page(app, login):
    c = login("caseworker_jishou")
    _add_households(app, 2, 2, 0)
    c.get("/households")  # warm caches (session user, regions)
    with counted(app) as small:
        assert c.get("/households").status_code == 200
    _add_households(app, 20, 4, 100)
    with counted(app) as large:
        html = c.get("/households").get_data(as_text=True)
    assert html.count("/households/") > 20
    assert len(large) == len(small), "\n".join(large)


def test_household_page_queries_do_not_grow_with_members(app, login):
    c = login("caseworker_jishou")
    [small_id] = _add_households(app, 1, 1, 400)
    [large_id] = _add_households(app, 1, 9, 500)
    c.get(f"/households/{small_id}")
    with counted(app) as small:
        assert c.get(f"/households/{small_id}").status_code == 200
    with counted(app) as large:
        assert c.get(f"/households/{large_id}").status_code == 200
    assert len(large) == len(small), "\n".join(large)


def test_household_page_runs_five_queries(app, login):
    """The signed-in user, the household with its members (joined), its needs with their
    lines, their histories with the household's, and the assessment panel."""
    c = login("caseworker_jishou")
    [household_id] = _add_households(app, 1, 3, 600)
    c.get(f"/households/{household_id}")
    with counted(app) as statements:
        html = c.get(f"/households/{household_id}").get_data(as_text=True)
    # The members came with the household.
    assert "户主600" in html and "成员601" in html and "成员602" in html
    assert len(statements) == 5, "\n".join(statements)
