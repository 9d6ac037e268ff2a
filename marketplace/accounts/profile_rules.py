"""Rules for the verified facts of an organisation's profile.

The facts an oversight officer vouches for when verifying an organisation: its unified social
credit code, its public-fundraising qualification (公开募捐资格, charities only — Charity Law
art. 22, policy rule R8.1) and the staff qualifications it can deliver. Both the application
and later profile changes go through :func:`check_facts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.accounts.credit_code import credit_code_problem, normalize
from marketplace.accounts.models import Organization, OrgType
from marketplace.catalog.vocab import QUALIFICATIONS
from marketplace.extensions import db

CREDIT_CODE_MESSAGES = {
    "length": _l("A unified social credit code has exactly 18 characters."),
    "characters": _l("A unified social credit code uses only digits and capital letters "
                     "(not I, O, S, V or Z)."),
    "check": _l("This unified social credit code is not valid: its last character does not "
                "match the others. Please check it for typing errors."),
}


_ORDER = {code: i for i, code in enumerate(QUALIFICATIONS)}


def ordered_qualifications(codes) -> tuple[str, ...]:
    """Qualification codes without repeats, in vocabulary order (so equal sets compare equal)."""
    return tuple(sorted(set(codes), key=lambda q: (_ORDER.get(q, len(_ORDER)), q)))


class ProfileError(ValueError):
    """A profile rule was broken; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ProfileFacts:
    """The verified facts of a profile, as typed by the organisation."""

    credit_code: str
    public_fundraising: bool = False
    fundraising_certificate_no: str = ""
    fundraising_certified_on: date | None = None
    qualifications: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        """JSON-able form, as stored in ``Organization.pending_changes`` and the audit trail."""
        return {
            "credit_code": self.credit_code,
            "public_fundraising": self.public_fundraising,
            "fundraising_certificate_no": self.fundraising_certificate_no,
            "fundraising_certified_on": (self.fundraising_certified_on.isoformat()
                                         if self.fundraising_certified_on else None),
            "qualifications": list(self.qualifications),
        }

    @classmethod
    def from_dict(cls, data: dict) -> ProfileFacts:
        certified = data.get("fundraising_certified_on")
        return cls(
            credit_code=data["credit_code"],
            public_fundraising=bool(data["public_fundraising"]),
            fundraising_certificate_no=data.get("fundraising_certificate_no") or "",
            fundraising_certified_on=date.fromisoformat(certified) if certified else None,
            qualifications=ordered_qualifications(data.get("qualifications") or ()),
        )

    @classmethod
    def of(cls, org: Organization) -> ProfileFacts:
        """The facts currently in force for ``org``."""
        return cls(
            credit_code=org.credit_code or "",
            public_fundraising=org.public_fundraising,
            fundraising_certificate_no=org.fundraising_certificate_no,
            fundraising_certified_on=org.fundraising_certified_on,
            qualifications=ordered_qualifications(org.qualifications or ()),
        )


def check_facts(facts: ProfileFacts, org_type: OrgType, today: date,
                exclude_org_id: int | None = None) -> ProfileFacts:
    """Validate ``facts`` for an organisation of ``org_type``; return them normalised.

    Raises:
        ProfileError: invalid or already registered credit code, a non-charity claiming the
            public-fundraising qualification, missing or future certificate details, unknown
            qualification codes.
    """
    code = normalize(facts.credit_code)
    problem = credit_code_problem(code)
    if problem:
        raise ProfileError(str(CREDIT_CODE_MESSAGES[problem]), "credit_code")
    taken = select(func.count(Organization.id)).where(Organization.credit_code == code)
    if exclude_org_id is not None:
        taken = taken.where(Organization.id != exclude_org_id)
    if db.session.scalar(taken):
        raise ProfileError(str(_l("An organisation with this unified social credit code is "
                                  "already registered.")), "credit_code")
    certificate = facts.fundraising_certificate_no.strip()
    if facts.public_fundraising:
        if org_type != OrgType.charity:
            raise ProfileError(str(_l("Only charitable organisations can hold a "
                                      "public-fundraising qualification.")),
                               "public_fundraising")
        if not certificate or facts.fundraising_certified_on is None:
            raise ProfileError(str(_l("Give the number and the date of the public-fundraising "
                                      "certificate.")), "fundraising_certificate_no")
        if facts.fundraising_certified_on > today:
            raise ProfileError(str(_l("The certificate date cannot be in the future.")),
                               "fundraising_certified_on")
    unknown = [q for q in facts.qualifications if q not in QUALIFICATIONS]
    if unknown:
        raise ProfileError(str(_l("Unknown qualification: %(codes)s.",
                                  codes=", ".join(unknown))), "qualifications")
    return ProfileFacts(
        credit_code=code,
        public_fundraising=facts.public_fundraising,
        fundraising_certificate_no=certificate if facts.public_fundraising else "",
        fundraising_certified_on=(facts.fundraising_certified_on
                                  if facts.public_fundraising else None),
        # Stable order so that "no change" compares equal whatever order the form sent.
        qualifications=ordered_qualifications(facts.qualifications),
    )


def apply_facts(org: Organization, facts: ProfileFacts) -> None:
    """Put already checked ``facts`` into force on ``org``."""
    org.credit_code = facts.credit_code
    org.public_fundraising = facts.public_fundraising
    org.fundraising_certificate_no = facts.fundraising_certificate_no
    org.fundraising_certified_on = facts.fundraising_certified_on
    org.qualifications = list(facts.qualifications)
