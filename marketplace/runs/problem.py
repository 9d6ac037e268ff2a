"""Build a matching problem (``shared/specs/matching-format.md``) from the site's open pool.

Needs are the published need lines of the run's region (and kinds, categories) that are not
yet covered: remaining = quantity − Σ committing allocations. Offers are the open offers with
capacity left (contract offers also within their contract's remaining budget). Candidate
pairs are given as explicit edges: the site's compatibility rules (the ones ``pledge``
applies, see :func:`marketplace.allocations.services.incompatibility`) decide which pairs
exist, and each edge carries a fit computed from real attributes. Priorities and fits are
documented in docs/matching-in-site.md.

Queries: one for the lines (with their need, household and covered sum), one for the offers
(with organisation, contract line and committed sum), two for the contract budgets, one for
the ratings. No per-row queries.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from marketplace.accounts.models import Organization, OrgStatus
from marketplace.allocations import services as allocation_services
from marketplace.allocations.confirm import ratings as provider_ratings
from marketplace.allocations.models import COMMITTING, Allocation
from marketplace.catalog.vocab import LineKind
from marketplace.contracts.models import Contract, ContractLine, ContractStatus
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.needs.models import BOARD_STATUSES, LineStatus, NeedLine, Urgency
from marketplace.needs.models import Need as SiteNeed
from marketplace.offers.models import Offer as SiteOffer
from marketplace.offers.models import OfferStatus
from marketplace.regions.models import scope_prefix, subtree_condition
from marketplace.runs.models import MatchingRun
from matching import Edge, Need, Offer, Policy, Problem

ZERO = Decimal("0")

# --- priority (docs/matching-in-site.md) -------------------------------------------------------
URGENCY_WEIGHT = {Urgency.emergency: 2.0, Urgency.normal: 1.0}
#: (days left at most, weight): the first row that holds applies; overdue counts as 0 days.
DEADLINE_WEIGHT = ((7, 1.5), (30, 1.2))
#: Household groups, the highest weight of the household's groups applies.
GROUP_WEIGHT = {
    "tekun": 1.5, "orphan": 1.5, "unsupported_child": 1.5,
    "dibao": 1.3, "disabled": 1.3, "seriously_ill": 1.3, "elderly_alone": 1.3,
    "low_income": 1.1, "rigid_expense": 1.1, "relapse_monitoring": 1.1,
}

# --- fit ----------------------------------------------------------------------------------------
LOCALITY_FIT = {"county": 1.0, "prefecture": 0.8, "province": 0.6}
#: Ratings are shrunk towards this average by this many virtual ratings, so one glowing or
#: angry review does not swing a provider's fit.
RATING_PRIOR, RATING_PRIOR_WEIGHT = 4.0, 3
#: Per qualification the offer holds beyond what the line requires (at most two counted).
EXTRA_QUALIFICATION_PENALTY, EXTRA_QUALIFICATIONS_COUNTED = 0.05, 2

#: Candidate offers kept per line, the best-fitting (see docs/matching-in-site.md): enough
#: choice for the optimiser, while a province-wide programme does not add an edge to every
#: line of the province.
MAX_CANDIDATES = 30

#: Matching ids: "L<need line id>" for needs, "O<offer id>" for offers.
NEED_PREFIX, OFFER_PREFIX = "L", "O"


@dataclass(frozen=True, slots=True)
class LineRef:
    """A need line in the problem: what the pipeline and the commit need to know of it."""

    line_id: int
    need_id: int
    county_code: str
    kind: str
    remaining: Decimal


@dataclass(frozen=True, slots=True)
class OfferRef:
    """An offer in the problem."""

    offer_id: int
    organization_id: int
    contract_id: int | None
    unit_price: Decimal | None
    remaining: Decimal  # capacity left (before the contract budget limit)


@dataclass
class Index:
    """From the problem's ids back to the site's rows, in the problem's order."""

    lines: list[LineRef] = field(default_factory=list)
    offers: list[OfferRef] = field(default_factory=list)

    @property
    def line_by_id(self) -> dict[int, LineRef]:
        return {ref.line_id: ref for ref in self.lines}


