"""The scalable path: lexicographic LP over need classes, then rounding and repair.

Used for large problems and for any problem with divisible needs. The LP (see ``_lp.py``) is
exact for divisible needs; for indivisible ones it is a relaxation, so its coverage optimum is
the proven upper bound reported, and the rounding loss is measured against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._classes import build_classes
from ._common import Arrays, Budget, Progress, coverage_floor, coverage_of, group_shares, report
from ._lp import ClassLP
from ._repair import repack
from ._rounding import disaggregate, make_exact, repair

# Share of the remaining time each LP level may take (the rest carries over).
LEVEL_SHARE = {"coverage": 0.45, "balance": 0.6, "cost": 0.8}
# Relative tolerance when a level's optimum becomes a floor for the next level.
FLOOR_RTOL = 1e-7
# Cost-level re-solves with a coverage margin for the rounding loss, and the share of the total
# budget that must still be left to start one.
MARGIN_ROUNDS = 3
MARGIN_TIME_LEFT = 0.4
MARGIN_FACTOR = 1.1  # margin per unit of measured loss
MARGIN_BUFFER = 0.05  # share of the slack kept on top of the measured loss


@dataclass
class Outcome:
    """What a solve path returns: per-edge quantities, proof status and bound, statistics."""

    x: np.ndarray
    optimal: bool
    bound: float | None
    stats: dict = field(default_factory=dict)


def solve_relaxed(cands, a: Arrays, slack: float, balance: bool, budget: Budget,
                  progress: Progress) -> Outcome:
    """Lexicographic LP on classes, then disaggregate, round and repair."""
    stats: dict = {"method": "class-lp"}
    n_edges = len(cands)
    classes = build_classes(cands, a.q, a.p, a.group, a.divisible)
    stats["classes"] = len(classes)
    if not classes:
        return Outcome(np.zeros(n_edges), True, 0.0, stats)
    lp = ClassLP(classes, a.capacity, len(a.group_names), a.group_priority)
    stats["lp_columns"] = lp.solver.NumVariables()
    report(progress, "coverage", 0.15)

    proven = []
    status, c_lp = lp.coverage(budget.share(LEVEL_SHARE["coverage"]))
    proven.append(status is True)
    if status is None:  # no LP solution in time: fall back to repair alone
        stats["lp"] = "no solution in time"
        return _finish(np.zeros(n_edges), cands, a, balance, False, None, stats, None)
    z = lp.values()
    bound = c_lp * (1 + 1e-9) + 1e-9 if status else None
    stats["lp_coverage"] = c_lp
    floor_c = coverage_floor(c_lp, slack)
    # Rounding indivisible needs loses coverage; later levels keep a margin above the floor for
    # it, first as measured on the coverage optimum (the loss is about the same at every level),
    # plus a small buffer, since the measurement only uses the greedy repair.
    margin = 0.0
    room = c_lp - floor_c
    aim = floor_c + MARGIN_BUFFER * room
    if not a.divisible.all() and room > 0:
        loss = c_lp - _rounded_coverage(classes, z, cands, a, balance, c_lp)
        if loss > 0:
            margin = min(loss * MARGIN_FACTOR + MARGIN_BUFFER * room, room)
        stats["rounding_loss"] = loss
        stats["seconds_coverage_level"] = round(budget.elapsed(), 2)

    has_cost = any(np.any(cl.cost != 0) for cl in classes)
    for step in range(MARGIN_ROUNDS):
        z_level, levels_proven = _later_levels(lp, floor_c + margin, balance, has_cost, a,
                                               budget, stats, progress)
        z = z if z_level is None else z_level
        proven += levels_proven if step == 0 else []
        if margin == 0.0:
            break
        stats["coverage_margin"] = margin
        if margin >= room or budget.left() < budget.limit * MARGIN_TIME_LEFT:
            break
        short = aim - _rounded_coverage(classes, z, cands, a, balance, aim)
        if short <= 0:
            break
        margin = min(margin + short * MARGIN_FACTOR, room)
    if (balance and len(a.group_names) > 1 and not a.divisible.all()
            and budget.left() >= budget.limit * MARGIN_TIME_LEFT):
        z = _region_margins(lp, classes, z, cands, a, floor_c + margin, aim, has_cost, budget,
                            stats)
    report(progress, "rounding", 0.85)
    stats["seconds_lp_levels"] = round(budget.elapsed(), 2)
    x = disaggregate(classes, z, cands, a.q, n_edges)
    exact = bool(np.all(a.divisible)) and all(proven)
    return _finish(x, cands, a, balance, exact, bound, stats, aim, budget,
                   class_values(classes, z, len(a.q)))


def _later_levels(lp: ClassLP, floor_c: float, balance: bool, has_cost: bool, a: Arrays,
                  budget: Budget, stats: dict, progress: Progress):
    """Balance, then cost, keeping coverage >= ``floor_c``; returns (z or None, proof flags)."""
    z = None
    proven = []
    b_lp = None
    if balance and len(a.group_names) > 1 and budget.left() > 0:
        report(progress, "balance", 0.4)
        status, b_lp = lp.balance(floor_c, budget.share(LEVEL_SHARE["balance"]))
        proven.append(status is True)
        if status is not None:
            z = lp.values()
            stats.update(lp_balance=b_lp, lp_balance_at_coverage=floor_c)
        else:
            b_lp = None
    if has_cost and budget.left() > 0:
        report(progress, "cost", 0.65)
        floor_b = 0.0 if b_lp is None else max(0.0, b_lp - FLOOR_RTOL * max(b_lp, 1e-9))
        status, k_lp = lp.cost(floor_c, floor_b, budget.share(LEVEL_SHARE["cost"]))
        proven.append(status is True)
        if status is not None:
            z = lp.values()
            stats["lp_cost"] = k_lp
    elif has_cost:
        proven.append(False)
    return z, proven


def _rounded(classes, z, cands, a: Arrays, balance: bool, aim: float) -> np.ndarray:
    """Disaggregate ``z``, round, and repair greedily up to coverage ``aim``."""
    x = make_exact(disaggregate(classes, z, cands, a.q, len(cands)), cands, a.q, a.capacity,
                   a.divisible)
    missing = aim - coverage_of(x, cands, a)
    if missing > 0:
        x = repair(x, cands, a.q, a.p, a.capacity, a.divisible,
                   repair_order(x, cands, a, balance), need_gain=missing)
        x = make_exact(x, cands, a.q, a.capacity, a.divisible)
    return x


def _rounded_coverage(classes, z, cands, a: Arrays, balance: bool, aim: float) -> float:
    """Coverage after :func:`_rounded`."""
    return coverage_of(_rounded(classes, z, cands, a, balance, aim), cands, a)


def _region_margins(lp: ClassLP, classes, z, cands, a: Arrays, level: float, aim: float,
                    has_cost: bool, budget: Budget, stats: dict) -> np.ndarray:
    """One more balance and cost round in which each region's balance row asks for the coverage
    rounding took from that region (its LP value less its rounded value): rounding losses fall
    unevenly, and the worst-hit region decides the balance. Kept only when the rounded balance
    improves and coverage stays at ``aim``."""
    n_groups = len(a.group_names)
    x = _rounded(classes, z, cands, a, True, aim)
    before = float(group_shares(x, cands, a).min())
    lp_value = np.bincount(a.group, weights=class_values(classes, z, len(a.q)),
                           minlength=n_groups)
    got = np.bincount(a.group[cands.need], weights=a.p[cands.need] * cands.fit
                      / a.q[cands.need] * x, minlength=n_groups)
    lp.set_group_margins(np.maximum(lp_value - got, 0.0))
    z_new, _ = _later_levels(lp, level, True, has_cost, a, budget, {}, None)
    lp.set_group_margins(None)
    if z_new is None:
        return z
    x_new = _rounded(classes, z_new, cands, a, True, aim)
    after = float(group_shares(x_new, cands, a).min())
    stats["region_margins"] = {"balance_before": before, "balance_after": after}
    if after > before and coverage_of(x_new, cands, a) >= min(aim, coverage_of(x, cands, a)):
        return z_new
    return z


def class_values(classes, z: np.ndarray, n_needs: int) -> np.ndarray:
    """The coverage the LP quantities ``z`` give each class, booked on the class's first need
    (its best value per unit first, as disaggregation fills it)."""
    out = np.zeros(n_needs)
    pos = 0
    for cl in classes:
        k = len(cl.offers)
        zc = z[pos:pos + k]
        pos += k
        if cl.const_fit:
            filled = np.clip(zc.sum() - np.r_[0.0, np.cumsum(cl.seg_amount)[:-1]], 0.0,
                             cl.seg_amount)
            out[cl.needs[0]] += float(cl.fit[0]) * float(filled @ cl.seg_value)
        else:  # one value per unit (classes with varying fit are split by value)
            out[cl.needs[0]] += float(cl.seg_value[0]) * min(float(zc @ cl.fit),
                                                            float(cl.seg_amount[0]))
    return out


def _finish(x, cands, a: Arrays, balance: bool, exact: bool, bound, stats,
            floor_c: float | None, budget: Budget | None = None,
            target: np.ndarray | None = None) -> Outcome:
    """Make ``x`` exactly feasible, hand leftover capacity out, and package the outcome.

    Rounding indivisible needs loses coverage. A greedy repair first lifts coverage to its floor
    through any edge, worst-served regions first (the worst region decides the balance); then the
    components of indivisible needs are re-packed exactly (``_repair.repack``: up to the LP's
    value, further only while coverage is still under its floor); what is left goes out through
    free edges only (cost <= 0 cannot hurt any level): past the floor, coverage bought at a cost
    would break the cost level.
    """
    x = make_exact(x, cands, a.q, a.capacity, a.divisible)
    before = coverage_of(x, cands, a)
    x = _lift_to(x, floor_c, cands, a, balance)
    if budget is not None and target is not None and not a.divisible.all():
        missing = np.inf if floor_c is None else floor_c - coverage_of(x, cands, a)
        x = repack(x, cands, a, target, budget, missing, stats)
        x = _lift_to(make_exact(x, cands, a.q, a.capacity, a.divisible), floor_c, cands, a,
                     balance)
    x = repair(x, cands, a.q, a.p, a.capacity, a.divisible, repair_order(x, cands, a, balance),
               free_only=True)
    x = make_exact(x, cands, a.q, a.capacity, a.divisible)
    stats["repair_gain"] = coverage_of(x, cands, a) - before
    return Outcome(x, exact, bound, stats)


def _lift_to(x: np.ndarray, floor_c: float | None, cands, a: Arrays,
             balance: bool) -> np.ndarray:
    """Greedy repair through any edge until coverage reaches ``floor_c`` (None: as far as it
    goes)."""
    missing = np.inf if floor_c is None else floor_c - coverage_of(x, cands, a)
    if missing <= 0:
        return x
    x = repair(x, cands, a.q, a.p, a.capacity, a.divisible, repair_order(x, cands, a, balance),
               need_gain=None if floor_c is None else missing)
    return make_exact(x, cands, a.q, a.capacity, a.divisible)


def repair_order(x: np.ndarray, cands, a: Arrays, balance: bool) -> np.ndarray:
    """Needs in the order repair serves them: worst-served group first when balancing, then
    value per unit (priority / quantity), best first."""
    ratio = a.p / a.q
    if balance and len(a.group_names) > 1:
        share = group_shares(x, cands, a)
        return np.lexsort((-ratio, share[a.group]))
    return np.argsort(-ratio, kind="stable")


def polish(x: np.ndarray, cands, a: Arrays, balance: bool) -> np.ndarray:
    """Make a solver's ``x`` exactly feasible and give leftovers through free edges only."""
    x = make_exact(x, cands, a.q, a.capacity, a.divisible)
    x = repair(x, cands, a.q, a.p, a.capacity, a.divisible, repair_order(x, cands, a, balance),
               free_only=True)
    return make_exact(x, cands, a.q, a.capacity, a.divisible)
