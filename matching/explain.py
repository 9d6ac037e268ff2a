"""Why a need got what it got: a structured explanation a caseworker can follow.

:func:`explain_need` returns data (codes, ids, numbers) so the web site can render its own
translated sentences; :meth:`NeedExplanation.describe` gives plain English for the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .candidates import candidate_edges
from .check import parse_result
from .evaluate import UNSERVED_RTOL, EdgeIndex, Result
from .problem import Need, Offer, Problem, ProblemError
from .reader import quote

UNITS = {"funds": "CNY", "goods": "units", "services": "hours"}
EXCLUDED_LISTED = 50  # excluded offers listed by id; all are counted

# candidate codes
SERVES = "serves"  # gave this need a positive quantity
NOT_NEEDED = "not_needed"  # the need was fully served by other offers
TOO_SMALL = "too_small"  # indivisible need larger than the offer's whole capacity
USED_ELSEWHERE = "used_elsewhere"  # its capacity went to other needs
TOO_LITTLE_LEFT = "too_little_left"  # indivisible need larger than what other needs left
NOT_CHOSEN = "not_chosen"  # had room, the engine preferred not to use it (balance, cost)


@dataclass
class OthersOnOffer:
    """The other needs an offer served, compared with the explained need."""

    needs: int = 0
    used: float = 0.0  # capacity they consumed, in the offer's unit
    higher_priority: int = 0
    equal_priority: int = 0
    lower_priority: int = 0
    better_fit: int = 0  # of the equal-or-lower-priority ones, served through a better fit


@dataclass
class CandidateExplanation:
    """One candidate offer of the need and what became of it."""

    offer: str
    provider: str | None
    code: str  # one of the module's candidate codes
    unit: str  # of capacity and remaining: the offer kind's unit
    capacity: float
    remaining: float  # capacity left unused by everyone
    use: float  # capacity per unit of need served through this edge
    fit: float
    cost: float
    given: float  # quantity of this need served through it
    others: OthersOnOffer


@dataclass
class ExcludedOffer:
    """An offer of the same kind and category that is not a candidate, and the rules why."""

    offer: str
    rules: list[str]  # "item", "region", "qualification", "group", "no_edge"
    missing_qualifications: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    item: str | None = None


@dataclass
class NeedExplanation:
    """Structured explanation of one need's outcome."""

    need: str
    kind: str
    category: str
    item: str | None
    unit: str
    quantity: float
    divisible: bool
    priority: float
    region: str
    household: str | None
    served: float
    outcome: str  # "served", "partial", "capacity", "no_candidate"
    allocations: list[tuple[str, float]]  # (offer id, quantity)
    candidates: list[CandidateExplanation]
    excluded: list[ExcludedOffer]  # at most EXCLUDED_LISTED
    excluded_count: int
    excluded_by_rule: dict[str, int]
    explicit_edges: bool

    def describe(self) -> str:
        """Plain-English account, several lines."""
        return "\n".join(_describe(self))

    def to_dict(self) -> dict[str, Any]:
        """The structure as plain JSON-ready values (for the web site or ``explain --json``)."""
        return asdict(self)


def _fmt(v: float) -> str:
    """A quantity for people: thousands separated, at most two decimals (1,185,200; 0.5)."""
    text = f"{v:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _head(e: NeedExplanation) -> str:
    what = e.category + (f", item {e.item}" if e.item else "")
    whole = "" if e.divisible else ", indivisible"
    outcome = {
        "served": "fully served",
        "partial": "partly served",
        "capacity": "not served: compatible offers exist but their capacity was used elsewhere",
        "no_candidate": "not served: no compatible offer",
    }[e.outcome]
    return (f"Need {e.need} ({e.kind}: {what}; {_fmt(e.quantity)} {e.unit}{whole}; priority "
            f"{_fmt(e.priority)}; region {e.region}): {outcome}.")


def _others_text(o: OthersOnOffer) -> str:
    parts = [f"{o.higher_priority} with higher priority"] if o.higher_priority else []
    if o.equal_priority:
        parts.append(f"{o.equal_priority} with equal priority")
    if o.lower_priority:
        parts.append(f"{o.lower_priority} with lower priority")
    tail = f" ({', '.join(parts)})" if parts else ""
    fit = f"; {o.better_fit} of them with a better fit" if o.better_fit else ""
    noun = "need" if o.needs == 1 else "needs"
    return f"{o.needs} other {noun}{tail}{fit}"


