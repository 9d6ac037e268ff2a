"""Standards, assessments and the eligibility process.

Rules are computed by :mod:`marketplace.assessment.rules`; this module feeds them the household's
facts and the standard in force, keeps the results as versions, and moves eligibility cases
through the legal process (R1.13, R1.14), recording every step in the audit trail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from marketplace.accounts.models import Role, User
from marketplace.assessment import rules
from marketplace.assessment.models import Assessment, CaseStatus, EligibilityCase, Standard
from marketplace.audit.services import record_event
from marketplace.common.access import in_scope, scope_filter
from marketplace.extensions import db
from marketplace.households.models import Household
from marketplace.regions.models import Region

PROVINCE = "430000"

#: Provincial defaults from 2024-12-01. 低保: Hunan's reported 2024 averages (H8, [S]) used as the
#: demo floor; disposable income: Hunan 2023 per-capita figures / 12 ([I], illustrative);
#: minimum wage: Hunan's first tier ([I]). Officers replace them per county and date.
PROVINCIAL_DEFAULT = {
    "effective_from": date(2024, 12, 1),
    "dibao_urban_monthly": Decimal("703"),
    "dibao_rural_monthly": Decimal("515"),
    "disposable_income_urban_monthly": Decimal("4104"),
    "disposable_income_rural_monthly": Decimal("1743"),
    "minimum_wage_monthly": Decimal("1930"),
    "note": "湖南省指导标准（演示默认值，可按县调整）",
}

INCOME_ITEMS = ("wages", "business", "farming", "pensions", "transfers", "property")
DEDUCTION_ITEMS = ("medical", "education", "disability", "other")


class AssessmentError(Exception):
    """A rule or a step of the process was broken; the message is shown as is."""


def seed_default_standards() -> None:
    """Insert the provincial default standard unless one exists."""
    if db.session.scalar(select(func.count(Standard.id)).where(
            Standard.region_code == PROVINCE)) == 0:
        db.session.add(Standard(region_code=PROVINCE, **PROVINCIAL_DEFAULT))
        db.session.flush()


def _chain(code: str) -> list[str]:
    """The county, prefecture and province codes above a region code, most specific first."""
    county = code[:6]
    return list(dict.fromkeys([county, county[:4] + "00", PROVINCE]))


def local_standards(region_code: str, on: date) -> Standard:
    """The standard in force at ``on`` for ``region_code``: the most specific region's latest
    row, falling back to the prefecture and then the province."""
    rows = db.session.scalars(
        select(Standard)
        .where(Standard.region_code.in_(_chain(region_code)), Standard.effective_from <= on)
        .order_by(Standard.effective_from.desc(), Standard.id.desc()))
    by_region: dict[str, Standard] = {}
    for row in rows:
        by_region.setdefault(row.region_code, row)
    for code in _chain(region_code):
        if code in by_region:
            return by_region[code]
    raise AssessmentError(str(_l("No assistance standard is in force for this region.")))


def is_urban(household: Household) -> bool:
    region = db.session.get(Region, household.region_code)
    return bool(region and region.is_urban)


def dibao_monthly_standard(household: Household, on: date) -> Decimal:
    """The monthly 低保 standard per person that applies to ``household`` at ``on``."""
    return local_standards(household.region_code, on).dibao_monthly(is_urban(household))


@dataclass(frozen=True)
class StandardInput:
    region_code: str
    effective_from: date
    dibao_urban_monthly: Decimal
    dibao_rural_monthly: Decimal
    disposable_income_urban_monthly: Decimal
    disposable_income_rural_monthly: Decimal
    minimum_wage_monthly: Decimal
    tekun_factor: Decimal = Decimal("1.3")
    low_income_factor: Decimal = Decimal("1.5")
    rigid_share: Decimal = Decimal("0.6")
    deposit_months: int = 24
    advance_multiple: Decimal = Decimal("2")
    note: str = ""


def set_standard(actor: User, data: StandardInput) -> Standard:
    """An oversight officer sets a county's (or prefecture's) standards from a date on.

    R1.5/R1.6: a local standard may not be below the provincial one in force on that date;
    R2.1: the 特困 factor is at least 1.3.
    """
    region = db.session.get(Region, data.region_code)
    if region is None or region.level not in ("province", "prefecture", "county"):
        raise AssessmentError(str(_l("Unknown region code.")))
    if not in_scope(actor, region):
        raise AssessmentError(str(_l("This region is outside your area.")))
    if data.tekun_factor < Decimal("1.3"):
        raise AssessmentError(str(_l("The 特困 factor must be at least 1.3 (R2.1).")))
    if data.region_code != PROVINCE:
        floor = local_standards(PROVINCE, data.effective_from)
        if (data.dibao_urban_monthly < floor.dibao_urban_monthly
                or data.dibao_rural_monthly < floor.dibao_rural_monthly):
            raise AssessmentError(str(_l(
                "A local standard may not be below the provincial one (urban %(u)s, rural "
                "%(r)s yuan per month).", u=floor.dibao_urban_monthly,
                r=floor.dibao_rural_monthly)))
    if db.session.scalar(select(func.count(Standard.id)).where(
            Standard.region_code == data.region_code,
            Standard.effective_from == data.effective_from)):
        raise AssessmentError(str(_l("A standard for this region and date already exists.")))
    standard = Standard(set_by_id=actor.id, **asdict(data))
    db.session.add(standard)
    db.session.flush()
    record_event(actor, "standard.set", standard, after={
        "effective_from": data.effective_from.isoformat(),
        "dibao_urban_monthly": str(data.dibao_urban_monthly),
        "dibao_rural_monthly": str(data.dibao_rural_monthly)})
    return standard


def standards_for(actor: User) -> list[Standard]:
    """Standards of the actor's area and above, newest first."""
    query = select(Standard).order_by(Standard.region_code, Standard.effective_from.desc())
    if actor.role != Role.admin and actor.region_code:
        codes = _chain(actor.region_code) if len(actor.region_code) >= 6 else [PROVINCE]
        query = query.where(Standard.region_code.in_(codes) | scope_filter(Standard, actor))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class AssessmentInput:
    assessed_on: date
    members_counted: int
    incomes: dict[str, Decimal]
    deductions: dict[str, Decimal]
    deposits: Decimal
    vehicles: int = 0
    extra_homes: int = 0
    rigid_spending_12m: Decimal = Decimal("0")
    tekun_candidate: bool = False
    self_care: str = "self_care"
    institutional: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _outcome_json(outcome: rules.Outcome) -> dict[str, Any]:
    return {"value": str(outcome.value), "source": outcome.source,
            "steps": [{"code": s.code, "values": {k: str(v) for k, v in s.values.items()}}
                      for s in outcome.steps]}


