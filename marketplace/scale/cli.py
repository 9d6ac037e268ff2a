"""``flask generate-scale``: fill the database with Hunan-scale data for benchmarks."""

from __future__ import annotations

import click
from flask import Flask

from marketplace.scale.generator import ScaleError, ScaleReport, generate


def register(app: Flask) -> None:
    """Register the ``generate-scale`` command on ``app``."""

    @app.cli.command("generate-scale")
    @click.option("--households", type=click.IntRange(1, 5_000_000), required=True,
                  help="Households to add (Hunan: about 1,100,000).")
    @click.option("--seed", type=int, default=1, show_default=True,
                  help="Random seed: the same seed on an empty database gives the same data.")
    @click.option("--workers", type=click.IntRange(1, 16), default=1, show_default=True,
                  help="Parallel processes (PostgreSQL only; SQLite writes one at a time).")
    def generate_scale_command(households: int, seed: int, workers: int) -> None:
        """Add households, members, needs and need lines with bulk inserts (after seed-demo)."""

        def progress(report: ScaleReport) -> None:
            click.echo(f"  {report.households:>9,} households  {report.persons:>9,} persons  "
                       f"{report.needs:>9,} needs  {report.lines:>9,} lines", err=True)

        try:
            report = generate(households, seed=seed, workers=workers, progress=progress)
        except ScaleError as exc:
            raise click.ClickException(str(exc)) from exc
        rate = report.households / report.seconds if report.seconds else 0
        click.echo(
            f"Generated {report.households:,} households, {report.persons:,} persons, "
            f"{report.needs:,} needs, {report.lines:,} need lines "
            f"({report.townships} new townships) in {report.seconds:.1f} s "
            f"({rate:,.0f} households/s; encryption and hashing {report.crypto_seconds:.1f} s, "
            f"inserts {report.insert_seconds:.1f} s).")