def _candidate_text(e: NeedExplanation, c: CandidateExplanation) -> str:
    u, ou = e.unit, c.unit  # need quantities in the need's unit, capacity in the offer's
    who = f"{c.offer}" + (f" (provider {c.provider})" if c.provider else "")
    need_use = e.quantity * c.use
    if c.code == SERVES:
        text = f"{who}: gave {_fmt(c.given)} {u} to this need"
        if c.others.needs and e.served < e.quantity:
            text += (f"; {_fmt(c.others.used)} {ou} of its capacity went to "
                     f"{_others_text(c.others)}")
        return text + "."
    if c.code == NOT_NEEDED:
        return f"{who}: not needed, the need was served by other offers."
    if c.code == TOO_SMALL:
        return (f"{who}: its whole capacity of {_fmt(c.capacity)} {ou} is less than the "
                f"{_fmt(need_use)} {ou} this need takes at once.")
    if c.code == USED_ELSEWHERE:
        return f"{who}: all {_fmt(c.capacity)} {ou} went to {_others_text(c.others)}."
    if c.code == TOO_LITTLE_LEFT:
        return (f"{who}: only {_fmt(c.remaining)} of {_fmt(c.capacity)} {ou} left after "
                f"{_others_text(c.others)}; this need takes {_fmt(need_use)} {ou} at once.")
    return (f"{who}: {_fmt(c.remaining)} {ou} left unused; the allocation preferred not to use "
            "it here (balance between regions or cost).")


def _excluded_text(x: ExcludedOffer) -> str:
    why = []
    for rule in x.rules:
        if rule == "region":
            why.append(f"serves other regions ({', '.join(x.regions)})")
        elif rule == "qualification":
            why.append(f"lacks qualification {', '.join(x.missing_qualifications)}")
        elif rule == "group":
            why.append(f"restricted to groups {', '.join(x.groups)}")
        elif rule == "item":
            why.append(f"offers item {x.item}")
        else:
            why.append("no edge to this need in the problem")
    return f"{x.offer}: {'; '.join(why)}."


def _describe(e: NeedExplanation) -> list[str]:
    lines = [_head(e), f"Served {_fmt(e.served)} of {_fmt(e.quantity)} {e.unit}."]
    if e.allocations:
        lines.append("Served by: " + ", ".join(f"{o} ({_fmt(q)} {e.unit})"
                                               for o, q in e.allocations) + ".")
    lines.append(f"Candidate offers: {len(e.candidates)}.")
    lines += [f"  - {_candidate_text(e, c)}" for c in e.candidates]
    if e.excluded_count:
        rules = ", ".join(f"{k} {v}" for k, v in sorted(e.excluded_by_rule.items()))
        lines.append(f"Offers of the same kind and category that cannot serve it: "
                     f"{e.excluded_count} (by rule: {rules}).")
        lines += [f"  - {_excluded_text(x)}" for x in e.excluded]
        if e.excluded_count > len(e.excluded):
            lines.append(f"  ... and {e.excluded_count - len(e.excluded)} more.")
    return lines


def _exclusion(need: Need, offer: Offer) -> ExcludedOffer:
    """Which compatibility rules keep ``offer`` (same kind and category) from ``need``."""
    x = ExcludedOffer(offer=offer.id, rules=[])
    if need.item is not None and offer.item is not None and need.item != offer.item:
        x.rules.append("item")
        x.item = offer.item
    if offer.regions and not any(need.region.startswith(r) for r in offer.regions):
        x.rules.append("region")
        x.regions = list(offer.regions)
    missing = [r for r in need.requires if r not in offer.qualifications]
    if missing:
        x.rules.append("qualification")
        x.missing_qualifications = missing
    if offer.groups and not set(offer.groups) & set(need.groups):
        x.rules.append("group")
        x.groups = list(offer.groups)
    return x


