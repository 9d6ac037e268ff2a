"""Request-wide behaviour: security headers, error pages, language choice, template helpers."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, render_template, request, session
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from marketplace.common.crypto import mask_id_number, mask_phone
from marketplace.common.i18n import install_template_gettext
from marketplace.common.ui import nav_items
from marketplace.extensions import bootstrap

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

ERROR_TEXT = {
    400: (_l("Bad request"),
          _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Not allowed"), _l("Your account may not open this page.")),
    404: (_l("Not found"), _l("There is no such page, or it is outside your area.")),
    405: (_l("Not allowed"), _l("This action is not available here.")),
    413: (_l("Too large"), _l("What you sent is larger than the site accepts.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Please try again later.")),
}


def select_locale() -> str:
    """The user's explicit choice, then their saved preference, then Accept-Language."""
    if not has_request_context():  # CLI commands and background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = list(current_app.config["LANGUAGES"])
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    best = request.accept_languages.best_match(languages + ["zh", "zh-CN", "en-US"])
    if best and best.lower().startswith("zh"):
        return "zh_CN"
    if best and best.lower().startswith("en"):
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _render_error(code: int, message: str | None = None):
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


_ASSETS: dict[tuple[str, str], Markup] = {}


def _bootstrap_assets(kind: str) -> Markup:
    """Bootstrap-Flask's ``load_css()``/``load_js()`` tags, built once per mount point: they
    depend only on the configuration (local files, versions), not on the request."""
    key = (kind, request.script_root)
    tags = _ASSETS.get(key)
    if tags is None:
        tags = _ASSETS[key] = bootstrap.load_css() if kind == "css" else bootstrap.load_js()
    return tags


def init_web(app: Flask) -> None:
    """Register headers, error handlers and template helpers on ``app``."""
    app.after_request(_set_security_headers)
    install_template_gettext(app)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render_error(400, str(_l("The form has expired or was not sent from this site. "
                                         "Please reload the page and try again.")))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return _render_error(error.code)

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("Unhandled error")
        return _render_error(500)

    @app.context_processor
    def inject_helpers():
        return {
            # Babel names zh_CN "zh_Hans_CN"; templates compare with the configured codes.
            "current_locale": "zh_CN" if str(get_locale()).startswith("zh") else "en",
            "languages": app.config["LANGUAGES"],
            "nav_items": nav_items,
        }

    app.jinja_env.globals["bootstrap_assets"] = _bootstrap_assets
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["mask_id"] = mask_id_number
    app.jinja_env.filters["datetime"] = lambda v: format_datetime(v, "short") if v else ""
