"""What the needs panel of the household page shows (``needs/_household_panel.html``)."""

from __future__ import annotations

from flask_login import current_user

from marketplace.common.access import in_scope
from marketplace.households.models import Household
from marketplace.needs import limits, services


def needs_panel(household: Household) -> dict:
    """The household's needs in the reader's scope, which are overdue, their timelines with
    the officers' names, and the household's own registry history ("history"): a fixed
    number of queries, the histories and names in one (the household view passes the result
    to the template instead of letting the panel load it again)."""
    needs = services.needs_of_household(household)
    visible = [n for n in needs if in_scope(current_user, n)]
    overdue = {n.id for n in limits.overdue(visible)}
    found = services.histories([n.id for n in visible], household.id)
    return {"needs": visible, "timelines": found.timelines, "overdue": overdue,
            "actors": found.actors, "history": found.household}
