"""Time one matching run of the web site at scale: build, solve, store, commit.

Usage (a database made by ``flask generate-scale``; the run's region should hold the open
lines wanted, about 0.95 open lines per generated household)::

    NUANXIN_ENV=development DATABASE_URL=sqlite:////tmp/run-bench.db \\
        python -m benchmarks.site_run --region 430000 --offers 5000 --time-limit 60

The first call adds ``--offers`` synthetic open offers (and their organisations): each copies
a random open line of the region (kind, category, goods item or service type, required
qualifications; funds restricted to the line's category 70 % of the time), serves its county
(75 %), prefecture (22 %) or the province (3 %), and holds
about seven times the line's quantity, so that supply is roughly 70 % of the open need with
10 lines per offer. Later calls reuse them. Then it runs ``pipeline.execute`` (as the worker
does) and ``commit.commit_run`` (approve all), printing each stage's seconds as JSON. The
commit is rolled back unless ``--keep`` is given, so the database can be measured again.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

OFFER_NOTE = "site_run benchmark"


def _orgs(count: int, rng: random.Random, counties: list[str]) -> list[tuple[int, str]]:
    from sqlalchemy import insert, select

    from marketplace.accounts.models import Organization, OrgStatus, OrgType
    from marketplace.extensions import db

    existing = db.session.execute(select(Organization.id, Organization.region_code).where(
        Organization.name.like("基准测试机构%"))).all()
    if existing:
        return [tuple(r) for r in existing]
    rows = [{"name": f"基准测试机构{i:04d}", "type": OrgType.contractor,
             "region_code": rng.choice(counties), "status": OrgStatus.verified,
             "qualifications": []} for i in range(count)]
    db.session.execute(insert(Organization), rows)
    return [tuple(r) for r in db.session.execute(select(
        Organization.id, Organization.region_code).where(
        Organization.name.like("基准测试机构%"))).all()]


def ensure_offers(region: str, count: int, seed: int) -> int:
    """Add ``count`` synthetic offers modelled on the region's open lines (once)."""
    from sqlalchemy import func, insert, select

    from marketplace.extensions import db
    from marketplace.needs.models import BOARD_STATUSES, LineStatus, Need, NeedLine
    from marketplace.offers.models import Offer, OfferStatus
    from marketplace.regions.models import scope_prefix, subtree_condition

    have = db.session.scalar(select(func.count(Offer.id)).where(Offer.note == OFFER_NOTE))
    if have:
        return have
    rng = random.Random(seed)
    lines = db.session.execute(
        select(NeedLine.kind, NeedLine.category, NeedLine.goods_item_id,
               NeedLine.service_type_id, NeedLine.quantity, NeedLine.requires,
               Need.county_code)
        .join(Need).where(Need.status.in_([str(s) for s in BOARD_STATUSES]),
                          NeedLine.status == LineStatus.open,
                          subtree_condition(Need.region_code, scope_prefix(region)))).all()
    if not lines:
        raise SystemExit(f"no open lines in {region}: run flask generate-scale first")
    counties = sorted({line.county_code for line in lines})
    orgs = _orgs(max(count // 25, 1), rng, counties)
    today = date.today()
    rows: list[dict[str, Any]] = []
    for _ in range(count):
        line = rng.choice(lines)
        org_id, _org_region = rng.choice(orgs)
        reach = rng.random()
        area = (line.county_code if reach < 0.75 else line.county_code[:4] + "00"
                if reach < 0.97 else line.county_code[:2] + "0000")
        capacity = (line.quantity * Decimal(7) * Decimal(rng.uniform(0.4, 1.6))).quantize(
            Decimal("1"))
        rows.append({
            "organization_id": org_id, "kind": line.kind,
            "category": None if line.kind == "funds" else line.category,
            "categories": [line.category] if line.kind == "funds" and rng.random() < 0.7
            else [],
            "goods_item_id": line.goods_item_id, "service_type_id": line.service_type_id,
            "capacity": max(capacity, Decimal(1)), "regions": [area],
            "qualifications": sorted(set(line.requires or []) | (
                {"first_aid"} if line.kind == "services" and rng.random() < 0.3 else set())),
            "groups": [], "unit_price": Decimal("45") if line.kind == "services" else None,
            "valid_from": today - timedelta(days=10),
            "valid_until": today + timedelta(days=180), "status": OfferStatus.open,
            "note": OFFER_NOTE})
    db.session.execute(insert(Offer), rows)
    db.session.commit()
    return count


def _officer(region: str):
    from sqlalchemy import select

    from marketplace.accounts.models import Role, User
    from marketplace.extensions import db

    user = db.session.scalar(select(User).where(User.username == "bench_oversight"))
    if user is None:
        user = User(username="bench_oversight", display_name="基准测试 监督",
                    password_hash="!", role=Role.oversight, region_code=region)
        db.session.add(user)
        db.session.commit()
    return user


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="430000")
    parser.add_argument("--offers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--keep", action="store_true", help="commit the approval")
    args = parser.parse_args(argv)

    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.runs.commit import commit_run
    from marketplace.runs.models import MatchingRun, RunStatus
    from marketplace.runs.pipeline import execute

    app = create_app()
    out: dict[str, Any] = {"region": args.region}
    with app.app_context():
        started = time.perf_counter()
        out["offers_made"] = ensure_offers(args.region, args.offers, args.seed)
        out["offers_setup_s"] = round(time.perf_counter() - started, 2)
        officer = _officer(args.region)
        run = MatchingRun(region_code=args.region, kinds=[], categories=[],
                          policy={"time_limit_s": args.time_limit, "coverage_slack": 0.01,
                                  "balance": True},
                          created_by_id=officer.id, status=RunStatus.running)
        db.session.add(run)
        db.session.commit()
        marks: list[tuple[str, int, float]] = []
        t0 = time.perf_counter()
        execute(run, lambda stage, pct: marks.append((str(stage), pct,
                                                      time.perf_counter() - t0)))
        run.status = RunStatus.done
        started = time.perf_counter()
        db.session.commit()
        out["store_commit_s"] = round(time.perf_counter() - started, 2)
        out["execute_s"] = round(time.perf_counter() - t0 - out["store_commit_s"], 2)
        s = run.summary
        out.update({k: s[k] for k in ("lines", "offers", "edges", "assignments", "timings")})
        out["optimiser"] = {k: s["optimiser"][k] for k in ("coverage", "balance", "cost",
                                                             "status", "bound", "seconds")}
        out["baseline"] = {k: s["baseline"][k] for k in ("coverage", "balance", "cost")}
        out["total_priority"] = s["total_priority"]
        started = time.perf_counter()
        report = commit_run(officer, run)
        out["commit_flush_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        if args.keep:
            db.session.commit()
        else:
            db.session.rollback()
        out["commit_final_s"] = round(time.perf_counter() - started, 2)
        out["committed"], out["left_out"] = report.committed, len(report.left_out)
        out["run_id"] = run.id
    json.dump(out, sys.stdout, indent=1, default=str)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
