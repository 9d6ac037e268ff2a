"""Worked examples for every rule in marketplace/assessment/rules.py (figures by hand)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from marketplace.assessment import rules


def test_rural_annual_standard_becomes_monthly():
    # R1.3: Hunan's 2021 rural floor 4300 元/年 → 358.33 元/月.
    assert rules.monthly_from_annual(D("4300")) == D("358.33")


def test_per_capita_income_after_deductions():
    # R1.10: 2400 income − 600 medical deduction = 1800 over 3 people = 600.
    outcome = rules.per_capita_income(D("2400"), D("600"), 3)
    assert outcome.value == D("600.00")
    assert [s.code for s in outcome.steps] == ["income_total", "deductions", "per_capita"]
    # Deductions larger than income never make income negative.
    assert rules.per_capita_income(D("300"), D("500"), 2).value == D("0.00")
    with pytest.raises(ValueError):
        rules.per_capita_income(D("1"), D("0"), 0)


def test_dibao_by_the_gap_method():
    # R1.2a: standard 703, per-capita 450.50, 3 people: (703 − 450.50) × 3 = 757.5 → 758.
    outcome = rules.dibao_gap_amount(D("703"), D("450.50"), 3)
    assert outcome.value == D("758")
    assert outcome.source == "R1.2a"


def test_no_dibao_at_or_above_the_standard():
    assert rules.dibao_gap_amount(D("703"), D("703"), 2).value == D("0")
    assert rules.dibao_gap_amount(D("703"), D("800"), 2).steps[0].code == "not_below_standard"


def test_dibao_by_fixed_bands():
    bands = [(D("0.3"), D("200")), (D("0.6"), D("400")), (D("1.0"), D("600"))]
    # Gap 703 − 400 = 303 = 43 % of the standard → second band: 400 × 2 = 800.
    assert rules.dibao_band_amount(D("703"), D("400"), 2, bands).value == D("800")
    # No income at all: the whole standard is the gap → top band.
    assert rules.dibao_band_amount(D("703"), D("0"), 1, bands).value == D("600")
    with pytest.raises(ValueError):
        rules.dibao_band_amount(D("703"), D("0"), 1, [(D("0.5"), D("100"))])


def test_tekun_basic_standard_is_1_3_times_dibao():
    # R2.1: Hunan 2020/21: 1.3 × 550 = 715; Changsha 1.3 × 750 = 975.
    assert rules.tekun_basic_standard(D("550")).value == D("715")
    assert rules.tekun_basic_standard(D("750")).value == D("975")


@pytest.mark.parametrize("ability, special, expected", [
    ("self_care", False, D("193")),  # 1930 / 10 = 193
    ("partial", False, D("322")),  # 1930 / 6 = 321.67 → 322
    ("full", False, D("643")),  # 1930 / 3 = 643.33 → 643
    ("full", True, D("965")),  # 643.33 × 1.5 = 965
])
def test_tekun_care_by_self_care_ability(ability, special, expected):
    # R2.2 with Changsha's 2024 minimum wage of 1930 元/月.
    assert rules.tekun_care_amount(D("1930"), ability, special).value == expected


def test_low_income_marginal_band():
    # R5.2: standard 703, line 1.5 × 703 = 1054.50.
    assert rules.low_income_marginal(D("900"), D("703")).value is True
    assert rules.low_income_marginal(D("1054.50"), D("703")).value is False
    assert rules.low_income_marginal(D("600"), D("703")).value is False  # that is 低保
    assert rules.low_income_marginal(D("1200"), D("703"), D("2")).value is True


def test_rigid_expense_hardship_needs_both_tests():
    # R5.3: income below the local disposable income AND spending > 60 % of income.
    yes = rules.rigid_expense_hardship(D("1500"), D("2600"), D("20000"), D("30000"))
    assert yes.value is True  # 20000 > 0.6 × 30000 = 18000
    assert rules.rigid_expense_hardship(D("1500"), D("2600"), D("17000"), D("30000")).value is False
    assert rules.rigid_expense_hardship(D("2700"), D("2600"), D("29000"), D("30000")).value is False


def test_asset_test():
    # R1.12 (illustrative): cap 24 × 703 × 2 = 33744.
    assert rules.asset_test(D("33744"), D("703"), 2, vehicles=0, extra_homes=0).value is True
    assert rules.asset_test(D("33745"), D("703"), 2, vehicles=0, extra_homes=0).value is False
    assert rules.asset_test(D("0"), D("703"), 2, vehicles=1, extra_homes=0).value is False


def test_temporary_assistance_caps():
    # R3.4: 急难型 2 × 515 × 3 = 3090; medical 10 × 515 × 1 = 5150; the cap never exceeds 10×.
    assert rules.temporary_assistance_cap("emergency", D("515"), 3).value == D("3090")
    assert rules.temporary_assistance_cap("medical", D("515"), 1).value == D("5150")
    assert rules.temporary_assistance_cap(
        "medical", D("515"), 1, {"medical": D("12")}).value == D("5150")


def test_advance_grant_limit():
    # R3.5: 2 months' standard per person: 2 × 703 × 4 = 5624; with 3×: 8436.
    assert rules.advance_grant_limit(D("703"), 4).value == D("5624")
    assert rules.advance_grant_limit(D("703"), 4, D("3")).value == D("8436")


def _proposal(per_capita, *, tekun=False, deposits=D("0"), rigid=None):
    pc = rules.Outcome(D(per_capita), (), "R1.10")
    assets = rules.asset_test(deposits, D("703"), 2, vehicles=0, extra_homes=0)
    return rules.propose(standard=D("703"), per_capita=pc, members=2, assets_ok=assets,
                         tekun_candidate=tekun, rigid=rigid, low_income_factor=D("1.5"))


def test_proposals():
    assert _proposal("400").eligibility == "dibao"
    assert _proposal("400").monthly_amount == D("606")  # (703 − 400) × 2
    assert _proposal("0", tekun=True).eligibility == "tekun"
    assert _proposal("0", tekun=True).monthly_amount == D("914")  # 1.3 × 703 = 913.9 → 914
    assert _proposal("900").eligibility == "low_income"
    assert _proposal("400", deposits=D("99999")).eligibility == "none"  # assets too high
    rigid = rules.rigid_expense_hardship(D("1500"), D("2600"), D("20000"), D("30000"))
    assert _proposal("1500", rigid=rigid).eligibility == "rigid_expense"
    assert _proposal("1500").eligibility == "none"
