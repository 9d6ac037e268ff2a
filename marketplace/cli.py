"""``flask`` commands: prepare the database, load regions, seed the demo, create an admin."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade

from marketplace.extensions import db
from marketplace.regions.services import load_divisions
from marketplace.scale.cli import register as register_scale
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

    register_scale(app)
