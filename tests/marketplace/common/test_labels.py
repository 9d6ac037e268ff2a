"""TranslatedLabels: vocabularies in the reader's language, translated once per language."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from marketplace.common.labels import TranslatedLabels


def test_labels_follow_the_language_and_are_translated_once(app):
    calls: list[str] = []

    class Counted:
        def __init__(self, text):
            self.text = text

        def __str__(self):
            calls.append(self.text)
            return str(_l(self.text))

    labels = TranslatedLabels({"kind": {"funds": Counted("Funds")}})
    with app.test_request_context("/"):
        with force_locale("en"):
            assert labels("en") == {"kind": {"funds": "Funds"}}
        with force_locale("zh_CN"):
            assert labels("zh_CN")["kind"]["funds"] == "资金"
            assert labels("zh_CN") is labels("zh_CN")
    assert calls == ["Funds", "Funds"]  # once per language, not once per use