def assess(actor: User, household: Household, data: AssessmentInput) -> Assessment:
    """Compute and store a new assessment version of ``household`` with its working."""
    if data.assessed_on > date.today():
        raise AssessmentError(str(_l("The assessment date cannot be in the future.")))
    if data.members_counted < 1:
        raise AssessmentError(str(_l("Count at least one household member.")))
    standard = local_standards(household.region_code, data.assessed_on)
    urban = is_urban(household)
    dibao = standard.dibao_monthly(urban)
    income = sum(data.incomes.values(), Decimal("0"))
    deduction = sum(data.deductions.values(), Decimal("0"))
    per_capita = rules.per_capita_income(income, deduction, data.members_counted)
    assets = rules.asset_test(data.deposits, dibao, data.members_counted,
                              vehicles=data.vehicles, extra_homes=data.extra_homes,
                              months=standard.deposit_months)
    disposable = (standard.disposable_income_urban_monthly if urban
                  else standard.disposable_income_rural_monthly)
    rigid = rules.rigid_expense_hardship(per_capita.value, disposable, data.rigid_spending_12m,
                                         income * 12, standard.rigid_share)
    bands = ([(Decimal(str(a)), Decimal(str(b))) for a, b in standard.bands or []]
             if standard.method == "bands" else None)
    proposal = rules.propose(standard=dibao, per_capita=per_capita,
                             members=data.members_counted, assets_ok=assets,
                             tekun_candidate=data.tekun_candidate, rigid=rigid,
                             low_income_factor=standard.low_income_factor, bands=bands)
    working = {name: _outcome_json(o) for name, o in proposal.outcomes.items()}
    care = None
    if proposal.eligibility == "tekun":
        care_outcome = rules.tekun_care_amount(standard.minimum_wage_monthly, data.self_care,
                                               data.institutional)
        care = care_outcome.value
        working["tekun_care"] = _outcome_json(care_outcome)
    version = (db.session.scalar(select(func.max(Assessment.version)).where(
        Assessment.household_id == household.id)) or 0) + 1
    assessment = Assessment(
        household_id=household.id, version=version, region_code=household.region_code,
        assessed_on=data.assessed_on, members_counted=data.members_counted, urban=urban,
        incomes={k: str(v) for k, v in data.incomes.items()},
        deductions={k: str(v) for k, v in data.deductions.items()},
        deposits=data.deposits, vehicles=data.vehicles, extra_homes=data.extra_homes,
        rigid_spending_12m=data.rigid_spending_12m, tekun_candidate=data.tekun_candidate,
        self_care=data.self_care, institutional=data.institutional, standard_id=standard.id,
        per_capita_income=per_capita.value, proposed_class=proposal.eligibility,
        proposed_amount=proposal.monthly_amount, care_amount=care, working=working,
        created_by_id=actor.id)
    db.session.add(assessment)
    db.session.flush()
    record_event(actor, "assessment.create", assessment, after={
        "version": version, "proposed_class": proposal.eligibility,
        "proposed_amount": str(proposal.monthly_amount)})
    return assessment


