"""The need form's defaults are the safe choice."""

from __future__ import annotations

from marketplace.needs.forms import NeedForm


def test_new_needs_default_to_normal_urgency(app):
    with app.test_request_context("/"):
        form = NeedForm()
        assert form.urgency.data == "normal"
        assert [choice.value for choice in form.urgency.choices][0] == "normal"
