"""A year of activity on top of ``flask generate-scale``'s households, needs and lines.

``generate_activity()`` adds organisations (with one staff user each), a caseworker and a
reviewer per county, offers, government-purchase contracts with lines and targets,
allocations, deliveries, payments, feedback, ``needs.fulfilled_at`` and a chained audit trail
of a chosen size, then refreshes the balance summaries. The rows of each county are built in
Python by :mod:`marketplace.scale.activity_rows` (consistent with the needs' and lines'
statuses) and written in one transaction per county: ``COPY`` on PostgreSQL, batched
``INSERT``s (executemany) on SQLite, ids assigned here as in :mod:`marketplace.scale.generator`.

Audit events are gathered per county, sorted by time into temporary files, thinned to about
the target on the way (each county keeps each event with the probability that leads to the
target, estimated from the events per line so far), then merged by time in one stream,
trimmed (or topped up with ID-number reads) to exactly the target, numbered after the
existing chain's head and hashed with :func:`marketplace.audit.chain.link`, in one transaction
holding the chain's lock. Run it on a quiet database: it is a bulk load.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, inspect, select, text, update

from marketplace.accounts.models import Organization, User
from marketplace.allocations.models import Allocation
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedLine
from marketplace.regions.models import Region, RegionLevel
from marketplace.scale import activity_audit as audit
from marketplace.scale.activity_rows import Actors, CountyBuilder, Ids
from marketplace.scale.generator import ScaleError, _batches, _copy, _plain

#: Marks what this generator made (offers' and contracts' note; organisation names).
NOTE = "activity generator"
ORG_PREFIX = "活动测试机构"
#: Offers per organisation (2,000 organisations for 50,000 offers).
OFFERS_PER_ORG = 25
ORG_TYPES = (("contractor", 0.35), ("social_org", 0.25), ("charity", 0.15),
             ("enterprise", 0.15), ("volunteer_team", 0.10))
#: Tables written per county, parents first.
TABLES = ("contracts", "contract_lines", "contract_targets", "offers", "allocations",
          "deliveries", "payments", "feedback")


@dataclass
class ActivityReport:
    """Rows written and time taken."""

    organizations: int = 0
    users: int = 0
    counties: int = 0
    offers: int = 0
    contracts: int = 0
    contract_lines: int = 0
    contract_targets: int = 0
    allocations: int = 0
    deliveries: int = 0
    payments: int = 0
    feedback: int = 0
    fulfilled: int = 0
    audit_events: int = 0
    #: Events built before thinning to the target (the year's full trail).
    candidate_events: int = 0
    rows_seconds: float = 0.0
    audit_seconds: float = 0.0
    refresh_seconds: float = 0.0
    seconds: float = 0.0
    balance_generation: int | None = None


def _table(name: str):
    return _plain(db.metadata.tables[name])


def _next_ids() -> dict[str, int]:
    return {name: (db.session.scalar(select(func.max(_table(name).c.id))) or 0) + 1
            for name in (*TABLES, "organizations", "users", "audit_events")}


def _check_ready() -> None:
    columns = {c["name"] for c in inspect(db.engine).get_columns("needs")}
    if "fulfilled_at" not in columns or "seq" not in {
            c["name"] for c in inspect(db.engine).get_columns("audit_events")}:
        raise ScaleError("Upgrade the database first: flask --app app db upgrade heads.")
    if db.session.scalar(select(func.count(Organization.id)).where(
            Organization.name.like(f"{ORG_PREFIX}%"))):
        raise ScaleError("This database already has generated activity.")


def _fix_future_publication() -> None:
    """``generate-scale`` can date a publication a few days after the need's last status
    change (and after the day it ran): a need published in the future cannot have been
    allocated or fulfilled. Publish those at their last status change instead."""
    needs = Need.__table__
    db.session.execute(update(needs).where(needs.c.published_at > needs.c.status_changed_at)
                       .values(published_at=needs.c.status_changed_at))
    db.session.commit()


def _line_counts() -> dict[str, int]:
    return dict(db.session.execute(
        select(Need.county_code, func.count(NeedLine.id)).join(NeedLine.need)
        .group_by(Need.county_code)).all())


def _quotas(total: int, weights: dict[str, int]) -> dict[str, int]:
    whole = sum(weights.values()) or 1
    return {code: max(1, round(total * w / whole)) for code, w in weights.items()}


def _people(rng: random.Random, counties: list[str], org_quota: dict[str, int], ids: Ids,
            now: datetime, report: ActivityReport) -> dict[str, Actors]:
    """Organisations (a contractor first in every county), their staff, county officers."""
    orgs, users, actors = [], [], {}
    number = 0
    for county in counties:
        officer_ids = (ids.take("users"), ids.take("users"))
        for uid, role, name in zip(officer_ids, ("caseworker", "reviewer"), ("cw", "rv"),
                                   strict=True):
            users.append({"id": uid, "username": f"act_{name}_{county}",
                          "display_name": f"{county} {'社工' if name == 'cw' else '审核员'}",
                          "password_hash": "!", "role": role, "region_code": county,
                          "organization_id": None, "created_at": now, "updated_at": now})
        county_orgs = []
        for n in range(org_quota.get(county, 0)):
            number += 1
            oid, sid = ids.take("organizations"), ids.take("users")
            kind = "contractor" if n == 0 else rng.choices(*zip(*ORG_TYPES, strict=True))[0]
            orgs.append({"id": oid, "name": f"{ORG_PREFIX}{number:05d}", "type": kind,
                         "region_code": county, "status": "verified", "decided_at": now,
                         "qualifications": ["first_aid"] if kind == "contractor" else [],
                         "created_at": now, "updated_at": now})
            users.append({"id": sid, "username": f"act_org{oid}",
                          "display_name": f"{ORG_PREFIX}{number:05d}工作人员",
                          "password_hash": "!", "role": "provider_staff", "region_code": None,
                          "organization_id": oid, "created_at": now, "updated_at": now})
            county_orgs.append((oid, kind, sid))
        actors[county] = Actors(officer_ids[0], officer_ids[1], county_orgs)
    with db.engine.begin() as conn:
        for batch in _batches(orgs):
            conn.execute(insert(Organization.__table__), batch)
        for batch in _batches(users):
            conn.execute(insert(User.__table__), batch)
    report.organizations, report.users = len(orgs), len(users)
    return actors


def _county_needs(county: str, skip: set[int]) -> Iterator[tuple[dict, list[dict]]]:
    """The county's needs with their lines, in id order (needs in ``skip`` left out)."""
    n, line = Need.__table__.c, NeedLine.__table__.c
    rows = db.session.execute(
        select(n.id, n.household_id, n.region_code, n.status, n.created_at, n.published_at,
               n.status_changed_at, line.id.label("line_id"), line.kind, line.category,
               line.goods_item_id, line.service_type_id, line.quantity,
               line.status.label("line_status"), line.requires)
        .select_from(Need.__table__.outerjoin(NeedLine.__table__, line.need_id == n.id))
        .where(n.county_code == county).order_by(n.id, line.id))
    current, lines = None, []
    for r in rows:
        if current is None or current["id"] != r.id:
            if current is not None and current["id"] not in skip:
                yield current, lines
            current = {"id": r.id, "household_id": r.household_id,
                       "region_code": r.region_code, "status": str(r.status),
                       "created_at": r.created_at, "published_at": r.published_at,
                       "status_changed_at": r.status_changed_at}
            lines = []
        if r.line_id is not None:
            lines.append({"id": r.line_id, "kind": str(r.kind), "category": r.category,
                          "goods_item_id": r.goods_item_id,
                          "service_type_id": r.service_type_id, "quantity": r.quantity,
                          "status": str(r.line_status), "requires": r.requires or []})
    if current is not None and current["id"] not in skip:
        yield current, lines


