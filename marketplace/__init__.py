"""Nuanxin (暖心): the social-assistance matching marketplace, as a Flask application."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session

from marketplace.cli import register_cli
from marketplace.common import cache, readonly
from marketplace.common.web import init_web, select_locale
from marketplace.config import build_config
from marketplace.extensions import babel, bootstrap, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app; ``config`` overrides values read from the environment (tests use it)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(build_config(Path(app.instance_path), config))

    db.init_app(app)
    with app.app_context():
        readonly.install(db.engine)
    cache.listen_for_writes(Session)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    init_web(app)

    register_blueprints(app)

    register_cli(app)
    return app


def register_blueprints(app: Flask) -> None:
    """Import every area's ``models`` (so the metadata is complete for migrations) and register
    ``bp`` from every area that has a ``views`` module."""
    areas = sorted(info.name for info in pkgutil.iter_modules(__path__) if info.ispkg)
    for area in areas:
        if importlib.util.find_spec(f"{__name__}.{area}.models") is not None:
            importlib.import_module(f"{__name__}.{area}.models")
    for area in areas:
        if importlib.util.find_spec(f"{__name__}.{area}.views") is not None:
            app.register_blueprint(importlib.import_module(f"{__name__}.{area}.views").bp)