def need_key(line_id: int) -> str:
    return f"{NEED_PREFIX}{line_id}"


def offer_key(offer_id: int) -> str:
    return f"{OFFER_PREFIX}{offer_id}"


def parse_key(key: str) -> int:
    """The site id of a matching id ("L12" → 12)."""
    return int(key[1:])


def priority(urgency: str, deadline: date, groups: list[str] | None, today: date) -> float:
    """Urgency weight × deadline weight × the household's highest group weight."""
    weight = URGENCY_WEIGHT.get(Urgency(urgency), 1.0)
    days = max((deadline - today).days, 0)
    for limit, factor in DEADLINE_WEIGHT:
        if days <= limit:
            weight *= factor
            break
    weight *= max((GROUP_WEIGHT.get(g, 1.0) for g in groups or ()), default=1.0)
    return round(weight, 4)


def rating_factor(rating: tuple[Decimal, int] | None) -> float:
    """0.75 + 0.05 × the shrunk average satisfaction (1–5): 0.8 to 1.0; unrated 0.95."""
    total, count = (float(rating[0]) * rating[1], rating[1]) if rating else (0.0, 0)
    shrunk = (total + RATING_PRIOR * RATING_PRIOR_WEIGHT) / (count + RATING_PRIOR_WEIGHT)
    return 0.75 + 0.05 * min(max(shrunk, 1.0), 5.0)


def qualification_factor(extra: int) -> float:
    """1 for an exact match; less for each of the ``extra`` qualifications the offer holds
    beyond what the line requires, so scarce specialists are kept for the lines that need
    them."""
    return 1.0 - EXTRA_QUALIFICATION_PENALTY * min(extra, EXTRA_QUALIFICATIONS_COUNTED)


def _committed(key):
    """Σ committing allocations on the row, as a column (one index lookup per row)."""
    return (select(func.coalesce(func.sum(Allocation.quantity), 0))
            .where(key, Allocation.status.in_(sorted(str(s) for s in COMMITTING)))
            .scalar_subquery())


def _run_filters(run: MatchingRun, kind_col, category_col) -> list[Any]:
    where = []
    if run.kinds:
        where.append(kind_col.in_(list(run.kinds)))
    if run.categories:
        where.append(category_col.in_(list(run.categories)))
    return where


def _line_rows(run: MatchingRun) -> list[Any]:
    prefix = scope_prefix(run.region_code)
    stmt = (select(NeedLine.id, NeedLine.need_id, NeedLine.kind, NeedLine.category,
                   NeedLine.goods_item_id, NeedLine.service_type_id, NeedLine.quantity,
                   NeedLine.requires, NeedLine.window_start, NeedLine.window_end,
                   SiteNeed.region_code, SiteNeed.county_code, SiteNeed.urgency,
                   SiteNeed.deadline, SiteNeed.household_id, Household.groups,
                   _committed(Allocation.need_line_id == NeedLine.id).label("covered"))
            .join(SiteNeed, NeedLine.need_id == SiteNeed.id)
            .join(Household, SiteNeed.household_id == Household.id)
            .where(SiteNeed.status.in_([str(s) for s in BOARD_STATUSES]),
                   NeedLine.status == LineStatus.open,
                   subtree_condition(SiteNeed.region_code, prefix),
                   *_run_filters(run, NeedLine.kind, NeedLine.category))
            .order_by(NeedLine.id))
    return [row for row in db.session.execute(stmt)
            if row.quantity - Decimal(row.covered) > 0]


def _serves_run(regions: list[str], run_prefix: str) -> bool:
    if not regions:
        return True
    for code in regions:
        p = scope_prefix(code)
        if p.startswith(run_prefix) or run_prefix.startswith(p):
            return True
    return False


