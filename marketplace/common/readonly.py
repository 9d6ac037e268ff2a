"""End read-only PostgreSQL transactions with COMMIT, so psycopg keeps its prepared statements.

psycopg prepares a statement on the server once a connection has run it five times, which
spares PostgreSQL from planning it again: about 2 ms for each of the need board's queries at
Hunan scale, more than running them (docs/benchmarks.md). But psycopg forgets every prepared
statement on ROLLBACK, and every web request ends in a rollback: Flask-SQLAlchemy closes the
session at the end of the request, which rolls back its transaction. So no statement was ever
prepared and every query was planned afresh.

A transaction that wrote nothing has nothing to undo, so ending it with COMMIT instead is the
same for the data. This module watches the statements of each transaction and, when the
transaction is about to be rolled back, commits it first if every statement was a plain
``SELECT`` and the transaction is healthy; the rollback that follows then finds no open
transaction and keeps the prepared statements. A transaction that ran anything else
(INSERT, UPDATE, DELETE, DDL, a ``WITH`` that may write, or a statement that failed) is rolled
back exactly as before, so a view that flushed changes and then refused the action still
saves nothing.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

#: Key in the pooled connection's ``info``: did the open transaction run anything but SELECT?
WROTE = "nuanxin.txn_wrote"


def install(engine: Engine) -> None:
    """Watch ``engine``'s transactions (PostgreSQL with psycopg only; a no-op elsewhere)."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    if event.contains(engine, "rollback", _commit_if_read_only):
        return
    event.listen(engine, "begin", _begin)
    event.listen(engine, "before_cursor_execute", _watch)
    event.listen(engine, "handle_error", _failed)
    event.listen(engine, "rollback", _commit_if_read_only)


def _begin(conn: Connection) -> None:
    conn.info[WROTE] = False


def _watch(conn, cursor, statement: str, parameters, context, executemany) -> None:
    if not conn.info.get(WROTE) and not _is_plain_select(statement):
        conn.info[WROTE] = True


def _failed(context) -> None:
    if context.connection is not None:
        context.connection.info[WROTE] = True


def _is_plain_select(statement: str) -> bool:
    return statement.lstrip()[:6].upper() == "SELECT"


def _commit_if_read_only(conn: Connection) -> None:
    if conn.info.get(WROTE, True):
        return
    dbapi = conn.connection.dbapi_connection
    # Only a healthy open transaction (psycopg's INTRANS) is committed; an aborted one (INERROR)
    # or an idle connection is left to the rollback.
    if dbapi is None or dbapi.info.transaction_status.name != "INTRANS":
        return
    conn.info[WROTE] = True  # whatever happens next, this transaction is over
    try:
        dbapi.commit()
    except Exception:  # noqa: BLE001 - the rollback that follows cleans up as it always did
        return
