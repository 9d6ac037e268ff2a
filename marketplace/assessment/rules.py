"""The social-assistance rules Nuanxin computes, one function per rule, each citing its source.

Sources and tags are those of ``shared/design/policy-rules.md``: **[S]** stated in the named
source and implemented as stated; **[S2]** seen only in a repost and **[I]** our design choice —
both are parameters with defaults that officers can change per county and date (see
``marketplace.assessment.models.Standard``) and the UI labels them as configurable defaults.

L1 is the national 社会救助法 (in force since 2026-07-01), L2 the 2014 社会救助暂行办法.
Everything here is pure: Decimal in, Decimal out, no database, so each rule is tested with
worked examples (tests/marketplace/assessment/test_rules.py). Each result carries its working:
a list of ``Step(code, values)`` that the page renders as sentences a caseworker can read out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")
YUAN = Decimal("1")


@dataclass(frozen=True)
class Step:
    """One line of working: ``code`` names the sentence, ``values`` fills it."""

    code: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """A rule's answer with its working."""

    value: Decimal | bool
    steps: tuple[Step, ...]
    source: str


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def whole_yuan(value: Decimal) -> Decimal:
    """R1.2 [I]: benefits are rounded to whole yuan, half up."""
    return value.quantize(YUAN, rounding=ROUND_HALF_UP)


def monthly_from_annual(annual: Decimal) -> Decimal:
    """R1.3 [I]: rural standards are annual; the monthly figure is a twelfth."""
    return money(annual / 12)


def per_capita_income(monthly_income: Decimal, monthly_deductions: Decimal,
                      members: int) -> Outcome:
    """R1.10 [S2: H12]: per-capita real income = (income − deductible rigid spending) / members.

    Deductions (serious-illness medical costs, disability allowances, education costs, job costs,
    essential rent) are entered monthly; the result is never negative.
    """
    if members < 1:
        raise ValueError("a household has at least one member")
    net = max(monthly_income - monthly_deductions, ZERO)
    value = money(net / members)
    return Outcome(value, (
        Step("income_total", {"income": money(monthly_income)}),
        Step("deductions", {"deductions": money(monthly_deductions)}),
        Step("per_capita", {"net": money(net), "members": members, "per_capita": value}),
    ), "R1.10")


def dibao_gap_amount(standard: Decimal, per_capita: Decimal, members: int) -> Outcome:
    """R1.2(a) [S: L1 Art.18]: monthly 低保 = (standard − per-capita income) × household size.

    Eligible only when per-capita income is below the standard (R1.1); rounded to whole yuan.
    """
    gap = standard - per_capita
    if gap <= 0:
        return Outcome(ZERO, (Step("not_below_standard", {"per_capita": per_capita,
                                                          "standard": standard}),), "R1.1")
    value = whole_yuan(gap * members)
    return Outcome(value, (
        Step("gap", {"standard": standard, "per_capita": per_capita, "gap": money(gap)}),
        Step("gap_total", {"gap": money(gap), "members": members, "amount": value}),
    ), "R1.2a")


def dibao_band_amount(standard: Decimal, per_capita: Decimal, members: int,
                      bands: Sequence[tuple[Decimal, Decimal]]) -> Outcome:
    """R1.2(b) [S: L1 Art.18]: 分档定额 — a fixed monthly amount per person by band.

    ``bands`` are ``(max_gap_share, amount_per_person)`` sorted by ``max_gap_share``: the band is
    the first whose share of the standard covers the household's per-capita gap (e.g.
    ``[(0.3, 200), (0.6, 400), (1.0, 600)]``). The bands themselves are a per-county option [I].
    """
    gap = standard - per_capita
    if gap <= 0:
        return Outcome(ZERO, (Step("not_below_standard", {"per_capita": per_capita,
                                                          "standard": standard}),), "R1.1")
    share = gap / standard
    for max_share, per_person in bands:
        if share <= max_share:
            value = whole_yuan(per_person * members)
            return Outcome(value, (
                Step("gap", {"standard": standard, "per_capita": per_capita, "gap": money(gap)}),
                Step("band", {"share": (share * 100).quantize(YUAN), "band": max_share,
                              "per_person": per_person, "members": members, "amount": value}),
            ), "R1.2b")
    raise ValueError("the bands must cover a gap share of 1 (the whole standard)")


