"""Read and validate ``matching-problem/1`` documents (shared/specs/matching-format.md).

Every defect raises :class:`~matching.problem.ProblemError` with one line naming the entry and
the field, e.g. ``needs[17] (id "N18"): quantity must be a positive finite number, got -3``.
Nothing else escapes: the CLI prints ``error: <message>`` and exits 2.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .problem import BALANCE_BY, KINDS, Edge, Need, Offer, Policy, Problem, ProblemError

PROBLEM_FORMAT = "matching-problem/1"
_INF = math.inf
_NUM = (int, float)  # bool is a subclass of int: excluded explicitly where numbers are read
_DIVISIBLE_DEFAULT = {"funds": True, "goods": True, "services": False}


def show(value: Any) -> str:
    """Render a JSON value for an error message: short, one line, never raising."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (ValueError, TypeError, OverflowError):
        text = type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def quote(text: str) -> str:
    """Quote an id for a message (escapes newlines so the message stays one line)."""
    return show(text)


class _Where:
    """Message prefix of an entry, e.g. ``needs[17] (id "N18")``, rendered only on error.

    Building the prefix eagerly (quoting ids with ``json.dumps``) cost more than the whole
    validation of a 200,000-need problem.
    """

    __slots__ = ("section", "index", "keys")

    def __init__(self, section: str, index: int, keys: tuple[tuple[str, Any], ...]) -> None:
        self.section, self.index, self.keys = section, index, keys

    def __format__(self, spec: str) -> str:
        inner = ", ".join(f"{label} {quote(value)}" for label, value in self.keys)
        return f"{self.section}[{self.index}] ({inner})"

    __str__ = __format__  # type: ignore[assignment]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects that hold no cycles.

    With millions of live objects every generation-2 pass walks them all; creating hundreds of
    thousands of entries would trigger many such passes for nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _finite(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a finite JSON number (or a bool)."""
    if value.__class__ not in _NUM:  # rejects bool, str, None, containers, subclasses
        return None
    try:
        f = float(value)
    except OverflowError:  # integers beyond float range
        return None
    return f if -_INF < f < _INF else None


def _positive(value: Any, where: str, field: str) -> float:
    f = _finite(value)
    if f is None or f <= 0:
        raise ProblemError(f"{where}: {field} must be a positive finite number, got {show(value)}")
    return f


def _string(value: Any, where: str, field: str) -> str:
    if value.__class__ is not str:
        raise ProblemError(f"{where}: {field} must be a string, got {show(value)}")
    return value


def _opt_string(obj: dict, where: str, field: str) -> str | None:
    value = obj.get(field)
    if value is None or value.__class__ is str:
        return value
    raise ProblemError(f"{where}: {field} must be a string or null, got {show(value)}")


def _strings(obj: dict, where: str, field: str) -> tuple[str, ...]:
    value = obj.get(field)
    if value is None:
        return ()
    if value.__class__ is not list:
        raise ProblemError(f"{where}: {field} must be a list of strings, got {show(value)}")
    for k, item in enumerate(value):
        if item.__class__ is not str:
            raise ProblemError(
                f"{where}: {field}[{k}] must be a string, got {show(item)}")
    return tuple(value)


def _require(obj: dict, where: str, field: str) -> Any:
    if field not in obj:
        raise ProblemError(f'{where}: missing required field "{field}"')
    return obj[field]


def _entry(section: str, i: int, obj: Any) -> _Where:
    """Validate that entry ``i`` is an object with a string id; return its message prefix."""
    where = f"{section}[{i}]"
    if obj.__class__ is not dict:
        raise ProblemError(f"{where}: must be an object, got {show(obj)}")
    ident = _require(obj, where, "id")
    if ident.__class__ is not str or not ident:
        raise ProblemError(f"{where}: id must be a non-empty string, got {show(ident)}")
    return _Where(section, i, (("id", ident),))


def _kind_category_item(obj: dict, where: str) -> tuple[str, str, str | None]:
    kind = _require(obj, where, "kind")
    if kind.__class__ is not str or kind not in KINDS:
        allowed = ", ".join(f'"{k}"' for k in KINDS)
        raise ProblemError(f"{where}: kind must be one of {allowed}, got {show(kind)}")
    category = _string(_require(obj, where, "category"), where, "category")
    return kind, category, _opt_string(obj, where, "item")


def _need(i: int, obj: Any) -> Need:
    where = _entry("needs", i, obj)
    kind, category, item = _kind_category_item(obj, where)
    quantity = _positive(_require(obj, where, "quantity"), where, "quantity")
    divisible = obj.get("divisible")
    if divisible is None:
        divisible = _DIVISIBLE_DEFAULT[kind]
    elif divisible.__class__ is not bool:
        raise ProblemError(f"{where}: divisible must be true or false, got {show(divisible)}")
    priority = obj.get("priority")
    priority = 1.0 if priority is None else _positive(priority, where, "priority")
    region = _string(_require(obj, where, "region"), where, "region")
    return Need(
        id=obj["id"], kind=kind, category=category, item=item, quantity=quantity,
        divisible=divisible, priority=priority, region=region,
        groups=_strings(obj, where, "groups"), requires=_strings(obj, where, "requires"),
        household=_opt_string(obj, where, "household"),
    )


def _offer(i: int, obj: Any) -> Offer:
    where = _entry("offers", i, obj)
    kind, category, item = _kind_category_item(obj, where)
    capacity = _positive(_require(obj, where, "capacity"), where, "capacity")
    unit_cost = obj.get("unit_cost")
    if unit_cost is None:
        unit_cost = 0.0
    else:
        f = _finite(unit_cost)
        if f is None or f < 0:
            raise ProblemError(
                f"{where}: unit_cost must be a finite number >= 0, got {show(unit_cost)}")
        unit_cost = f
    return Offer(
        id=obj["id"], kind=kind, category=category, item=item, capacity=capacity,
        regions=_strings(obj, where, "regions"),
        qualifications=_strings(obj, where, "qualifications"),
        groups=_strings(obj, where, "groups"), unit_cost=unit_cost,
        provider=_opt_string(obj, where, "provider"),
    )


def _index(section: str, items: tuple) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, item in enumerate(items):
        first = index.setdefault(item.id, i)
        if first != i:
            raise ProblemError(
                f"{section}[{i}] (id {quote(item.id)}): duplicate id, also {section}[{first}]")
    return index


def _edge_ids(i: int, obj: Any, needs: dict[str, int], offers: dict[str, int]) -> None:
    """Raise the error of an edge whose need or offer is missing or unknown."""
    where = f"edges[{i}]"
    if obj.__class__ is not dict:
        raise ProblemError(f"{where}: must be an object, got {show(obj)}")
    need_id = _require(obj, where, "need")
    if need_id.__class__ is not str or need_id not in needs:
        raise ProblemError(f"{where}: need {show(need_id)} is not the id of a need")
    offer_id = _require(obj, where, "offer")
    raise ProblemError(f"{where}: offer {show(offer_id)} is not the id of an offer")


def _edge_value(i: int, obj: dict, name: str) -> float:
    """Validate an edge's use, cost or fit off the fast path (ints, defaults and errors)."""
    where = _Where("edges", i, (("need", obj["need"]), ("offer", obj["offer"])))
    value = obj[name]
    if name == "use":
        return _positive(value, where, "use")
    f = _finite(value)
    if name == "cost":
        if f is None:
            raise ProblemError(f"{where}: cost must be a finite number, got {show(value)}")
        return f
    if f is None or not 0.0 < f <= 1.0:
        raise ProblemError(f"{where}: fit must be a number in (0, 1], got {show(value)}")
    return f


def _edges(raw: list, needs: dict[str, int], offers: dict[str, int],
           offer_list: tuple[Offer, ...]) -> tuple[Edge, ...]:
    """Validate explicit edges.

    Hot loop (problems carry millions of edges): floats in range take a fast inline path,
    everything else goes through ``_edge_value``; duplicates are found afterwards with numpy.
    """
    unit_cost = [o.unit_cost for o in offer_list]
    need_get, offer_get = needs.get, offers.get
    inf, flt = _INF, float
    out: list[Edge] = []
    append = out.append
    for i, obj in enumerate(raw):
        try:
            ni = need_get(obj["need"])
            oi = offer_get(obj["offer"])
        except (KeyError, TypeError):  # not a dict, missing field, unhashable id
            ni = oi = None
        if ni is None or oi is None:
            _edge_ids(i, obj, needs, offers)
        use = obj.get("use")
        if use.__class__ is not flt or not 0.0 < use < inf:
            use = 1.0 if use is None else _edge_value(i, obj, "use")
        cost = obj.get("cost")
        if cost.__class__ is not flt or not -inf < cost < inf:
            cost = unit_cost[oi] if cost is None else _edge_value(i, obj, "cost")
        fit = obj.get("fit")
        if fit.__class__ is not flt or not 0.0 < fit <= 1.0:
            fit = 1.0 if fit is None else _edge_value(i, obj, "fit")
        append(Edge(ni, oi, use, cost, fit))
    _no_duplicate_edges(out, raw, len(offer_list))
    return tuple(out)


def _no_duplicate_edges(edges: list[Edge], raw: list, n_offers: int) -> None:
    """Raise on the first edge repeating an earlier (need, offer) pair."""
    if len(edges) < 2:
        return
    keys = (np.fromiter((e.need for e in edges), dtype=np.int64, count=len(edges))
            * max(n_offers, 1)
            + np.fromiter((e.offer for e in edges), dtype=np.int64, count=len(edges)))
    order = np.argsort(keys, kind="stable")
    same = keys[order[1:]] == keys[order[:-1]]
    if not same.any():
        return
    i = int(order[1:][same].min())  # the earliest edge that repeats a pair
    first = int(np.flatnonzero(keys == keys[i])[0])
    where = _Where("edges", i, (("need", raw[i]["need"]), ("offer", raw[i]["offer"])))
    raise ProblemError(f"{where}: duplicate edge, also edges[{first}]")


def _policy(raw: Any) -> Policy:
    if raw is None:
        return Policy()
    if raw.__class__ is not dict:
        raise ProblemError(f"policy: must be an object, got {show(raw)}")
    default = Policy()
    limit = raw.get("time_limit_s")
    limit = default.time_limit_s if limit is None else _positive(limit, "policy", "time_limit_s")
    slack = raw.get("coverage_slack")
    if slack is None:
        slack = default.coverage_slack
    else:
        f = _finite(slack)
        if f is None or not 0.0 <= f <= 1.0:
            raise ProblemError(
                f"policy: coverage_slack must be a number in [0, 1], got {show(slack)}")
        slack = f
    balance_by = raw.get("balance_by", default.balance_by)
    if balance_by.__class__ is not str or balance_by not in BALANCE_BY:
        allowed = ", ".join(f'"{b}"' for b in BALANCE_BY)
        raise ProblemError(f"policy: balance_by must be one of {allowed}, got {show(balance_by)}")
    return Policy(time_limit_s=limit, coverage_slack=slack, balance_by=balance_by)


def _section(obj: dict, field: str, required: bool) -> list | None:
    if field not in obj or (obj[field] is None and not required):
        if required:
            raise ProblemError(f'missing required field "{field}"')
        return None
    value = obj[field]
    if value.__class__ is not list:
        raise ProblemError(f"{field}: must be an array, got {show(value)}")
    return value


def parse_problem(obj: Any) -> Problem:
    """Validate a decoded JSON value and return the :class:`Problem`, defaults applied.

    Raises :class:`ProblemError` (one-line message) on any defect; never anything else.
    """
    if obj.__class__ is not dict:
        raise ProblemError(f"top level must be a JSON object, got {show(obj)}")
    if "format" not in obj:
        raise ProblemError(f'missing required field "format" (expected "{PROBLEM_FORMAT}")')
    if obj["format"] != PROBLEM_FORMAT or obj["format"].__class__ is not str:
        raise ProblemError(f'unknown format {show(obj["format"])} (expected "{PROBLEM_FORMAT}")')
    raw_needs = _section(obj, "needs", True)
    raw_offers = _section(obj, "offers", True)
    raw_edges = _section(obj, "edges", False)
    with gc_paused():
        needs = tuple(_need(i, n) for i, n in enumerate(raw_needs))
        offers = tuple(_offer(i, o) for i, o in enumerate(raw_offers))
        need_index = _index("needs", needs)
        offer_index = _index("offers", offers)
        edges = None if raw_edges is None else _edges(raw_edges, need_index, offer_index, offers)
    policy = _policy(obj.get("policy"))
    return Problem(needs=needs, offers=offers, edges=edges, policy=policy,
                   need_index=need_index, offer_index=offer_index)


def load_json(path: str | Path, what: str = "problem") -> Any:
    """Read and decode a JSON file; every failure becomes a one-line :class:`ProblemError`."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        where = json.dumps(str(path), ensure_ascii=False)  # a path is shown whole
        raise ProblemError(f"cannot read {what} file {where}: {exc.strerror}") from None
    try:
        with gc_paused():  # decoding builds millions of containers
            return json.loads(data)
    except json.JSONDecodeError as exc:
        raise ProblemError(
            f"{what} file is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from None
    except UnicodeDecodeError:
        raise ProblemError(f"{what} file is not valid JSON: not UTF-8 text") from None
    except RecursionError:
        raise ProblemError(f"{what} file is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. integers longer than Python's digit limit
        msg = str(exc).splitlines()[0] if str(exc) else "unreadable value"
        raise ProblemError(f"{what} file is not valid JSON: {msg}") from None


def read_problem(path: str | Path) -> Problem:
    """Read, decode and validate a problem file (see :func:`parse_problem`)."""
    return parse_problem(load_json(path, "problem"))
