"""Protection of personal data at rest: encryption, keyed hashes and masking.

Identity-card and phone numbers are stored encrypted (Fernet, AES-128-CBC + HMAC) so that a
copy of the database alone does not reveal them, and as a keyed hash (HMAC-SHA256) where a
duplicate search needs equality. The key comes from ``DATA_KEY`` or, when unset, is derived from
``SECRET_KEY``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.types import TypeDecorator


@lru_cache(maxsize=16)
def _hkdf(material: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"nuanxin", info=purpose).derive(
        material
    )


def _derive(purpose: bytes) -> bytes:
    """A key for ``purpose`` from the configured secret (derived once per secret, then cached:
    pages decrypt many fields)."""
    material = (current_app.config.get("DATA_KEY") or current_app.config["SECRET_KEY"]).encode()
    return _hkdf(material, purpose)


@lru_cache(maxsize=16)
def _fernet_for(key: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet() -> Fernet:
    return _fernet_for(_derive(b"field-encryption"))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key: say so instead of showing garbage
        raise RuntimeError("personal data cannot be decrypted with the configured key") from exc


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised value, for equality search without storing the value."""
    key = _derive(b"lookup-hash")
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


class EncryptedString(TypeDecorator):
    """A string column encrypted at rest; Python sees plain text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value in (None, "") else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


#: Length of a keyed-hash column (hex SHA-256).
HashString = String(64)


def mask_phone(phone: str | None) -> str:
    """``13812345678`` → ``138****5678``; short numbers keep only their last two digits."""
    if not phone:
        return ""
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * (len(phone) - 2) + phone[-2:]


def mask_id_number(number: str | None) -> str:
    """``430102199001011234`` → ``4301**********1234`` (first four and last four shown)."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
