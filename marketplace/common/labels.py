"""Vocabularies of lazily translated labels, translated once per language.

A lazy string (``lazy_gettext``) is translated again at every use; pages that show dozens of
labels per request (the board, the household page) paid for that on every row. Each area
declares its vocabularies once and asks for them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class TranslatedLabels:
    """``labels(locale)`` gives ``{name: {code: translated label}}`` for the vocabularies
    given, translating each language's labels on first use only (codes kept as they are)."""

    def __init__(self, vocabularies: Mapping[str, Mapping[Any, Any]]) -> None:
        self._vocabularies = vocabularies
        self._by_locale: dict[str, dict[str, dict[Any, str]]] = {}

    def __call__(self, locale: str) -> dict[str, dict[Any, str]]:
        labels = self._by_locale.get(locale)
        if labels is None:
            labels = self._by_locale[locale] = {
                name: {code: str(label) for code, label in vocabulary.items()}
                for name, vocabulary in self._vocabularies.items()}
        return labels
