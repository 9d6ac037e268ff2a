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

    @app.cli.command("generate-activity")
    @click.option("--offers", type=click.IntRange(1, 1_000_000), default=50_000,
                  show_default=True, help="Offers to spread over the counties (by their lines).")
    @click.option("--audit-events", type=click.IntRange(0, 100_000_000), default=5_000_000,
                  show_default=True, help="Audit events to add to the chained trail (exact).")
    @click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
    @click.option("--no-refresh", is_flag=True,
                  help="Do not rebuild the balance summaries at the end.")
    def generate_activity_command(offers: int, audit_events: int, seed: int,
                                  no_refresh: bool) -> None:
        """Add a year of activity (offers, contracts, allocations, deliveries, payments,
        feedback, fulfilment times, audit trail) to the needs of generate-scale."""
        from marketplace.scale.activity import ActivityReport, generate_activity

        def progress(report: ActivityReport) -> None:
            click.echo(f"  {report.counties:>4} counties  {report.allocations:>9,} allocations  "
                       f"{report.deliveries:>9,} deliveries  "
                       f"{report.candidate_events:>10,} events built", err=True)

        try:
            report = generate_activity(seed=seed, offers=offers, audit_events=audit_events,
                                       progress=progress, refresh=not no_refresh)
        except ScaleError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"Generated {report.organizations:,} organisations ({report.users:,} users), "
            f"{report.offers:,} offers, {report.contracts:,} contracts "
            f"({report.contract_lines:,} lines), {report.allocations:,} allocations, "
            f"{report.deliveries:,} deliveries, {report.payments:,} payments, "
            f"{report.feedback:,} feedback, {report.fulfilled:,} fulfilment times and "
            f"{report.audit_events:,} audit events (of {report.candidate_events:,} built) in "
            f"{report.seconds:.1f} s (rows {report.rows_seconds:.1f} s, audit chain "
            f"{report.audit_seconds:.1f} s, balance refresh {report.refresh_seconds:.1f} s).")