def _write(rows: dict[str, list[dict[str, Any]]], fulfilled: list[tuple[int, datetime]]) -> None:
    """One county's rows in one transaction (COPY on PostgreSQL)."""
    with db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        for name in TABLES:
            if not rows[name]:
                continue
            if postgres:
                _copy(conn, _table(name), rows[name])
            else:
                for batch in _batches(rows[name]):
                    conn.execute(insert(_table(name)), batch)
        if not fulfilled:
            return
        if postgres:
            conn.execute(text("CREATE TEMP TABLE activity_fulfilled (id bigint PRIMARY KEY, "
                              "fulfilled_at timestamptz) ON COMMIT DROP"))
            cursor = conn.connection.driver_connection.cursor()
            with cursor.copy("COPY activity_fulfilled (id, fulfilled_at) FROM STDIN") as copy:
                for row in fulfilled:
                    copy.write_row(row)
            conn.execute(text("UPDATE needs SET fulfilled_at = f.fulfilled_at "
                              "FROM activity_fulfilled f WHERE needs.id = f.id"))
        else:
            needs = Need.__table__
            stmt = (update(needs).where(needs.c.id == bindparam("_id"))
                    .values(fulfilled_at=bindparam("_at")))
            conn.execute(stmt, [{"_id": i, "_at": at} for i, at in fulfilled])


