"""One county's year of activity as plain rows: offers, contracts, allocations, deliveries,
payments, feedback, fulfilment times and audit events (see :mod:`marketplace.scale.activity`).

Pure Python over the county's needs and lines (read by the caller) and a ``random.Random``, so
a seed reproduces the rows. The rules that keep the data consistent with the needs:

- a need's lines keep their status: a ``covered`` line gets committing allocations summing to
  its quantity; an ``open`` line at most a partial one (< its quantity); other lines nothing;
- fulfilled and closed needs: every allocation delivered (20 %) or confirmed (80 %), its
  deliveries summing to its quantity, dated between acceptance and ``fulfilled_at``;
- matched needs: some allocations delivered in full, the others accepted, pledged or
  proposed (proposed only while the answer is not overdue by more than a day);
- a few lines also get a released allocation (declined or expired), which holds nothing;
- offers are made after the county's allocations are known, so capacity ≥ Σ allocated;
  a contract line's quantity (and the contract's budget) likewise covers its offer's use.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from marketplace.scale import values as v

CHINA = timedelta(hours=8)
CHANNELS = ("bank_transfer", "bank_transfer", "mobile_payment", "cash", "cheque")
SATISFACTION = ((5, 0.45), (4, 0.35), (3, 0.12), (2, 0.05), (1, 0.03))
DECLINE_REASONS = ("人手不足，无法按时提供", "服务地点超出范围", "物资库存不足")
#: Share of lines that also carry a released (declined or expired) allocation.
RELEASED_SHARE = 0.05
#: Share of a published need's lines with a partial allocation waiting or accepted.
PARTIAL_SHARE = 0.10
#: Share of covered lines split over two offers.
SPLIT_SHARE = 0.10
#: Share of a contract-covered service type's allocations that go to the contract's offer.
CONTRACT_SHARE = 0.5
RESPOND_DAYS = 3


@dataclass
class Ids:
    """The next free id of every table written (assigned here, never read back)."""

    next: dict[str, int]

    def take(self, key: str) -> int:
        value = self.next[key]
        self.next[key] = value + 1
        return value


@dataclass
class Actors:
    """Who acts in one county: its caseworker and reviewer, and its organisations' staff."""

    caseworker: int
    reviewer: int
    #: (organisation id, organisation type, staff user id) of the county's organisations.
    orgs: list[tuple[int, str, int]]

    def org_for(self, rng: random.Random, kind: str) -> tuple[int, str, int]:
        fit = {"funds": ("charity", "enterprise", "social_org"),
               "goods": ("enterprise", "charity", "social_org"),
               "services": ("contractor", "social_org", "volunteer_team")}[kind]
        suitable = [o for o in self.orgs if o[1] in fit] or self.orgs
        return rng.choice(suitable)


