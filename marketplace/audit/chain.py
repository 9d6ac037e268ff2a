"""The audit trail's hash chain, pure Python (no database, no Flask).

Every committed event gets a ``seq`` (1, 2, 3…) and
``hash = sha256(prev_hash + "\\n" + canonical(event))`` where ``prev_hash`` is the hash of the event
with ``seq - 1`` (:data:`GENESIS` for the first). Editing, deleting or reordering a row therefore
breaks the link at that row, which :mod:`marketplace.audit.verify` reports.

The canonical form is the JSON of the event's fields with sorted keys and no spaces, UTF-8, with
``at`` in UTC as ``2026-11-29T16:05:00.123456Z``. Both dialects read the stored values back to the
same form, because :func:`marketplace.audit.services.record_event` normalises ``before`` and
``after`` to plain JSON before it stores them. The data generator (marketplace/scale) uses the same
functions to write a chained trail without the ORM.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

#: ``prev_hash`` of the first event.
GENESIS = "0" * 64

#: The fields that the hash covers, in the order of the ``audit_events`` columns.
FIELDS = ("seq", "at", "actor_id", "actor_role", "action", "object_type", "object_id",
          "region_code", "note", "before", "after")

AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_at(at: datetime | str) -> str:
    """``at`` as hashed: UTC with microseconds and a Z. A naive datetime is taken as UTC (SQLite
    reads timestamps back without their zone); a string is taken as already formatted."""
    if isinstance(at, str):
        return at
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime(AT_FORMAT)


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes hashed for one event: the JSON of :data:`FIELDS` (missing ones are null)."""
    data = {name: fields.get(name) for name in FIELDS}
    if data["at"] is not None:
        data["at"] = format_at(data["at"])
    if data["object_id"] is not None:
        data["object_id"] = str(data["object_id"])
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def link(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The hash of an event whose predecessor's hash is ``prev_hash`` (hex, 64 characters)."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(fields))
    return digest.hexdigest()


def fields_of(row: Any) -> dict[str, Any]:
    """The hashed fields of an :class:`~marketplace.audit.models.AuditEvent`, a SQLAlchemy
    ``Row`` or a mapping."""
    if isinstance(row, Mapping):
        return {name: row.get(name) for name in FIELDS}
    mapping = getattr(row, "_mapping", None)
    if mapping is not None:
        return {name: mapping.get(name) for name in FIELDS}
    return {name: getattr(row, name) for name in FIELDS}


def normalise_json(value: Any) -> Any:
    """``value`` as it reads back from a JSON column: Decimals, dates and other objects become
    strings, tuples become lists, so the stored event hashes the same as the recorded one."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