def assessments_of(household: Household) -> list[Assessment]:
    return list(db.session.scalars(select(Assessment).where(
        Assessment.household_id == household.id).order_by(Assessment.version.desc())))


# --- the eligibility process (R1.13, R1.14) -------------------------------------------------

#: status -> (next status, roles allowed, the reviewer level required or None)
_STEPS = {
    "investigate": (CaseStatus.applied, CaseStatus.investigated, Role.caseworker),
    "propose": (CaseStatus.investigated, CaseStatus.proposed, Role.reviewer),
    "notice": (CaseStatus.proposed, CaseStatus.notice, Role.reviewer),
}

NOTICE_DAYS = 7  # R1.16 [I]: public notice for 7 days, configurable per call


def is_township_reviewer(user: User) -> bool:
    return user.role == Role.reviewer and len(user.region_code or "") == 9


def is_county_reviewer(user: User) -> bool:
    return user.role == Role.reviewer and len(user.region_code or "") == 6


def open_case(actor: User, household: Household, category: str,
              filed_by: str = "applicant") -> EligibilityCase:
    """Register an application (受理); a committee may file for the applicant (R1.13)."""
    if actor.role != Role.caseworker:
        raise AssessmentError(str(_l("Only caseworkers register applications.")))
    if category not in ("dibao", "tekun", "low_income", "rigid_expense"):
        raise AssessmentError(str(_l("Unknown assistance category.")))
    case = EligibilityCase(household_id=household.id, region_code=household.region_code,
                           category=category, filed_by=filed_by)
    db.session.add(case)
    db.session.flush()
    record_event(actor, "eligibility.apply", case, after={"category": category,
                                                           "filed_by": filed_by})
    return case