def _offer_rows(run: MatchingRun, today: date) -> list[Any]:
    stmt = (select(SiteOffer.id, SiteOffer.organization_id, SiteOffer.kind, SiteOffer.category,
                   SiteOffer.categories, SiteOffer.goods_item_id, SiteOffer.service_type_id,
                   SiteOffer.capacity, SiteOffer.regions, SiteOffer.qualifications,
                   SiteOffer.groups, SiteOffer.unit_price, SiteOffer.valid_from,
                   SiteOffer.valid_until, SiteOffer.expiry_date, SiteOffer.pickup_region_code,
                   Organization.region_code.label("org_region"),
                   ContractLine.contract_id, ContractLine.unit_price.label("contract_price"),
                   _committed(Allocation.offer_id == SiteOffer.id).label("committed"))
            .join(Organization, SiteOffer.organization_id == Organization.id)
            .outerjoin(ContractLine, SiteOffer.contract_line_id == ContractLine.id)
            .outerjoin(Contract, ContractLine.contract_id == Contract.id)
            .where(SiteOffer.status == OfferStatus.open, SiteOffer.valid_from <= today,
                   Organization.status == OrgStatus.verified,
                   Contract.id.is_(None) | (Contract.status == ContractStatus.active))
            .order_by(SiteOffer.id))
    if run.kinds:
        stmt = stmt.where(SiteOffer.kind.in_(list(run.kinds)))
    run_prefix = scope_prefix(run.region_code)
    rows = []
    for row in db.session.execute(stmt):
        ends = min([d for d in (row.valid_until, row.expiry_date) if d is not None], default=None)
        if ends is not None and ends < today:
            continue
        if run.categories and row.kind != LineKind.funds and row.category not in run.categories:
            continue
        if row.capacity - Decimal(row.committed) > 0 and _serves_run(row.regions, run_prefix):
            rows.append(row)
    return rows


def _budget_limits(rows: list[Any]) -> dict[int, float]:
    """Offer id → capacity limit from its contract's remaining budget, shared among the
    contract's offers in proportion to the value of their remaining capacity."""
    by_contract: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if row.contract_id is not None:
            by_contract[row.contract_id].append(row)
    if not by_contract:
        return {}
    figures = allocation_services.contract_figures(by_contract)
    budgets = dict(db.session.execute(
        select(Contract.id, Contract.budget).where(Contract.id.in_(list(by_contract)))).all())
    limits = {}
    for contract_id, offers in by_contract.items():
        left = budgets[contract_id] - figures[contract_id][0]
        value = sum((r.capacity - Decimal(r.committed)) * r.contract_price for r in offers)
        share = float(left / value) if value > 0 else 0.0
        for r in offers:
            remaining = float(r.capacity - Decimal(r.committed))
            limits[r.id] = max(min(remaining, remaining * share), 0.0)
    return limits


def _item(kind: str, goods_item_id: int | None, service_type_id: int | None) -> str | None:
    if kind == LineKind.goods and goods_item_id is not None:
        return f"g{goods_item_id}"
    if kind == LineKind.services and service_type_id is not None:
        return f"s{service_type_id}"
    return None


@dataclass(frozen=True, slots=True)
class _Profile:
    """What the edge loop reads of an offer, computed once per offer."""

    item: str | None
    qualifications: frozenset[str]
    groups: frozenset[str]
    valid_from: date
    ends: date | None
    base: str  # the provider's base as a prefix ("" when unknown)
    rating: float
    cost: float


def _profile(row: Any, rating: tuple[Decimal, int] | None, cost: float) -> _Profile:
    base = row.pickup_region_code or row.org_region
    return _Profile(
        item=_item(row.kind, row.goods_item_id, row.service_type_id),
        qualifications=frozenset(row.qualifications or ()),
        groups=frozenset(row.groups or ()), valid_from=row.valid_from,
        ends=min([d for d in (row.valid_until, row.expiry_date) if d is not None],
                 default=None),
        base=scope_prefix(base) if base else "", rating=rating_factor(rating), cost=cost)