@dataclass
class CountyRows:
    """Everything written for one county (lists of column dicts) and its audit events."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {
        k: [] for k in ("contracts", "contract_lines", "contract_targets", "offers",
                        "allocations", "deliveries", "payments", "feedback")})
    #: (need id, fulfilled_at) for fulfilled and closed needs.
    fulfilled: list[tuple[int, datetime]] = field(default_factory=list)
    #: (at, actor_id, actor_role, action, object_type, object_id, region_code, note, before,
    #: after): not yet numbered or chained.
    events: list[tuple] = field(default_factory=list)


def china_date(at: datetime) -> date:
    return (at + CHINA).date()


def _between(rng: random.Random, start: datetime, end: datetime, low=0.0, high=1.0) -> datetime:
    if end <= start:
        return start
    return start + (end - start) * rng.uniform(low, high)


def _split(rng: random.Random, quantity: Decimal, parts: int) -> list[Decimal]:
    """``quantity`` (whole units) in ``parts`` positive whole parts (fewer if too small)."""
    parts = max(1, min(parts, int(quantity)))
    cuts = sorted(rng.sample(range(1, int(quantity)), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, int(quantity)]
    rest = quantity - int(quantity)  # funds are whole; keep any fraction on the last part
    out = [Decimal(bounds[i + 1] - bounds[i]) for i in range(parts)]
    out[-1] += rest
    return out


class CountyBuilder:
    """Builds one county's rows; call :meth:`need` per need, then :meth:`finish`."""

    def __init__(self, rng: random.Random, now: datetime, county: str, ids: Ids, actors: Actors,
                 offer_quota: int, contracts: int, service_prices: dict[int, Decimal]):
        self.rng, self.now, self.county, self.ids, self.actors = rng, now, county, ids, actors
        self.offer_quota = offer_quota
        self.contract_count = contracts
        self.prices = service_prices
        self.out = CountyRows()
        #: Allocations waiting for an offer, per offer key.
        self.pending: dict[tuple, list[dict[str, Any]]] = {}
        #: (contract, its lines, their offers) of the county, sized in finish().
        self._contract_rows: list[tuple] = []

    # --- events ---------------------------------------------------------------------------

    def event(self, at: datetime, actor: int | None, role: str, action: str, object_type: str,
              object_id: int, region: str | None, before=None, after=None, note="") -> None:
        self.out.events.append((min(at, self.now), actor, role, action, object_type,
                                str(object_id), region, note, before, after))

    def _status_event(self, at, actor, role, need, old, new, verb, note="") -> None:
        self.event(at, actor, role, f"need.{verb}", "needs", need["id"], need["region_code"],
                   {"status": old}, {"status": new}, note)

    # --- needs ----------------------------------------------------------------------------

    def need(self, need: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        """Add the activity of one need (its lines in ``lines``)."""
        rng, now = self.rng, self.now
        status = need["status"]
        created = min(need["created_at"], now)
        cw, rv = self.actors.caseworker, self.actors.reviewer
        self.event(created, cw, "caseworker", "need.create", "needs", need["id"],
                   need["region_code"], None, {"status": "draft", "lines": len(lines)})
        if status == "draft":
            return
        published = min(need["published_at"] or now, now)
        changed = min(max(need["status_changed_at"] or published, published), now)
        first_step = need["published_at"] or changed
        t_submit = _between(rng, created, min(first_step, now), 0.05, 0.3)
        self._status_event(t_submit, cw, "caseworker", need, "draft", "submitted", "submit")
        if status == "submitted":
            return
        if status == "returned":
            self._status_event(_between(rng, t_submit, changed), rv, "reviewer", need,
                               "submitted", "returned", "return", "材料不全，请补充")
            return
        if status == "withdrawn":
            self._status_event(_between(rng, t_submit, changed), cw, "caseworker", need,
                               "submitted", "withdrawn", "withdraw", "家庭情况已改善")
            return
        t_review = _between(rng, t_submit, min(first_step, now), 0.1, 0.4)
        self._status_event(t_review, rv, "reviewer", need, "submitted", "reviewed", "review")
        if status == "reviewed":
            return
        t_approve = _between(rng, t_review, min(first_step, now), 0.3, 0.7)
        self._status_event(t_approve, rv, "reviewer", need, "reviewed", "approved", "approve")
        if status == "approved":
            return
        self._status_event(published, rv, "reviewer", need, "approved", "published", "publish")
        if status in ("fulfilled", "closed"):
            fulfilled = changed if status == "fulfilled" else _between(rng, published, changed,
                                                                       0.5, 0.9)
            self._delivered_need(need, lines, published, fulfilled)
            self.out.fulfilled.append((need["id"], fulfilled))
            self._status_event(fulfilled, cw, "caseworker", need, "matched", "fulfilled",
                               "fulfil")
            if status == "closed":
                self._status_event(changed, rv, "reviewer", need, "fulfilled", "closed", "close")
            return
        end = changed if status in ("matched", "partially_matched") else now
        for line in lines:
            self._open_line(need, line, status, published, end)
        if status in ("matched", "partially_matched"):
            self.event(changed, None, "system", "need.match_status", "needs", need["id"],
                       need["region_code"], {"status": "published"}, {"status": status})

    def _delivered_need(self, need, lines, published: datetime, fulfilled: datetime) -> None:
        for line in lines:
            if line["status"] != "covered":
                continue
            for quantity in self._shares(line["quantity"]):
                created = _between(self.rng, published, fulfilled, 0.0, 0.4)
                status = "confirmed" if self.rng.random() < 0.8 else "delivered"
                self._allocation(need, line, quantity, status, created, fulfilled)
            self._maybe_released(need, line, published, fulfilled)

    def _open_line(self, need, line, need_status: str, published: datetime,
                   end: datetime) -> None:
        rng = self.rng
        if line["status"] == "covered":
            for quantity in self._shares(line["quantity"]):
                created = _between(rng, published, end, 0.0, 0.8)
                roll = rng.random()
                status = ("delivered" if need_status == "matched" and roll < 0.15 else
                          "pledged" if roll < 0.25 else "proposed" if roll < 0.45 else
                          "accepted")
                self._allocation(need, line, quantity, status, created, self.now)
        elif line["status"] == "open":
            share = PARTIAL_SHARE if need_status == "published" else 0.5
            if line["quantity"] >= 2 and rng.random() < share:
                part = Decimal(max(1, int(line["quantity"] * Decimal(rng.uniform(0.3, 0.7)))))
                created = _between(rng, published, end, 0.0, 0.9)
                self._allocation(need, line, part, rng.choice(("proposed", "accepted")),
                                 created, self.now)
        else:
            return
        self._maybe_released(need, line, published, end)

    def _shares(self, quantity: Decimal) -> list[Decimal]:
        if quantity >= 2 and self.rng.random() < SPLIT_SHARE:
            return _split(self.rng, quantity, 2)
        return [quantity]

    def _maybe_released(self, need, line, start: datetime, end: datetime) -> None:
        if self.rng.random() >= RELEASED_SHARE:
            return
        status = self.rng.choice(("declined", "expired"))
        created = _between(self.rng, start, end, 0.0, 0.5)
        self._allocation(need, line, line["quantity"], status, created, end)

    # --- allocations ----------------------------------------------------------------------

    def _allocation(self, need, line, quantity: Decimal, status: str, created: datetime,
                    end: datetime) -> None:
        """One allocation of ``quantity`` to ``line`` (its deliveries up to ``end``)."""
        rng, now = self.rng, self.now
        source = "pledge" if rng.random() < 0.3 else "matching"
        respond_by = created + timedelta(days=RESPOND_DAYS) if source == "matching" else None
        if status == "proposed" and respond_by is not None and respond_by < now - timedelta(
                days=1):
            status = "accepted"  # the provider would have answered (or it would have expired)
        if status == "proposed" and source == "pledge":
            status = "pledged"
        responded = None
        if status in ("accepted", "delivered", "confirmed", "declined"):
            limit = min(respond_by or end, end)
            responded = _between(rng, created, limit, 0.05, 0.9)
        alloc = {"id": self.ids.take("allocations"), "need_line_id": line["id"],
                 "quantity": quantity, "status": status, "source": source,
                 "region_code": need["region_code"], "note": "", "created_by_id": None,
                 "run_id": None, "respond_by": respond_by, "responded_at": responded,
                 "decline_reason": rng.choice(DECLINE_REASONS) if status == "declined" else "",
                 "created_at": created, "updated_at": responded or created,
                 # offer_id and organization_id are filled in when the offers are made
                 # funds offers may serve any category: one pool of funds offers per county
                 "_key": ("funds", None, None, None) if line["kind"] == "funds" else (
                     line["kind"], line["category"], line["goods_item_id"],
                     line["service_type_id"]), "_need": need, "_line": line,
                 "_end": end}
        self.pending.setdefault(alloc["_key"], []).append(alloc)

    def _events_and_deliveries(self, alloc: dict[str, Any], staff: int) -> None:
        """The allocation's audit events and, when delivered, its deliveries, payments and
        feedback (the organisation is known now)."""
        rng, status = self.rng, alloc["status"]
        line = alloc["_line"]
        region, aid = alloc["region_code"], alloc["id"]
        if alloc["source"] == "pledge":
            self.event(alloc["created_at"], staff, "provider_staff", "allocation.pledge",
                       "allocations", aid, region, None,
                       {"quantity": str(alloc["quantity"]), "line": line["id"]})
        if status == "expired":
            self.event(alloc["respond_by"] or alloc["_end"], None, "system",
                       "allocation.expire", "allocations", aid, region,
                       {"status": "proposed"}, {"status": "expired"})
            alloc["status"] = "expired"
            return
        if status == "declined":
            self.event(alloc["responded_at"], staff, "provider_staff", "allocation.decline",
                       "allocations", aid, region, {"status": "proposed"},
                       {"status": "declined"}, alloc["decline_reason"])
            return
        if alloc["responded_at"] is None:
            return
        self.event(alloc["responded_at"], staff, "provider_staff", "allocation.accept",
                   "allocations", aid, region, {"status": "proposed"}, {"status": "accepted"})
        if status not in ("delivered", "confirmed"):
            return
        end = alloc["_end"]
        visits = rng.randint(1, 5) if line["kind"] == "services" else (
            2 if line["kind"] == "goods" and rng.random() < 0.15 else 1)
        times = sorted(_between(rng, alloc["responded_at"], end, 0.05, 1.0)
                       for _ in range(visits))
        parts = _split(rng, alloc["quantity"], visits)
        confirmed = status == "confirmed"
        for at, quantity in zip(times, parts, strict=False):
            self._delivery(alloc, line, staff, at, quantity, confirmed, end)
        last = times[len(parts) - 1]
        self.event(last, staff, "provider_staff", "allocation.deliver", "allocations", aid,
                   region, {"status": "accepted"}, {"status": "delivered"})
        if confirmed:
            self.event(_between(rng, last, end), self.actors.caseworker, "caseworker",
                       "allocation.confirm", "allocations", aid, region,
                       {"status": "delivered"}, {"status": "confirmed"})
        alloc["updated_at"] = last

    def _delivery(self, alloc, line, staff: int, at: datetime, quantity: Decimal,
                  confirmed: bool, end: datetime) -> None:
        rng, rows = self.rng, self.out.rows
        did = self.ids.take("deliveries")
        region, org = alloc["region_code"], alloc["organization_id"]
        problem = not confirmed and rng.random() < 0.05
        confirmed_at = _between(rng, at, end) if confirmed or problem else None
        rows["deliveries"].append({
            "id": did, "allocation_id": alloc["id"], "delivered_on": china_date(at),
            "quantity": quantity, "note": "", "status": "confirmed" if confirmed else
            "problem" if problem else "recorded", "organization_id": org,
            "region_code": region, "recorded_by_id": staff, "created_at": at,
            "confirmed_by_id": self.actors.caseworker if confirmed_at else None,
            "confirmed_at": confirmed_at,
            "confirm_note": "服务时长与记录不符" if problem else "", "form_key": None})
        self.event(at, staff, "provider_staff", "delivery.record", "deliveries", did, region,
                   None, {"quantity": str(quantity), "on": china_date(at).isoformat()})
        if confirmed_at:
            self.event(confirmed_at, self.actors.caseworker, "caseworker",
                       "delivery.problem" if problem else "delivery.confirm", "deliveries", did,
                       region, {"status": "recorded"},
                       {"status": "problem" if problem else "confirmed"})
        if line["kind"] == "funds":
            pid = self.ids.take("payments")
            rows["payments"].append({
                "id": pid, "allocation_id": alloc["id"], "delivery_id": did,
                "amount": quantity, "paid_on": china_date(at), "channel": rng.choice(CHANNELS),
                "reference": f"ZF{pid:010d}", "organization_id": org, "region_code": region,
                "recorded_by_id": staff, "created_at": at})
            self.event(at, staff, "provider_staff", "payment.record", "payments", pid, region,
                       None, {"amount": str(quantity)})
        if confirmed and rng.random() < 0.7:
            fid = self.ids.take("feedback")
            score = int(v.weighted(rng, SATISFACTION))
            at_fb = min(confirmed_at + timedelta(hours=rng.uniform(0, 48)), self.now)
            rows["feedback"].append({
                "id": fid, "delivery_id": did, "organization_id": org, "region_code": region,
                "satisfaction": score, "note": "", "recorded_by_id": self.actors.caseworker,
                "created_at": at_fb})
            self.event(at_fb, self.actors.caseworker, "caseworker", "feedback.record",
                       "feedback", fid, region, None, {"satisfaction": score})

    # --- offers and contracts, once the county's allocations are known ----------------------

    def finish(self, today: date, note: str) -> CountyRows:
        """Make the county's contracts and offers, give every allocation its offer, then its
        events and deliveries; returns the rows (allocations without their helper keys)."""
        rng = self.rng
        keys = sorted(self.pending, key=lambda k: tuple(str(x) for x in k))
        demand = {k: sum(a["quantity"] for a in self.pending[k]) for k in keys}
        contract_offers = self._contracts(keys, demand, today, note)
        regular = max(len(keys), self.offer_quota - len(contract_offers))
        total = sum(demand.values()) or Decimal(1)
        offers: dict[tuple, list[dict[str, Any]]] = {}
        for key in keys:
            count = max(1, round(regular * float(demand[key] / total)))
            offers[key] = [self._offer(key, self.actors.org_for(rng, key[0]), today, note)
                           for _ in range(count)]
        for key in keys:
            contract_offer = contract_offers.get(key)
            for alloc in self.pending[key]:
                if contract_offer is not None and rng.random() < CONTRACT_SHARE:
                    offer = contract_offer
                else:
                    offer = rng.choice(offers[key])
                alloc["offer_id"] = offer["id"]
                alloc["organization_id"] = offer["organization_id"]
                if alloc["status"] not in ("declined", "expired", "cancelled"):
                    offer["_used"] += alloc["quantity"]
                offer["_first"] = min(offer["_first"], alloc["created_at"])
                offer["_categories"].add(alloc["_line"]["category"])
                self._events_and_deliveries(alloc, offer["_staff"])
        rows = self.out.rows
        self._close_contracts()
        for offer in [*contract_offers.values(), *(o for k in keys for o in offers[k])]:
            self._size(offer)
            rows["offers"].append({k: val for k, val in offer.items() if not k.startswith("_")})
        for key in keys:
            for alloc in self.pending[key]:
                rows["allocations"].append(
                    {k: val for k, val in alloc.items() if not k.startswith("_")})
        self.pending.clear()
        return self.out

    def _offer(self, key: tuple, org: tuple[int, str, int], today: date, note: str,
               contract_line: dict[str, Any] | None = None) -> dict[str, Any]:
        rng = self.rng
        kind, category, goods_id, service_id = key
        reach = rng.random()
        region = self.county if reach < 0.8 else self.county[:4] + "00"
        first = self.pending[key][0]["_line"] if self.pending.get(key) else None
        return {
            "id": self.ids.take("offers"), "organization_id": org[0], "kind": kind,
            "category": None if kind == "funds" else category,
            "categories": [],  # funds: set in _size from the categories it served
            "goods_item_id": goods_id, "service_type_id": service_id, "capacity": None,
            "regions": [region],
            "qualifications": sorted(first["requires"] or []) if first else [],
            "groups": [],
            "unit_price": (contract_line["unit_price"] if contract_line else
                           Decimal("45") if kind == "services" else None),
            "valid_from": today - timedelta(days=365), "valid_until": today + timedelta(days=180),
            "status": "open", "funds_source": "own_funds" if kind == "funds" else None,
            "campaign_record_no": "", "pickup_region_code": None, "expiry_date": None,
            "condition": "new" if kind == "goods" else None, "note": note,
            "contract_line_id": contract_line["id"] if contract_line else None,
            "created_by_id": org[2], "withdrawn_at": None,
            "created_at": self.now, "updated_at": self.now,
            "_used": Decimal(0), "_first": self.now, "_categories": set(), "_staff": org[2],
            "_typical": first["quantity"] if first else Decimal(10), "_line": contract_line}

    def _size(self, offer: dict[str, Any]) -> None:
        """Capacity ≥ what the offer's allocations hold; created before its first use."""
        used = offer["_used"]
        if offer["_line"] is not None:
            capacity = offer["_line"]["quantity"]
        elif used > 0:
            capacity = (used * Decimal(self.rng.uniform(1.05, 1.6))).to_integral_value(
                rounding="ROUND_CEILING")
        else:
            capacity = max(Decimal(1), offer["_typical"] * self.rng.randint(3, 8))
        offer["capacity"] = capacity
        if offer["kind"] == "funds" and len(offer["_categories"]) == 1 and (
                self.rng.random() < 0.7):
            offer["categories"] = sorted(offer["_categories"])  # restricted by the donor
        created = offer["_first"] - timedelta(days=self.rng.uniform(1, 20))
        offer["created_at"] = offer["updated_at"] = created
        self.event(created, offer["_staff"], "provider_staff", "offer.create", "offers",
                   offer["id"], None, None, {"kind": offer["kind"], "capacity": str(capacity)})

    def _contracts(self, keys: list[tuple], demand: dict[tuple, Decimal], today: date,
                   note: str) -> dict[tuple, dict[str, Any]]:
        """3–5 contracts over the county's most requested services; key → contract offer."""
        top = sorted((k for k in keys if k[0] == "services"), key=lambda k: -demand[k])
        count = min(self.contract_count, len(top))
        contractors = [o for o in self.actors.orgs if o[1] == "contractor"] or self.actors.orgs
        rows, offers = self.out.rows, {}
        for n in range(count):
            provider = self.rng.choice(contractors)
            cid = self.ids.take("contracts")
            contract = {
                "id": cid, "title": f"{today.year}年度社会救助服务项目（{self.county}-{n + 1}）",
                "region_code": self.county, "provider_id": provider[0],
                "period_start": today - timedelta(days=330),
                "period_end": today + timedelta(days=35), "budget": None, "status": "active",
                "overlap_reason": "", "note": note, "created_by_id": self.actors.reviewer,
                "created_at": self.now - timedelta(days=340),
                "updated_at": self.now - timedelta(days=330)}
            lines = []
            for key in top[n::count][:3]:
                line = {"id": self.ids.take("contract_lines"), "contract_id": cid,
                        "service_type_id": key[3], "unit_price": self.prices.get(
                            key[3], Decimal(self.rng.choice((40, 45, 50, 60, 80)))),
                        "quantity": None}
                lines.append(line)
                offers[key] = self._offer(key, provider, today, note, line)
            rows["contracts"].append(contract)
            rows["contract_lines"].extend(lines)
            self._contract_rows.append((contract, lines, [offers[k] for k in top[n::count][:3]]))
        return offers

    def _close_contracts(self) -> None:
        """Size contract lines and budgets to what their offers hold, add targets and events
        (the offers were sized from the lines: set both here, before the offers are written)."""
        rows = self.out.rows
        for contract, lines, offers in self._contract_rows:
            amount = Decimal(0)
            for line, offer in zip(lines, offers, strict=True):
                quantity = max(Decimal(10), (offer["_used"] * Decimal(
                    self.rng.uniform(1.1, 1.5))).to_integral_value(rounding="ROUND_CEILING"))
                line["quantity"] = quantity
                amount += quantity * line["unit_price"]
            contract["budget"] = (amount * Decimal(self.rng.uniform(1.0, 1.2)) / 100
                                  ).to_integral_value(rounding="ROUND_CEILING") * 100
            hours = sum(line["quantity"] for line in lines)
            for metric, target in (("hours_delivered", hours),
                                   ("households_served", max(Decimal(1), hours / 8)),
                                   ("satisfaction_rate", Decimal(85)),
                                   ("response_time_hours", Decimal(48))):
                rows["contract_targets"].append({
                    "id": self.ids.take("contract_targets"), "contract_id": contract["id"],
                    "metric": metric, "target": Decimal(target).quantize(Decimal("0.01"))})
            self.event(contract["created_at"], self.actors.reviewer, "reviewer",
                       "contract.create", "contracts", contract["id"], self.county, None,
                       {"budget": str(contract["budget"])})
            for step, (old, new) in enumerate((("draft", "signed"), ("signed", "active"))):
                self.event(contract["updated_at"] + timedelta(hours=step),
                           self.actors.reviewer, "reviewer",
                           "contract.sign" if new == "signed" else "contract.activate",
                           "contracts", contract["id"], self.county, {"status": old},
                           {"status": new})
