"""Counting the SQL statements a piece of work runs (the no-N+1 tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from marketplace.extensions import db


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    """Collect every statement sent to the database inside the ``with`` block."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
