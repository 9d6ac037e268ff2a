"""Bulk generation of Hunan-scale households, members, needs and need lines.

Rows are built in Python and written with SQLAlchemy Core ``insert()`` over lists of dicts in
chunks of about 10,000 rows (``insertmanyvalues`` batches them on PostgreSQL and SQLite), one
transaction per chunk. Primary keys are assigned here, so members and lines link to their
parents without reading anything back; PostgreSQL sequences are moved past them at the end.

Personal data is protected exactly as the registry does it: the ID number, phone and address
are Fernet tokens under the key of ``marketplace.common.crypto`` and the ID number's keyed hash
is the same HMAC. The key is derived once per run instead of once per value (the per-call HKDF
of ``crypto.encrypt`` is two thirds of its cost); tests check that ``crypto.decrypt`` and
``crypto.keyed_hash`` agree with what is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import JSON, Table, Text, column, func, insert, select, table, text

from marketplace.accounts.models import Role, User
from marketplace.catalog.models import GoodsItem, ServiceType
from marketplace.common import crypto
from marketplace.extensions import db
from marketplace.households.models import Household, Person
from marketplace.needs.models import Need, NeedLine
from marketplace.regions.models import Region, RegionLevel
from marketplace.scale import values as v

#: Rows per INSERT statement list (households of a chunk are sized to give about this).
BATCH_ROWS = 10_000
#: Households per transaction: ~1.8 persons, ~1.2 needs and ~2.7 lines each.
HOUSEHOLDS_PER_CHUNK = 3_000
#: Households per generated township (rural townships hold a few thousand assisted people).
HOUSEHOLDS_PER_TOWNSHIP = 2_500
#: Generated townships get codes county + 9xx, clear of real statistical codes (001-5xx).
TOWNSHIP_BASE = 900


class ScaleError(RuntimeError):
    """The database is not ready for generation (no regions, catalogues or users)."""


@dataclass
class ScaleReport:
    """Counts written and the time taken, per phase."""

    households: int = 0
    persons: int = 0
    needs: int = 0
    lines: int = 0
    townships: int = 0
    seconds: float = 0.0
    crypto_seconds: float = 0.0
    insert_seconds: float = 0.0
    counties: dict[str, int] = field(default_factory=dict)


def _plain(model_table: Table):
    """A Core table with the model's column types, except encrypted columns as plain text
    (values are encrypted here, once, instead of by the column type)."""
    return table(model_table.name, *[
        column(c.name, Text() if isinstance(c.type, crypto.EncryptedString) else c.type)
        for c in model_table.c])


class _Sealer:
    """Encryption and keyed hash with the application's keys, derived once."""

    def __init__(self) -> None:
        self.fernet = crypto._fernet()
        self.hash_key = crypto._derive(b"lookup-hash")
        self.seconds = 0.0

    def encrypt(self, value: str) -> str:
        return self.fernet.encrypt(value.encode()).decode()

    def keyed_hash(self, value: str) -> str:
        return hmac.new(self.hash_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def _allocate(total: int, counties: list[Region]) -> dict[str, int]:
    """Households per county in proportion to the county weights (largest remainders)."""
    weights = {c.code: v.county_weight(c.code, c.kind) for c in counties}
    scale = total / sum(weights.values())
    exact = {code: w * scale for code, w in weights.items()}
    counts = {code: int(x) for code, x in exact.items()}
    left = total - sum(counts.values())
    for code in sorted(exact, key=lambda c: counts[c] - exact[c])[:left]:
        counts[code] += 1
    return counts


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _ensure_townships(counties: list[Region], counts: dict[str, int], now: datetime
                      ) -> tuple[dict[str, list[str]], int]:
    """Townships of each county (existing ones plus generated ones as needed)."""
    existing: dict[str, list[str]] = {}
    for code, parent in db.session.execute(select(Region.code, Region.parent_code).where(
            Region.level == RegionLevel.township)):
        existing.setdefault(parent, []).append(code)
    rows = []
    result = {}
    for county in counties:
        wanted = max(2, min(60, counts[county.code] // HOUSEHOLDS_PER_TOWNSHIP + 1))
        codes = list(existing.get(county.code, []))
        n = 0
        while len(codes) < wanted:
            n += 1
            code = f"{county.code}{TOWNSHIP_BASE + n:03d}"
            if code in codes:
                continue
            codes.append(code)
            rows.append({"code": code, "parent_code": county.code, "level": "township",
                         "name_zh": f"{county.name_zh}规模测试{n}镇",
                         "name_en": f"{county.name_en} scale town {n}", "kind": "town",
                         "is_urban": county.is_urban, "created_at": now, "updated_at": now})
        result[county.code] = codes
    if rows:
        db.session.execute(insert(_plain(Region.__table__)), rows)
        db.session.commit()
    return result, len(rows)


def _batches(rows: list[dict], size: int = BATCH_ROWS) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def generate(households: int, seed: int = 1, workers: int = 1,
             progress: Callable[[ScaleReport], None] | None = None) -> ScaleReport:
    """Add ``households`` households with members, needs and need lines; return the counts.

    Needs an upgraded schema with regions, catalogues and at least one user (``seed-demo``).
    On PostgreSQL, ``workers`` > 1 forks processes that each take a share of the counties
    (ID numbers start with the county code, so their duplicate checks cannot collide) and
    a disjoint block of ids.
    """
    started = time.perf_counter()
    now = datetime.now(UTC)
    counties = list(db.session.scalars(select(Region).where(
        Region.level == RegionLevel.county).order_by(Region.code)))
    goods = [(g.id, g.unit, g.category) for g in db.session.scalars(
        select(GoodsItem).where(GoodsItem.active).order_by(GoodsItem.id))]
    services = [(s.id, s.unit, s.category, list(s.qualifications or [])) for s in
                db.session.scalars(select(ServiceType).where(ServiceType.active)
                                   .order_by(ServiceType.id))]
    author = (db.session.scalar(select(User.id).where(User.role == Role.caseworker)
                                .order_by(User.id).limit(1))
              or db.session.scalar(select(User.id).order_by(User.id).limit(1)))
    if not counties or not goods or not services or author is None:
        raise ScaleError("Run `flask --app app seed-demo` first: regions, catalogues and a "
                         "user are needed.")
    counts = _allocate(households, counties)
    townships, created = _ensure_townships(counties, counts, now)
    report = ScaleReport(townships=created, counties=counts)
    seen = set(db.session.scalars(select(Person.id_hash)))
    ids = {"h": _next_id(Household), "p": _next_id(Person), "n": _next_id(Need),
           "l": _next_id(NeedLine)}
    db.session.commit()
    shared = (now, goods, services, author, seen, {c.code: c.is_urban for c in counties},
              counts, townships)
    if workers <= 1 or db.engine.dialect.name != "postgresql":
        _run_part([c.code for c in counties], ids, seed, shared, report, progress)
    else:
        _run_parallel(counties, ids, seed, shared, report, workers)
    _move_sequences()
    _analyze()
    report.seconds = time.perf_counter() - started
    if progress:
        progress(report)
    return report


def _run_part(counties: list[str], ids: dict[str, int], seed: int, shared: tuple,
              report: ScaleReport, progress=None) -> None:
    """Generate and write the households of ``counties``, ids counting up from ``ids``."""
    now, goods, services, author, seen, urban, counts, townships = shared
    rng = random.Random(seed)
    sealer = _Sealer()
    ctx = _Context(rng, sealer, now, now.date(), goods, services, author, seen, dict(ids))
    pending = 0
    buffers: dict[str, list[dict]] = {"h": [], "p": [], "n": [], "l": []}
    for county in counties:
        for _ in range(counts[county]):
            ctx.household(county, rng.choice(townships[county]), urban[county], buffers)
            pending += 1
            if pending == HOUSEHOLDS_PER_CHUNK:
                _flush(buffers, report)
                pending = 0
                if progress:
                    progress(report)
    _flush(buffers, report)
    report.crypto_seconds += sealer.seconds


#: Upper bounds per household, for the id blocks of parallel workers.
_PER_HOUSEHOLD = {"h": 1, "p": 6, "n": 3, "l": 15}


def _worker(args) -> tuple[int, int, int, int, float, float]:
    counties, ids, seed, shared = args
    db.engine.dispose(close=False)  # never share the parent's connections after fork
    report = ScaleReport()
    _run_part(counties, ids, seed, shared, report)
    return (report.households, report.persons, report.needs, report.lines,
            report.crypto_seconds, report.insert_seconds)


def _run_parallel(counties: list[Region], ids: dict[str, int], seed: int, shared: tuple,
                  report: ScaleReport, workers: int) -> None:
    counts = shared[6]
    total = sum(counts.values())
    parts = [counties[w::workers] for w in range(workers)]
    jobs = []
    for w, part in enumerate(parts):
        block = {k: ids[k] + w * total * _PER_HOUSEHOLD[k] for k in ids}
        jobs.append(([c.code for c in part], block, seed * 1000 + w, shared))
    db.session.close()
    db.engine.dispose()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for h, p, n, lines, crypto_s, insert_s in pool.imap_unordered(_worker, jobs):
            report.households += h
            report.persons += p
            report.needs += n
            report.lines += lines
            report.crypto_seconds += crypto_s
            report.insert_seconds += insert_s


_TABLES = {"h": _plain(Household.__table__), "p": _plain(Person.__table__),
           "n": _plain(Need.__table__), "l": _plain(NeedLine.__table__)}


def _flush(buffers: dict[str, list[dict]], report: ScaleReport) -> None:
    """Write the buffered rows, parents first, in one transaction."""
    if not buffers["h"]:
        return
    t = time.perf_counter()
    with db.engine.begin() as conn:
        for key in ("h", "p", "n", "l"):
            if conn.dialect.name == "postgresql":
                _copy(conn, _TABLES[key], buffers[key])
                continue
            for batch in _batches(buffers[key]):
                conn.execute(insert(_TABLES[key]), batch)
    report.insert_seconds += time.perf_counter() - t
    report.households += len(buffers["h"])
    report.persons += len(buffers["p"])
    report.needs += len(buffers["n"])
    report.lines += len(buffers["l"])
    for rows in buffers.values():
        rows.clear()


def _copy(conn, plain, rows: list[dict]) -> None:
    """PostgreSQL COPY of ``rows`` into ``plain`` (several times faster than INSERTs)."""
    if not rows:
        return
    names = [c.name for c in plain.c]
    json_columns = {c.name for c in plain.c if isinstance(c.type, JSON)}
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {plain.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            # A column the row does not name is NULL, as an INSERT would leave it (a nullable
            # column added later, e.g. needs.fulfilled_at, needs no change here).
            copy.write_row([json.dumps(row[n]) if n in json_columns else row.get(n)
                            for n in names])


def _analyze() -> None:
    """Refresh the planner statistics (and on PostgreSQL the visibility map) after a bulk
    load. Without statistics SQLite joins the board from ``need_lines`` by kind instead of
    from ``needs`` by status and county (1 s instead of 1 ms for a county page at 100,000
    households)."""
    if db.engine.dialect.name == "postgresql":
        # VACUUM as well: index-only scans (the board's capped count) read the table until
        # the visibility map is set (0.9 ms instead of 2.6 ms at 1.1 M households).
        # VACUUM cannot run inside a transaction block.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
        return
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _move_sequences() -> None:
    """Move PostgreSQL's id sequences past the ids assigned here."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as conn:
        for name in ("households", "persons", "needs", "need_lines"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM {name}))"))


@dataclass
class _Context:
    """What building one household's rows needs."""

    rng: random.Random
    sealer: _Sealer
    now: datetime
    today: date
    goods: list[tuple]
    services: list[tuple]
    author: int
    seen: set[str]
    ids: dict[str, int]

    def _take(self, key: str) -> int:
        value = self.ids[key]
        self.ids[key] = value + 1
        return value

    def household(self, county: str, township: str, urban: bool,
                  out: dict[str, list[dict]]) -> None:
        """Append one household, its members, needs and lines to ``out``."""
        rng, sealer = self.rng, self.sealer
        hid = self._take("h")
        created = self.now - timedelta(days=rng.randint(30, 900), seconds=rng.randint(0, 86399))
        groups = [g for g, share in v.GROUP_SHARES if rng.random() < share] or ["low_income"]
        t = time.perf_counter()
        address = sealer.encrypt(f"{rng.randint(1, 30)}组{rng.randint(1, 200)}号")
        sealer.seconds += time.perf_counter() - t
        out["h"].append({
            "id": hid, "region_code": township, "county_code": county,
            "address_detail": address, "groups": groups, "status": "active",
            "created_by_id": self.author, "created_at": created, "updated_at": created})
        self._members(hid, county, urban, out["p"])
        self._needs(hid, county, township, created, out)

    def _members(self, hid: int, county: str, urban: bool, out: list[dict]) -> None:
        rng, sealer = self.rng, self.sealer
        surname = rng.choice(v.SURNAMES)
        head_born = None
        for i in range(v.household_size(rng, urban)):
            relation = "head" if i == 0 else rng.choice(v.RELATIONS_AFTER_HEAD)
            male = rng.random() < 0.5
            born = v.birth_date(rng, relation, head_born, self.today)
            head_born = head_born or born
            number = v.id_number(rng, county, born, male)
            t = time.perf_counter()
            digest = sealer.keyed_hash(number)
            while digest in self.seen:  # same county, birthday and sequence: draw again
                number = v.id_number(rng, county, born, male)
                digest = sealer.keyed_hash(number)
            self.seen.add(digest)
            age = (self.today - born).days // 365
            phone = v.mobile(rng) if age >= 16 and rng.random() < 0.75 else None
            encrypted_id = sealer.encrypt(number)
            encrypted_phone = sealer.encrypt(phone) if phone else None
            sealer.seconds += time.perf_counter() - t
            disabled = rng.random() < 0.12
            out.append({
                "id": self._take("p"), "household_id": hid,
                "name": v.person_name(rng, surname if relation in ("head", "child",
                                                                   "grandchild") else None),
                "sex": "male" if male else "female", "birth_date": born,
                "relation": relation, "id_number": encrypted_id, "id_hash": digest,
                "phone": encrypted_phone,
                "disability_type": rng.choice(("physical", "visual", "intellectual",
                                               "hearing", "mental")) if disabled else None,
                "disability_grade": rng.randint(1, 4) if disabled else None,
                "health": rng.choices(("healthy", "chronic_illness", "serious_illness"),
                                      (0.6, 0.3, 0.1))[0],
                "work_ability": "none" if age >= 70 or age < 16 else rng.choice(
                    ("full", "partial", "none")),
                "schooling": _schooling(age)})

    def _needs(self, hid: int, county: str, township: str, household_created: datetime,
               out: dict[str, list[dict]]) -> None:
        rng = self.rng
        count = rng.choices((0, 1, 2, 3), (0.18, 0.52, 0.22, 0.08))[0]  # mean 1.2 a year
        for _ in range(count):
            nid = self._take("n")
            created = self.now - timedelta(days=rng.randint(0, 364), seconds=rng.randint(0, 86399))
            created = max(created, household_created)
            status = v.weighted(rng, v.STATUS_SHARES)
            cause = v.weighted(rng, v.CAUSE_SHARES)
            emergency = rng.random() < 0.06
            published = (created + timedelta(days=rng.randint(2, 12))
                         if status in v.PUBLISHED_STATUSES else None)
            deadline = (created + timedelta(days=rng.randint(30, 150))).date()
            assistance = ("emergency" if emergency else
                          "medical" if cause == "illness" and rng.random() < 0.3 else
                          "education" if cause == "education" and rng.random() < 0.3 else None)
            changed = min(self.now, (published or created) + timedelta(days=rng.randint(0, 20)))
            out["n"].append({
                "id": nid, "household_id": hid, "region_code": township, "county_code": county,
                "cause": cause, "urgency": "emergency" if emergency else "normal",
                "deadline": deadline, "assistance_type": assistance, "summary": "",
                "status": status, "status_changed_at": changed,
                "return_reason": "材料不全，请补充" if status == "returned" else "",
                "created_by_id": self.author, "published_at": published,
                "created_at": created, "updated_at": changed})
            for _ in range(int(v.weighted(rng, v.LINES_PER_NEED))):
                out["l"].append(self._line(nid, status, cause, deadline))

    def _line(self, nid: int, need_status: str, cause: str, deadline: date) -> dict:
        rng = self.rng
        kind = v.weighted(rng, v.KIND_SHARES)
        goods_id = service_id = window_start = window_end = None
        requires: list = []
        if kind == "funds":
            category = ("medical" if cause == "illness" else "education"
                        if cause == "education" else v.weighted(rng, v.FUNDS_CATEGORIES))
            quantity = Decimal(rng.randrange(20, 800) * 10)
            unit = "CNY"
        elif kind == "goods":
            goods_id, unit, category = rng.choice(self.goods)
            quantity = Decimal(rng.randint(1, 12))
        else:
            service_id, unit, category, requires = rng.choice(self.services)
            quantity = Decimal(rng.randint(2, 40))
            window_start, window_end = deadline - timedelta(days=60), deadline
        if need_status in ("matched", "fulfilled", "closed"):
            status = "covered"
        elif need_status == "withdrawn":
            status = "cancelled"
        elif need_status == "partially_matched":
            status = rng.choice(("covered", "open"))
        else:
            status = "open"
        return {"id": self._take("l"), "need_id": nid, "kind": kind, "category": category,
                "goods_item_id": goods_id, "service_type_id": service_id,
                "quantity": quantity, "unit": unit, "requires": list(requires),
                "window_start": window_start, "window_end": window_end, "status": status}


def _schooling(age: int) -> str:
    if age < 3:
        return "not_applicable"
    if age < 6:
        return "preschool"
    if age < 12:
        return "primary"
    if age < 15:
        return "junior_secondary"
    if age < 18:
        return "senior_secondary"
    return "not_applicable"