def explain_need(problem: Problem, result: Result | Mapping, need_id: str,
                 cands: Any = None) -> NeedExplanation:
    """Explain how need ``need_id`` fared in ``result`` (a :class:`Result` or result document).

    Allocations that name unknown ids or non-candidate edges are ignored (``check`` reports
    them). Raises :class:`ProblemError` for an unknown need id or a malformed result document.
    """
    res = result if isinstance(result, Result) else parse_result(result)
    i = problem.need_index.get(need_id)
    if i is None:
        raise ProblemError(f"need {quote(need_id)} is not the id of a need")
    if cands is None:
        cands = candidate_edges(problem)
    need = problem.needs[i]
    nidx, oidx = problem.need_index, problem.offer_index
    ni = np.fromiter((nidx.get(a.need, -1) for a in res.allocations), dtype=np.int64,
                     count=len(res.allocations))
    oi = np.fromiter((oidx.get(a.offer, -1) for a in res.allocations), dtype=np.int64,
                     count=len(res.allocations))
    x = np.fromiter((a.quantity for a in res.allocations), dtype=np.float64,
                    count=len(res.allocations))
    pos = EdgeIndex(problem, cands).find(ni, oi)
    ok = (ni >= 0) & (oi >= 0) & (pos >= 0) & (x > 0)
    ni, oi, x, pos = ni[ok], oi[ok], x[ok], pos[ok]

    lo, hi = int(cands.starts[i]), int(cands.starts[i + 1])
    cand_offers = cands.offer[lo:hi]
    on_cand = np.isin(oi, cand_offers)  # allocations touching one of the need's offers
    a_n, a_o, a_x, a_pos = ni[on_cand], oi[on_cand], x[on_cand], pos[on_cand]
    order = np.argsort(a_o, kind="stable")  # group by offer: one slice per candidate offer
    a_n, a_o, a_x, a_pos = a_n[order], a_o[order], a_x[order], a_pos[order]
    a_used = a_x * cands.use[a_pos]
    served = float(x[ni == i].sum())
    full = served >= need.quantity * (1 - UNSERVED_RTOL)

    candidates = []
    for k in range(lo, hi):
        o = int(cands.offer[k])
        offer = problem.offers[o]
        s = slice(int(np.searchsorted(a_o, o)), int(np.searchsorted(a_o, o, side="right")))
        s_n, s_x, s_pos, s_used = a_n[s], a_x[s], a_pos[s], a_used[s]
        theirs = s_n != i
        given = float(s_x[~theirs].sum())
        remaining = offer.capacity - float(s_used.sum())
        others = _others(problem, cands, need, float(cands.fit[k]), s_n[theirs],
                         s_pos[theirs], s_used[theirs])
        use = float(cands.use[k])
        code = _code(need, offer, given, full, remaining, use)
        candidates.append(CandidateExplanation(
            offer=offer.id, provider=offer.provider, code=code, unit=UNITS[offer.kind],
            capacity=offer.capacity,
            remaining=max(remaining, 0.0), use=use, fit=float(cands.fit[k]),
            cost=float(cands.cost[k]), given=given, others=others))

    excluded, count, by_rule = _excluded(problem, need, set(cand_offers.tolist()))
    if full:
        outcome = "served"
    elif served > 0:
        outcome = "partial"
    else:
        outcome = "capacity" if hi > lo else "no_candidate"
    allocations = [(problem.offers[int(o)].id, float(q))
                   for o, q in zip(oi[ni == i], x[ni == i], strict=True)]
    return NeedExplanation(
        need=need.id, kind=need.kind, category=need.category, item=need.item,
        unit=UNITS[need.kind], quantity=need.quantity, divisible=need.divisible,
        priority=need.priority, region=need.region, household=need.household, served=served,
        outcome=outcome, allocations=allocations, candidates=candidates, excluded=excluded,
        excluded_count=count, excluded_by_rule=by_rule,
        explicit_edges=problem.edges is not None)


def _code(need: Need, offer: Offer, given: float, full: bool, remaining: float,
          use: float) -> str:
    if given > 0:
        return SERVES
    if full:
        return NOT_NEEDED
    need_use = need.quantity * use
    tol = offer.capacity * UNSERVED_RTOL
    if not need.divisible and offer.capacity + tol < need_use:
        return TOO_SMALL
    if remaining <= tol:
        return USED_ELSEWHERE
    if not need.divisible and remaining + tol < need_use:
        return TOO_LITTLE_LEFT
    return NOT_CHOSEN


def _others(problem: Problem, cands: Any, need: Need, fit: float, others: np.ndarray,
            pos: np.ndarray, used: np.ndarray) -> OthersOnOffer:
    if others.size == 0:
        return OthersOnOffer()
    prio = np.fromiter((problem.needs[j].priority for j in others.tolist()), dtype=np.float64,
                       count=others.size)
    # one need may draw on an offer once (one entry per pair), so entries count needs
    fits = cands.fit[pos]
    return OthersOnOffer(
        needs=int(np.unique(others).size), used=float(used.sum()),
        higher_priority=int((prio > need.priority).sum()),
        equal_priority=int((prio == need.priority).sum()),
        lower_priority=int((prio < need.priority).sum()),
        better_fit=int(((prio <= need.priority) & (fits > fit)).sum()))


def _excluded(problem: Problem, need: Need, candidates: set[int]
              ) -> tuple[list[ExcludedOffer], int, dict[str, int]]:
    listed: list[ExcludedOffer] = []
    count = 0
    by_rule: dict[str, int] = {}
    for j, offer in enumerate(problem.offers):
        if j in candidates or offer.kind != need.kind or offer.category != need.category:
            continue
        if problem.edges is not None:  # explicit edges: the attributes do not matter
            x = ExcludedOffer(offer=offer.id, rules=["no_edge"])
        else:
            x = _exclusion(need, offer)
        if not x.rules:  # compatible by the rules yet not a candidate: cannot happen
            continue
        count += 1
        for rule in x.rules:
            by_rule[rule] = by_rule.get(rule, 0) + 1
        if len(listed) < EXCLUDED_LISTED:
            listed.append(x)
    return listed, count, by_rule