def _level_fit(prefix: str) -> float:
    """Locality of an offer region (as a prefix) that covers the need."""
    return LOCALITY_FIT["county" if len(prefix) >= 6 else "prefecture" if len(prefix) == 4
                        else "province"]


def _line_edges(i: int, line: Any, found: dict[int, float], offers: list[_Profile],
                offer_ids: list[int]) -> list[Edge]:
    """The line's candidate edges: the offers ``found`` by kind, category and region (with the
    locality of the region that found them) that pass the remaining rules, best fit first, at
    most ``MAX_CANDIDATES``."""
    item = _item(line.kind, line.goods_item_id, line.service_type_id)
    requires = frozenset(line.requires or ())
    groups = frozenset(line.groups or ())
    county, prefecture = line.region_code[:6], line.region_code[:4]
    scored = []
    for j, local in found.items():
        o = offers[j]
        if (item is not None and item != o.item) or not requires <= o.qualifications or (
                o.groups and not groups & o.groups):
            continue
        if line.window_start is not None and o.ends is not None and o.ends < line.window_start:
            continue
        if line.window_end is not None and o.valid_from > line.window_end:
            continue
        if local < 1.0 and o.base:
            if len(o.base) >= 6 and o.base[:6] == county:
                local = 1.0
            elif len(o.base) >= 4 and o.base[:4] == prefecture:
                local = max(local, 0.8)
        fit = round(local * o.rating
                    * qualification_factor(len(o.qualifications - requires)), 4)
        # ties between equally fitting offers are broken by a hash of the pair, so that the
        # cap spreads lines over them instead of giving every line the same first offers
        scored.append((-fit, (offer_ids[j] * 2654435761 + line.id) % 4294967296, j, fit))
    if len(scored) > MAX_CANDIDATES:
        scored = heapq.nsmallest(MAX_CANDIDATES, scored)
    scored.sort(key=lambda t: t[2])  # offer order, as the engine's derived candidates
    return [Edge(need=i, offer=j, use=1.0, cost=offers[j].cost, fit=fit)
            for _, _, j, fit in scored]


def policy_of(run: MatchingRun) -> Policy:
    """The run's policy in the engine's terms (defaults for what the officer left out)."""
    p = run.policy or {}
    return Policy(time_limit_s=float(p.get("time_limit_s", 30.0)),
                  coverage_slack=float(p.get("coverage_slack", 0.01)),
                  balance_by="region" if p.get("balance", True) else "none")


#: Lines between two reports of the build's progress (a 50,000-line build takes 13 s alone).
PROGRESS_EVERY = 2000


