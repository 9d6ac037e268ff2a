"""The chain built at commit, and verification of edited, deleted and reordered rows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from marketplace.audit.chain import GENESIS, link
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import chain_head, record_event
from marketplace.audit.verify import verify
from marketplace.extensions import db


def _record(n: int, prefix: str = "test") -> None:
    for i in range(n):
        record_event(None, f"{prefix}.event", object_type="things", object_id=i,
                     region_code="433101", note=f"n{i}", after={"i": i, "amount": "1.50"})


def _rows():
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_events_are_chained_at_commit_in_id_order(app):
    with app.app_context():
        _record(100)
        assert db.session.scalar(select(func.count()).where(AuditEvent.seq.is_not(None))) == 0
        db.session.commit()
        rows = _rows()
        assert [r.seq for r in rows] == list(range(1, 101))
        prev = GENESIS
        for r in rows:
            assert r.prev_hash == prev
            prev = link(prev, {c: getattr(r, c) for c in
                               ("seq", "at", "actor_id", "actor_role", "action", "object_type",
                                "object_id", "region_code", "note", "before", "after")})
            assert r.hash == prev
        assert chain_head() == (100, rows[-1].hash)
        _record(2)
        db.session.commit()
        assert [r.seq for r in _rows()][-3:] == [100, 101, 102]
        assert verify().ok and verify().checked == 102


def test_rollback_leaves_nothing_unchained_and_the_next_commit_continues(app):
    with app.app_context():
        _record(3)
        db.session.commit()
        _record(2, "lost")
        db.session.rollback()
        _record(1, "kept")
        db.session.commit()
        rows = _rows()
        assert [(r.seq, r.action) for r in rows][-1] == (4, "kept.event")
        assert all(r.seq is not None for r in rows)
        report = verify()
        assert report.ok and report.checked == 4 and report.unchained == 0


def test_values_normalised_so_stored_events_hash_the_same(app):
    from datetime import date
    from decimal import Decimal
    with app.app_context():
        event = record_event(None, "t.x", object_type="t", object_id=1,
                             before={"amount": Decimal("10.20"), "on": date(2026, 1, 2)})
        assert event.before == {"amount": "10.20", "on": "2026-01-02"}
        db.session.commit()
        assert verify().ok


def test_commit_without_events_takes_no_part(app):
    with app.app_context():
        db.session.commit()
        assert chain_head() is None
        assert verify().ok and verify().checked == 0


@pytest.fixture
def chained(app):
    with app.app_context():
        _record(5)
        db.session.commit()
        yield
        db.session.rollback()


def test_edited_row_is_reported(app, chained):
    with app.app_context():
        db.session.execute(text("UPDATE audit_events SET note = 'changed' WHERE seq = 3"))
        db.session.commit()
        report = verify()
        assert report.broken.seq == 3 and "edited" in report.broken.reason
        assert report.checked == 2
        result = _cli(app, "verify")
        assert result.exit_code == 1
        assert "seq 3: hash does not match" in result.output


def test_deleted_row_is_reported(app, chained):
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        db.session.commit()
        assert verify().broken.seq == 2
        result = _cli(app, "verify")
        assert result.exit_code == 1 and "seq 2: missing (row deleted)" in result.output


def test_swapped_prev_hash_is_reported(app, chained):
    with app.app_context():
        db.session.execute(text("UPDATE audit_events SET prev_hash = :h WHERE seq = 4"),
                           {"h": "f" * 64})
        db.session.commit()
        broken = verify().broken
        assert broken.seq == 4 and "reordered" in broken.reason


def test_reordered_rows_are_reported(app, chained):
    with app.app_context():
        for old, new in ((2, 99), (3, 2), (99, 3)):
            db.session.execute(text("UPDATE audit_events SET seq = :n WHERE seq = :o"),
                               {"o": old, "n": new})
        db.session.commit()
        broken = verify().broken
        assert broken.seq == 2 and "reordered" in broken.reason
        assert _cli(app, "verify").exit_code == 1


def test_edited_and_rehashed_row_breaks_the_next_link(app, chained):
    with app.app_context():
        row = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == 3))
        fields = {c: getattr(row, c) for c in ("seq", "at", "actor_id", "actor_role", "action",
                                                "object_type", "object_id", "region_code",
                                                "before", "after")}
        fields["note"] = "forged"
        db.session.execute(text("UPDATE audit_events SET note = 'forged', hash = :h "
                                "WHERE seq = 3"), {"h": link(row.prev_hash, fields)})
        db.session.commit()
        assert verify().broken.seq == 4


def test_unchained_rows_are_reported(app, chained):
    with app.app_context():
        db.session.execute(text(
            "INSERT INTO audit_events (at, actor_role, action, object_type, object_id, note) "
            "VALUES (CURRENT_TIMESTAMP, 'system', 'x.y', 't', '1', '')"))
        db.session.info.pop("audit_unchained", None)
        db.session.commit()
        report = verify()
        assert report.broken is None and report.unchained == 1 and not report.ok
        result = _cli(app, "verify")
        assert result.exit_code == 1 and "1 events committed without" in result.output


def test_verify_from_seq_and_published_head(app, chained):
    with app.app_context():
        seq, digest = chain_head()
        result = _cli(app, "head")
        assert result.output.strip() == f"{seq}:{digest}"
        assert verify(from_seq=3).checked == 3
        result = _cli(app, "verify", "--from-seq", "4", "--head", f"{seq}:{digest}")
        assert result.exit_code == 0 and "OK: 2 events checked, last seq 5" in result.output
        assert _cli(app, "verify", "--head", f"{seq}:{'0' * 64}").exit_code == 1
        assert _cli(app, "verify", "--head", "nonsense").exit_code == 2
        db.session.execute(text("DELETE FROM audit_events WHERE seq = 5"))
        db.session.commit()
        assert verify().ok  # a truncated chain is valid on its own...
        broken = verify(head=(seq, digest)).broken  # ...but not against the published head
        assert broken.seq == 5 and "published head" in broken.reason
        assert verify(from_seq=9).checked == 0