def _advance(actor: User, case: EligibilityCase, expected: CaseStatus, new: CaseStatus,
             **values: Any) -> None:
    """Compare-and-set the status so that two people acting at once cannot both succeed."""
    result = db.session.execute(
        update(EligibilityCase)
        .where(EligibilityCase.id == case.id, EligibilityCase.status == expected)
        .values(status=new, **values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(case)
        raise AssessmentError(str(_l("This case has already moved on; reload the page.")))
    db.session.refresh(case)
    record_event(actor, f"eligibility.{new.value}", case, before={"status": expected.value},
                 after={"status": new.value, **{k: str(v) for k, v in values.items()}})


def investigate(actor: User, case: EligibilityCase, note: str,
                assessment: Assessment | None) -> None:
    """入户调查: the caseworker records the home visit and links the assessment."""
    if actor.role != Role.caseworker:
        raise AssessmentError(str(_l("Only caseworkers record the home investigation.")))
    if not note.strip():
        raise AssessmentError(str(_l("Describe what the home investigation found.")))
    if assessment is None or assessment.household_id != case.household_id:
        raise AssessmentError(str(_l("Assess the household's economic situation first.")))
    _advance(actor, case, CaseStatus.applied, CaseStatus.investigated,
             investigation_note=note.strip(), assessment_id=assessment.id)


def propose_case(actor: User, case: EligibilityCase, amount: Decimal) -> None:
    """乡镇初审: a township reviewer proposes the monthly amount."""
    if not is_township_reviewer(actor):
        raise AssessmentError(str(_l("The township (street) reviewer makes the proposal.")))
    if amount < 0:
        raise AssessmentError(str(_l("The amount cannot be negative.")))
    _advance(actor, case, CaseStatus.investigated, CaseStatus.proposed, monthly_amount=amount)


def start_notice(actor: User, case: EligibilityCase, days: int = NOTICE_DAYS,
                 today: date | None = None) -> None:
    """公示: the proposal is published in the village or community for ``days`` days."""
    if not is_township_reviewer(actor):
        raise AssessmentError(str(_l("The township (street) reviewer publishes the notice.")))
    if not 1 <= days <= 30:
        raise AssessmentError(str(_l("The notice lasts between 1 and 30 days.")))
    until = (today or date.today()) + timedelta(days=days)
    _advance(actor, case, CaseStatus.proposed, CaseStatus.notice, notice_until=until)


def decide(actor: User, case: EligibilityCase, approve: bool, reason: str,
           today: date | None = None) -> None:
    """县级确认: a county reviewer approves after the notice, or refuses in writing with reasons."""
    if not is_county_reviewer(actor):
        raise AssessmentError(str(_l("The county civil-affairs reviewer decides.")))
    if not approve and not reason.strip():
        raise AssessmentError(str(_l("A refusal must give its reasons in writing.")))
    if approve and case.notice_until and (today or date.today()) < case.notice_until:
        raise AssessmentError(str(_l("The public notice runs until %(d)s.",
                                     d=case.notice_until.isoformat())))
    _advance(actor, case, CaseStatus.notice,
             CaseStatus.approved if approve else CaseStatus.refused,
             decision_reason=reason.strip())


def start_hearing(actor: User, case: EligibilityCase, note: str) -> None:
    """R1.14: before a benefit is cut or stopped the recipient is heard."""
    if not is_county_reviewer(actor):
        raise AssessmentError(str(_l("The county civil-affairs reviewer decides.")))
    if not note.strip():
        raise AssessmentError(str(_l("Record why the benefit may be cut.")))
    _advance(actor, case, CaseStatus.approved, CaseStatus.hearing, hearing_note=note.strip())


def stop_benefit(actor: User, case: EligibilityCase, reason: str) -> None:
    """After the hearing: stop with written reasons (R1.14)."""
    if not is_county_reviewer(actor):
        raise AssessmentError(str(_l("The county civil-affairs reviewer decides.")))
    if not reason.strip():
        raise AssessmentError(str(_l("A refusal must give its reasons in writing.")))
    _advance(actor, case, CaseStatus.hearing, CaseStatus.stopped, decision_reason=reason.strip())


def public_notices(region_prefix: str | None = None) -> list[tuple[EligibilityCase, Household]]:
    """Cases under public notice: the page shows the aid, not the label (R5.5)."""
    query = (select(EligibilityCase, Household)
             .join(Household, Household.id == EligibilityCase.household_id)
             .where(EligibilityCase.status == CaseStatus.notice)
             .order_by(EligibilityCase.region_code, EligibilityCase.id))
    if region_prefix:
        query = query.where(EligibilityCase.region_code.startswith(region_prefix,
                                                                    autoescape=True))
    return [(case, household) for case, household in db.session.execute(query)]


def cases_waiting_for(actor: User) -> list[EligibilityCase]:
    """The cases whose next step is the actor's, in the actor's area."""
    if actor.role == Role.caseworker:
        statuses = [CaseStatus.applied]
    elif is_township_reviewer(actor):
        statuses = [CaseStatus.investigated, CaseStatus.proposed]
    elif is_county_reviewer(actor):
        statuses = [CaseStatus.notice, CaseStatus.hearing]
    else:
        return []
    return list(db.session.scalars(
        select(EligibilityCase)
        .where(EligibilityCase.status.in_(statuses), scope_filter(EligibilityCase, actor))
        .order_by(EligibilityCase.created_at).limit(20)))


def masked_head_name(household: Household) -> str:
    """张三丰 → 张**: enough for neighbours to recognise, not to look anyone up."""
    head = household.head
    name = head.name if head is not None else ""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else "*"

