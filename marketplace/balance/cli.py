"""``flask balance refresh``: rebuild the balance summaries now."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

balance_cli = AppGroup("balance", help="Balance summaries of the oversight dashboard.")


@balance_cli.command("refresh")
def refresh_command() -> None:
    """Rebuild every balance summary (what the 10-minute job does) and print what it wrote."""
    from marketplace.balance.refresh import refresh

    report = refresh()
    click.echo(f"Balance summaries: generation {report.generation}, {report.cells:,} cells, "
               f"{report.region_months:,} region-months, {report.counties_now:,} counties with "
               f"overdue work, in {report.seconds:.1f} s.")


def register(app: Flask) -> None:
    """Add the ``balance`` command group to ``app`` (called by marketplace.cli)."""
    app.cli.add_command(balance_cli)