def tekun_basic_standard(dibao_standard: Decimal, factor: Decimal = Decimal("1.3")) -> Outcome:
    """R2.1 [S: H1]: 特困 basic-living standard ≥ 1.3 × the local 低保 standard."""
    value = whole_yuan(dibao_standard * factor)
    return Outcome(value, (Step("tekun_basic", {"standard": dibao_standard, "factor": factor,
                                                "amount": value}),), "R2.1")


#: R2.2 [S2: H10] share of last year's monthly minimum wage by self-care ability.
CARE_SHARES = {
    "self_care": Decimal(1) / Decimal(10),  # 全自理
    "partial": Decimal(1) / Decimal(6),  # 半失能
    "full": Decimal(1) / Decimal(3),  # 全失能
}


def tekun_care_amount(minimum_wage: Decimal, ability: str, institutional_or_special: bool,
                      shares: dict[str, Decimal] = CARE_SHARES,
                      uplift: Decimal = Decimal("0.5")) -> Outcome:
    """R2.2 [S2: H10]: 特困 care standard as a share of the minimum wage by self-care ability,
    plus 50 % in institutions and for dispersed people with mental or infectious illness who
    cannot care for themselves."""
    base = minimum_wage * shares[ability]
    steps = [Step("care_base", {"wage": minimum_wage, "ability": ability,
                                "share": money(shares[ability] * 100), "base": money(base)})]
    if institutional_or_special:
        base = base * (1 + uplift)
        steps.append(Step("care_uplift", {"uplift": money(uplift * 100), "amount": money(base)}))
    value = whole_yuan(base)
    return Outcome(value, (*steps, Step("care_total", {"amount": value})), "R2.2")


def low_income_marginal(per_capita: Decimal, standard: Decimal,
                        factor: Decimal = Decimal("1.5")) -> Outcome:
    """R5.2 [S: M1]: 低保边缘 when per-capita income is at least the 低保 standard and below
    ``factor`` × standard (the province sets the factor, L1 Art.21; 1.5 is the default)."""
    line = money(standard * factor)
    value = standard <= per_capita < line
    return Outcome(value, (Step("low_income_line", {"standard": standard, "factor": factor,
                                                    "line": line, "per_capita": per_capita,
                                                    "result": value}),), "R5.2")


def rigid_expense_hardship(per_capita: Decimal, local_disposable_income: Decimal,
                           rigid_spending_12m: Decimal, total_income_12m: Decimal,
                           share: Decimal = Decimal("0.6")) -> Outcome:
    """R5.3 [S: L1 Art.22; S2: M3]: 刚性支出困难 when per-capita income is below last year's
    local per-capita disposable income **and** essential spending over the last 12 months
    exceeds ``share`` of the household's total income (local shares 60–90 %; default 60 %)."""
    below = per_capita < local_disposable_income
    threshold = money(total_income_12m * share)
    heavy = rigid_spending_12m > threshold
    return Outcome(below and heavy, (
        Step("rigid_income", {"per_capita": per_capita, "disposable": local_disposable_income,
                              "result": below}),
        Step("rigid_spending", {"spending": money(rigid_spending_12m), "share":
                                money(share * 100), "threshold": threshold, "result": heavy}),
    ), "R5.3")


def asset_test(deposits: Decimal, standard: Decimal, members: int, *, vehicles: int,
               extra_homes: int, months: int = 24) -> Outcome:
    """R1.12 [S2, illustrative]: deposits at most ``months`` × monthly standard × household size;
    no motor vehicle (a disability scooter does not count) and no second home."""
    cap = money(standard * months * members)
    ok = deposits <= cap and vehicles == 0 and extra_homes == 0
    return Outcome(ok, (
        Step("deposit_cap", {"deposits": money(deposits), "months": months,
                             "standard": standard, "members": members, "cap": cap,
                             "result": deposits <= cap}),
        Step("property", {"vehicles": vehicles, "extra_homes": extra_homes,
                          "result": vehicles == 0 and extra_homes == 0}),
    ), "R1.12")


