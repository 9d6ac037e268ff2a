"""Template translations with the request's catalogue looked up once per request.

Flask-Babel's template ``_()`` resolves the locale and then the catalogue on every call, a
dozen function calls through ``g`` each time; a household page makes about fifty of them, a
third of its rendering time. Here the catalogue found for the request's locale is kept on
Flask-Babel's own per-request namespace and reused while the locale stays the same:
``force_locale`` replaces the locale object, which is noticed, so rendering in another
language inside a request still works.

The template ``_()`` itself is one function: Jinja's version goes through its context three
times (alias, newstyle wrapper, callable) for the same result.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context
from flask_babel import get_translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

_KEY = "nuanxin_catalogue"


def current_translations():
    """The catalogue of the current locale (what ``flask_babel.get_translations`` returns)."""
    if not has_app_context():
        return get_translations()
    namespace = g.get("_flask_babel")
    if namespace is not None:
        cached = getattr(namespace, _KEY, None)
        if cached is not None and cached[0] is getattr(namespace, "babel_locale", None):
            return cached[1]
    translations = get_translations()
    namespace = g._flask_babel  # created by get_translations(), with the locale it used
    setattr(namespace, _KEY, (getattr(namespace, "babel_locale", None), translations))
    return translations


def install_template_gettext(app: Flask) -> None:
    """Replace Flask-Babel's template ``_``, ``ngettext``, ``pgettext`` and ``npgettext``
    (same behaviour, newstyle formatting and autoescaping included)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["_"] = _template_gettext


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """Jinja's newstyle ``_()`` in one call: translate, mark safe when autoescaping, and always
    format with the keyword arguments (escaped), even when there are none."""
    translated = current_translations().ugettext(string)
    if eval_ctx.autoescape:
        translated = Markup(translated)
    return translated % variables