def generate_activity(seed: int = 1, offers: int = 50_000, audit_events: int = 5_000_000,
                      progress: Callable[[ActivityReport], None] | None = None,
                      refresh: bool = True) -> ActivityReport:
    """Add a year of activity to the generated needs; returns the counts and times.

    ``offers`` is spread over the counties by their number of lines; ``audit_events`` is the
    exact number of events added to the trail. Needs whose lines already have allocations
    (e.g. the demo's) are left as they are. ``refresh`` rebuilds the balance summaries at the
    end (``marketplace.balance.refresh.refresh``).
    """
    started = time.perf_counter()
    _check_ready()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    _fix_future_publication()
    line_counts = _line_counts()
    counties = [code for code in db.session.scalars(
        select(Region.code).where(Region.level == RegionLevel.county).order_by(Region.code))
        if line_counts.get(code)]
    if not counties:
        raise ScaleError("No need lines: run `flask generate-scale` first.")
    weights = {c: line_counts[c] for c in counties}
    offer_quota = _quotas(offers, weights)
    org_quota = {c: max(3, q) for c, q in _quotas(max(10, offers // OFFERS_PER_ORG),
                                                  weights).items()}
    skip = set(db.session.scalars(select(NeedLine.need_id).join(
        Allocation, Allocation.need_line_id == NeedLine.id).distinct()))
    ids = Ids(_next_ids())
    report = ActivityReport()
    actors = _people(rng, counties, org_quota, ids, now, report)
    db.session.commit()
    thinning = audit.Thinning(audit_events, sum(weights.values()))
    with tempfile.TemporaryDirectory(prefix="nuanxin-activity-") as folder:
        files: list[Path] = []
        for county in counties:
            builder = CountyBuilder(rng, now, county, ids, actors[county], offer_quota[county],
                                    rng.randint(3, 5), {})
            for need, lines in _county_needs(county, skip):
                builder.need(need, lines)
                thinning.remember(rng, need, actors[county].caseworker)
            db.session.commit()  # end the read: no snapshot held open through the writes
            out = builder.finish(today, NOTE)
            _write(out.rows, out.fulfilled)
            for name in TABLES:
                setattr(report, name, getattr(report, name) + len(out.rows[name]))
            report.fulfilled += len(out.fulfilled)
            report.candidate_events += len(out.events)
            path = Path(folder) / f"{county}.events"
            thinning.keep(rng, out.events, weights[county], path)
            files.append(path)
            report.counties += 1
            if progress:
                progress(report)
        report.rows_seconds = time.perf_counter() - started
        t = time.perf_counter()
        report.audit_events = audit.write_chain(rng, files, thinning, audit_events, now,
                                                ids.next["audit_events"])
        report.audit_seconds = time.perf_counter() - t
    _move_sequences()
    _analyze()
    if refresh:
        t = time.perf_counter()
        from marketplace.balance.refresh import refresh as refresh_balance

        result = refresh_balance(now)
        report.balance_generation = result.generation
        report.refresh_seconds = time.perf_counter() - t
    report.seconds = time.perf_counter() - started
    if progress:
        progress(report)
    return report


def _move_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as conn:
        for name in (*TABLES, "organizations", "users", "audit_events"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM {name}))"))


def _analyze() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in (*TABLES, "needs", "audit_events", "organizations", "users"):
                conn.execute(text(f"VACUUM (ANALYZE) {name}"))
        return
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))