def build(run: MatchingRun, today: date | None = None,
          progress: Callable[[float], None] | None = None) -> tuple[Problem, Index]:
    """The matching problem of ``run`` and the index back to the site's rows.

    ``progress(fraction)`` is told how far the build got (0–1): the queries take a tenth of
    the time, the candidates of each line the rest."""
    today = today or date.today()
    line_rows = _line_rows(run)
    offer_rows = _offer_rows(run, today)
    limits = _budget_limits(offer_rows)
    ratings = provider_ratings({r.organization_id for r in offer_rows})

    index = Index()
    offers: list[Offer] = []
    profiles: list[_Profile] = []  # parallel to ``offers``
    offer_ids: list[int] = []
    # (kind, category or "*" for unrestricted funds, region prefix or "") -> offer positions
    buckets: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for row in offer_rows:
        remaining = row.capacity - Decimal(row.committed)
        capacity = limits.get(row.id, float(remaining))
        if capacity <= 0:
            continue
        j = len(offers)
        categories = ([row.category] if row.kind != LineKind.funds
                      else list(row.categories or []) or ["*"])
        prefixes = [scope_prefix(code) for code in row.regions or []] or [""]
        for category in categories:
            for prefix in prefixes:
                buckets[(row.kind, category, prefix)].append(j)
        price = row.contract_price if row.contract_id is not None else row.unit_price
        offers.append(Offer(
            id=offer_key(row.id), kind=str(row.kind),
            category=categories[0] if len(categories) == 1 else "*",
            item=_item(row.kind, row.goods_item_id, row.service_type_id), capacity=capacity,
            regions=tuple(prefixes) if row.regions else (),
            qualifications=tuple(row.qualifications or ()), groups=tuple(row.groups or ()),
            unit_cost=float(price or 0), provider=str(row.organization_id)))
        profiles.append(_profile(row, ratings.get(row.organization_id), float(price or 0)))
        offer_ids.append(row.id)
        index.offers.append(OfferRef(row.id, row.organization_id, row.contract_id,
                                     price, remaining))

    needs: list[Need] = []
    edges: list[Edge] = []
    tell = progress or (lambda fraction: None)
    tell(0.1)
    for row in line_rows:
        i = len(needs)
        if i and i % PROGRESS_EVERY == 0:
            tell(0.1 + 0.9 * i / len(line_rows))
        region = row.region_code
        found: dict[int, float] = {}
        for category in (row.category, "*") if row.kind == LineKind.funds else (row.category,):
            for prefix in {"", region[:2], region[:4], region[:6], region[:9], region}:
                local = _level_fit(prefix)
                for j in buckets.get((row.kind, category, prefix), ()):
                    if found.get(j, 0.0) < local:
                        found[j] = local
        edges += _line_edges(i, row, found, profiles, offer_ids)
        remaining = row.quantity - Decimal(row.covered)
        needs.append(Need(
            id=need_key(row.id), kind=str(row.kind), category=row.category,
            item=_item(row.kind, row.goods_item_id, row.service_type_id),
            quantity=float(remaining), divisible=row.kind != LineKind.services,
            priority=priority(row.urgency, row.deadline, row.groups, today),
            region=row.county_code, groups=tuple(sorted(row.groups or ())),
            requires=tuple(row.requires or ()), household=str(row.household_id)))
        index.lines.append(LineRef(row.id, row.need_id, row.county_code, str(row.kind),
                                   remaining))
    return Problem(needs=tuple(needs), offers=tuple(offers), edges=tuple(edges),
                   policy=policy_of(run)), index


def _edge(problem: Problem, e: Edge) -> dict[str, Any]:
    """An edge without the fields at their defaults (use 1, cost = the offer's unit cost):
    a run has up to a million edges, and the page explaining one line reads them all."""
    offer = problem.offers[e.offer]
    edge: dict[str, Any] = {"need": problem.needs[e.need].id, "offer": offer.id, "fit": e.fit}
    if e.use != 1.0:
        edge["use"] = e.use
    if e.cost != offer.unit_cost:
        edge["cost"] = e.cost
    return edge


def problem_document(problem: Problem) -> dict[str, Any]:
    """The problem as a ``matching-problem/1`` JSON document (``parse_problem`` reads it)."""
    p = problem.policy
    return {
        "format": "matching-problem/1",
        "needs": [{"id": n.id, "kind": n.kind, "category": n.category, "item": n.item,
                   "quantity": n.quantity, "divisible": n.divisible, "priority": n.priority,
                   "region": n.region, "groups": list(n.groups), "requires": list(n.requires),
                   "household": n.household} for n in problem.needs],
        "offers": [{"id": o.id, "kind": o.kind, "category": o.category, "item": o.item,
                    "capacity": o.capacity, "regions": list(o.regions),
                    "qualifications": list(o.qualifications), "groups": list(o.groups),
                    "unit_cost": o.unit_cost, "provider": o.provider} for o in problem.offers],
        "edges": [_edge(problem, e) for e in problem.edges or ()],
        "policy": {"time_limit_s": p.time_limit_s, "coverage_slack": p.coverage_slack,
                   "balance_by": p.balance_by},
    }
