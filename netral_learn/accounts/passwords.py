"""Password hashing (argon2id), password rules and generated first passwords.

First passwords are generated, printed on login slips and therefore kept *encrypted*
(Fernet, key derived from SECRET_KEY) rather than hashed, until the person chooses their own
password, which is then hashed with argon2id and the encrypted copy deleted. This also keeps a
100,000-row roster import fast: no argon2 work happens at import time.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import lazy_gettext as _l

#: No 0/O, 1/l/I: slips are read off paper and typed on phones.
_SLIP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
MIN_LENGTH = 8
MAX_LENGTH = 128
_COMMON = {
    "password", "password1", "12345678", "123456789", "1234567890", "qwerty123", "iloveyou",
    "11111111", "00000000", "abcd1234", "admin123", "bismillah", "indonesia", "netralitas",
    "katasandi", "pegawai123", "asn12345", "rahasia123", "passw0rd",
}


def hasher() -> PasswordHasher:
    """The argon2id hasher with the configured cost (never below OWASP's minimum)."""
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_PARALLELISM"])
    cached = current_app.extensions.get("argon2")
    if cached is None or cached[0] != key:
        cached = (key, PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2]))
        current_app.extensions["argon2"] = cached
    return cached[1]


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


def generate_initial_password() -> str:
    """A first password easy to copy from paper: ``xxxx-xxxx-xxxx`` (~59 bits)."""
    groups = ["".join(secrets.choice(_SLIP_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"netral-learn/initial-password/" + current_app.secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_initial(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def decrypt_initial(token: str | None) -> str | None:
    """The first password, or None when absent or unreadable (SECRET_KEY changed)."""
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def matches_initial(token: str | None, password: str) -> bool:
    plain = decrypt_initial(token)
    return plain is not None and hmac.compare_digest(plain.encode(), password.encode())


def password_problems(password: str, *, nip: str, name: str = "") -> list:
    """Reasons (Indonesian) why ``password`` may not be chosen; empty when it is fine."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_l("Kata sandi minimal %(n)d karakter.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_l("Kata sandi maksimal %(n)d karakter.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) <= 2:
        problems.append(_l("Kata sandi ini terlalu umum atau mudah ditebak."))
    if nip and nip.lower() in lowered:
        problems.append(_l("Kata sandi tidak boleh memuat NIP/ID Anda."))
    first_name = name.split()[0].lower() if name.strip() else ""
    if len(first_name) >= 4 and first_name in lowered and len(password) < 14:
        problems.append(_l("Kata sandi pendek tidak boleh memuat nama Anda."))
    return problems
