"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

A code has 18 characters: registration authority (1), organisation category (1), region code of
the registering office (6), organisation code (9) and a check character (1). The characters come
from a 31-symbol alphabet — digits and the capitals without I, O, Z, S and V — and position ``i``
(0-based) of the first 17 is weighted ``3**i mod 31``; the check character is the symbol whose
value is ``31 - (weighted sum mod 31)`` (31 counting as 0).

Pure functions, no database: the profile services and the forms both use them.
"""

from __future__ import annotations

#: The code alphabet in value order (GB 32100-2015, table 3).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: value for value, char in enumerate(ALPHABET)}
#: Weights of positions 1–17: 3^i mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


def normalize(code: str) -> str:
    """Upper-case and strip spaces and dashes people type or paste around the code."""
    return "".join(code.split()).replace("-", "").upper()


def check_character(body: str) -> str:
    """The check character of the first 17 characters ``body``.

    Raises:
        ValueError: ``body`` is not 17 characters of the code alphabet.
    """
    if len(body) != LENGTH - 1 or any(char not in _VALUE for char in body):
        raise ValueError("a credit code body is 17 characters of the GB 32100 alphabet")
    total = sum(_VALUE[char] * weight for char, weight in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` (already normalised) is not a valid credit code, or None when it is.

    The result is an English key the caller turns into a translated message:
    ``"length"``, ``"characters"`` or ``"check"``.
    """
    if len(code) != LENGTH:
        return "length"
    if any(char not in _VALUE for char in code):
        return "characters"
    if check_character(code[:-1]) != code[-1]:
        return "check"
    return None


def is_valid_credit_code(code: str) -> bool:
    """Whether ``code`` is a well-formed credit code with the right check character."""
    return credit_code_problem(normalize(code)) is None
