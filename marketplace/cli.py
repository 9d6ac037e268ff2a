"""``flask`` commands: prepare the database, load regions, seed the demo, create an admin."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import click
from flask import Flask
from flask_migrate import upgrade

from marketplace.extensions import db
from marketplace.regions.services import load_divisions
from marketplace.seed import DEMO_PASSWORD, seed_demo


def register_cli(app: Flask) -> None:
    @app.cli.command("load-regions")
    def load_regions_command() -> None:
        """Load or refresh Hunan's province, prefectures and counties."""
        count = load_divisions()
        db.session.commit()
        click.echo(f"Loaded {count} regions of Hunan.")

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Upgrade the schema, load regions and create the demo accounts (idempotent)."""
        upgrade(revision="heads")
        load_divisions()
        accounts = seed_demo()
        db.session.commit()
        click.echo("Demo data ready. Sign in at http://127.0.0.1:5000/login with:")
        click.echo(f"  {'username':<22} {'role':<16} scope   (password for all: {DEMO_PASSWORD})")
        for username, role, scope in accounts:
            click.echo(f"  {username:<22} {role:<16} {scope}")

    register_area_commands(app)


def register_area_commands(app: Flask) -> None:
    """Every area whose ``cli`` module has a ``register(app)`` adds its own commands there
    (``flask generate-scale``…), so a new area needs no edit here."""
    import marketplace

    for info in sorted(pkgutil.iter_modules(marketplace.__path__), key=lambda i: i.name):
        name = f"marketplace.{info.name}.cli"
        if info.ispkg and importlib.util.find_spec(name) is not None:
            register = getattr(importlib.import_module(name), "register", None)
            if register is not None:
                register(app)
