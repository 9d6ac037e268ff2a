"""``flask audit verify`` and ``flask audit head``: check and anchor the audit hash chain."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from marketplace.audit.services import chain_head
from marketplace.audit.verify import verify


def _parse_head(value: str | None) -> tuple[int, str] | None:
    if not value:
        return None
    seq, sep, digest = value.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise click.BadParameter("expected SEQ:HASH as printed by 'flask audit head'")
    return int(seq), digest.lower()


def register(app: Flask) -> None:
    """Add the ``audit`` command group."""
    group = AppGroup("audit", help="Check the audit trail's hash chain.")

    @group.command("verify")
    @click.option("--from-seq", type=click.IntRange(min=1), default=1, show_default=True,
                  help="First position to check (the link to the one before is trusted).")
    @click.option("--head", "head", default=None, metavar="SEQ:HASH",
                  help="A head published earlier: it must still be in the chain.")
    def verify_command(from_seq: int, head: str | None) -> None:
        """Recompute every link; exit 1 with the first broken one."""
        expected = _parse_head(head)

        def progress(checked: int, last_seq: int) -> None:
            click.echo(f"... {checked:,} events checked (seq {last_seq})", err=True)

        report = verify(from_seq, progress=progress, head=expected)
        if report.broken is not None:
            click.echo(f"seq {report.broken.seq}: {report.broken.reason}")
        if report.unchained:
            click.echo(f"{report.unchained} events committed without a place in the chain")
        if not report.ok:
            sys.exit(1)
        last = f", last seq {report.last_seq}" if report.last_seq is not None else ""
        click.echo(f"OK: {report.checked} events checked{last}.")

    @group.command("head")
    def head_command() -> None:
        """Print the chain's head (SEQ:HASH): keep a copy outside the database."""
        head = chain_head()
        if head is None:
            click.echo("The audit trail is empty.")
            return
        click.echo(f"{head[0]}:{head[1]}")

    app.cli.add_command(group)
