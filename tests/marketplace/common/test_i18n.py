"""Templates translate with the request's catalogue, looked up once per request, and still
follow a locale forced inside the request (marketplace/common/i18n.py)."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

TEMPLATE = "{{ _('Members') }} · {{ ngettext('%(num)d line', '%(num)d lines', 2) }}"


def test_templates_follow_the_request_language_and_a_forced_one(app):
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        chinese = render_template_string(TEMPLATE)
        assert chinese.startswith("家庭成员")
        with force_locale("en"):
            assert render_template_string(TEMPLATE) == "Members · 2 lines"
        assert render_template_string(TEMPLATE) == chinese
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(TEMPLATE) == "Members · 2 lines"


def test_template_underscore_escapes_values_and_keeps_newstyle_formatting(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        html = render_template_string("{{ _('deadline %(d)s', d='<b>') }}|{{ _('100%%') }}")
        assert html == "deadline &lt;b&gt;|100%"
        plain = app.jinja_env.overlay(autoescape=False)
        text = plain.from_string("{{ _('deadline %(d)s', d='<b>') }}")
        assert text.render() == "deadline <b>"


def test_templates_translate_with_a_message_context(app):
    """``pgettext`` in templates picks the translation of its context (one English word with
    two meanings: a disability type and the hearing before a benefit cut)."""
    template = "{{ pgettext('disability', 'Hearing') }}|{{ _('Hearing') }}"
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert render_template_string(template) == "听力残疾|陈述申辩"
        with force_locale("en"):
            assert render_template_string(template) == "Hearing|Hearing"
