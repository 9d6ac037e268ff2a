"""Messages in words: counts pluralised, sentences joined as each language writes them."""

from __future__ import annotations

from flask_babel import force_locale

from marketplace.notifications.messages import join_sentences, message
from marketplace.notifications.models import Notification, NotificationKind

K = NotificationKind


def _note(kind: NotificationKind, params: dict, object_id: str = "7") -> Notification:
    return Notification(id=1, user_id=1, kind=kind, object_type="matching_runs",
                        object_id=object_id, params=params)


def test_join_sentences_follows_the_language(app):
    with app.test_request_context(), force_locale("en"):
        assert join_sentences("One.", "", "Two.") == "One. Two."
    with app.test_request_context(), force_locale("zh_CN"):
        assert join_sentences("一。", "", "二。") == "一。二。"


def test_chinese_sentences_have_no_space_between_them(app):
    note = _note(K.allocation_waiting, {"respond_by": "2026-12-01T08:00:00+00:00"})
    with app.test_request_context(), force_locale("zh_CN"):
        text = message(note)
    assert text.startswith("有一项分配等待您接受。请于 ") and "。 " not in text
    with app.test_request_context(), force_locale("en"):
        assert message(note).startswith(
            "An allocation is waiting for your acceptance. Please accept or decline by ")


def test_counts_are_pluralised(app):
    with app.test_request_context(), force_locale("en"):
        assert message(_note(K.run_finished, {"status": "committed", "committed": 1,
                                              "left_out": 1})) == (
            "Matching run 7 is approved: 1 allocation was proposed to the providers. "
            "1 pair was left out because it no longer fitted.")
        assert message(_note(K.run_finished, {"status": "committed", "committed": 3,
                                              "left_out": 2})) == (
            "Matching run 7 is approved: 3 allocations were proposed to the providers. "
            "2 pairs were left out because they no longer fitted.")
        assert message(_note(K.run_finished, {"status": "committed", "committed": 2})) == (
            "Matching run 7 is approved: 2 allocations were proposed to the providers.")
        assert message(_note(K.allocation_waiting, {"count": 2})) == (
            "2 allocations from a matching run are waiting for your acceptance.")
        assert message(_note(K.acceptance_overdue, {"count": 2})) == (
            "2 allocations expired without an answer; their lines are back in the pool.")


def test_the_objects_name_comes_first(app):
    note = _note(K.delivery_to_confirm, {"name": "大米"})
    with app.test_request_context(), force_locale("en"):
        assert message(note) == "大米: A delivery is waiting for your confirmation."