def temporary_assistance_cap(kind: str, monthly_standard: Decimal, members: int,
                             multiples: dict[str, Decimal] | None = None) -> Outcome:
    """R3.4 [S: T1, I]: temporary assistance as multiples of the monthly 低保 standard per
    person: 急难型 (``emergency``) at most 2× by default, 支出型 medical up to 10×, education up
    to 6×; never above the overall cap of 10×. Amounts per person × household size (R3.5)."""
    multiples = multiples or {"emergency": Decimal(2), "medical": Decimal(10),
                              "education": Decimal(6)}
    multiple = min(multiples[kind], Decimal(10))
    value = whole_yuan(monthly_standard * multiple * members)
    return Outcome(value, (Step("temporary_cap", {"kind": kind, "multiple": multiple,
                                                  "standard": monthly_standard,
                                                  "members": members, "amount": value}),),
                   "R3.4")


def advance_grant_limit(monthly_standard: Decimal, members: int,
                        multiple: Decimal = Decimal(2)) -> Outcome:
    """R3.5 [S: T2]: a small advance (小额先行) of up to ``multiple`` months' standard per
    person (2 by default; one county allows 3), times the household size, approved first and
    confirmed by the township afterwards."""
    value = whole_yuan(monthly_standard * multiple * members)
    return Outcome(value, (Step("advance_limit", {"multiple": multiple,
                                                  "standard": monthly_standard,
                                                  "members": members, "amount": value}),),
                   "R3.5")


@dataclass(frozen=True)
class Proposal:
    """What the assessment proposes, with every rule's outcome for the working."""

    eligibility: str  # "dibao" | "tekun" | "low_income" | "rigid_expense" | "none"
    monthly_amount: Decimal
    outcomes: dict[str, Outcome]


def propose(*, standard: Decimal, per_capita: Outcome, members: int, assets_ok: Outcome,
            tekun_candidate: bool, rigid: Outcome | None, low_income_factor: Decimal,
            bands: Sequence[tuple[Decimal, Decimal]] | None = None) -> Proposal:
    """R1.1, R2.3, R5.2, R5.3: the eligibility class proposed to the caseworker.

    特困 applies to people without ability to work, income or a supporter able to pay (R2.3);
    the caseworker states that (``tekun_candidate``) and the basic-living amount follows R2.1.
    Otherwise 低保 when income is below the standard and assets pass (R1.1), else 低保边缘
    (R5.2) or 刚性支出困难 (R5.3) when their tests pass. The decision stays with people (R1.13).
    """
    outcomes: dict[str, Outcome] = {"per_capita": per_capita, "assets": assets_ok}
    income = per_capita.value
    assert isinstance(income, Decimal)
    if tekun_candidate and assets_ok.value:
        outcomes["tekun"] = tekun_basic_standard(standard)
        return Proposal("tekun", outcomes["tekun"].value, outcomes)  # type: ignore[arg-type]
    if bands:
        amount = dibao_band_amount(standard, income, members, bands)
    else:
        amount = dibao_gap_amount(standard, income, members)
    outcomes["dibao"] = amount
    if assets_ok.value and amount.value > 0:
        return Proposal("dibao", amount.value, outcomes)  # type: ignore[arg-type]
    marginal = low_income_marginal(income, standard, low_income_factor)
    outcomes["low_income"] = marginal
    if assets_ok.value and marginal.value:
        return Proposal("low_income", ZERO, outcomes)
    if rigid is not None:
        outcomes["rigid_expense"] = rigid
        if rigid.value:
            return Proposal("rigid_expense", ZERO, outcomes)
    return Proposal("none", ZERO, outcomes)
