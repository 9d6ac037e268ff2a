"""The hash chain's pure functions, recomputed by hand."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from marketplace.audit.chain import GENESIS, canonical, fields_of, link, normalise_json


def _event(seq, **extra):
    fields = {"seq": seq, "at": datetime(2026, 11, 29, 16, 5, seq, 250, tzinfo=UTC),
              "actor_id": 7, "actor_role": "caseworker", "action": "need.publish",
              "object_type": "needs", "object_id": str(100 + seq), "region_code": "433101001",
              "note": "", "before": {"status": "draft"}, "after": {"status": "published"}}
    fields.update(extra)
    return fields


def test_canonical_form_is_sorted_compact_utf8_json():
    text = canonical(_event(1, note="紧急")).decode("utf-8")
    assert text == (
        '{"action":"need.publish","actor_id":7,"actor_role":"caseworker",'
        '"after":{"status":"published"},"at":"2026-11-29T16:05:01.000250Z",'
        '"before":{"status":"draft"},"note":"紧急","object_id":"101",'
        '"object_type":"needs","region_code":"433101001","seq":1}')


def test_three_events_chain_as_computed_by_hand():
    events = [_event(1), _event(2, note="x"), _event(3, actor_id=None, actor_role="system")]
    expected, prev = [], "0" * 64
    for fields in events:
        body = canonical(fields)
        prev = hashlib.sha256(prev.encode() + b"\n" + body).hexdigest()
        expected.append(prev)
    got, prev = [], GENESIS
    for fields in events:
        prev = link(prev, fields)
        got.append(prev)
    assert got == expected
    assert len(set(got)) == 3 and all(len(h) == 64 for h in got)


def test_any_change_changes_the_hash():
    base = link(GENESIS, _event(1))
    assert link(GENESIS, _event(1, note=" ")) != base
    assert link(GENESIS, _event(2)) != base
    assert link("1" * 64, _event(1)) != base


def test_at_is_the_same_instant_whatever_the_zone_or_naive_utc():
    aware = _event(1)
    china = dict(aware, at=aware["at"].astimezone(timezone(timedelta(hours=8))))
    naive = dict(aware, at=aware["at"].replace(tzinfo=None))
    assert canonical(aware) == canonical(china) == canonical(naive)


def test_fields_of_reads_objects_and_mappings():
    class Row:
        pass
    row = Row()
    for key, value in _event(4).items():
        setattr(row, key, value)
    assert fields_of(row) == fields_of(_event(4)) == _event(4)


def test_normalise_json_makes_values_as_they_read_back():
    assert normalise_json({"amount": Decimal("12.50"), "on": datetime(2026, 1, 2).date(),
                           "ids": (1, 2)}) == {"amount": "12.50", "on": "2026-01-02",
                                               "ids": [1, 2]}
    assert normalise_json(None) is None
