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
import os
import re
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import lazy_gettext as _l
from zxcvbn import matching as zxcvbn_matching
from zxcvbn import zxcvbn

#: No 0/O, 1/l/I: slips are read off paper and typed on phones.
_SLIP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
MIN_LENGTH = 8
MAX_LENGTH = 128
#: zxcvbn's score (0-4) a chosen password must reach: 3 = about 10^8 guesses or more.
MIN_STRENGTH_SCORE = 3
#: zxcvbn looks at this many characters (its own limit); a longer password is judged by its start.
_STRENGTH_PREFIX = 72
#: Words of the site itself, never a good part of a password on it.
_SITE_WORDS = ("netral", "netralitas", "learn", "bkpsdm", "asn", "pns", "pppk", "pakta", "integritas",
               "sertifikat", "kuis")


def _load_common() -> list[str]:
    """The bundled list of common passwords (data/common_passwords.txt, sources cited there), most
    common first, without duplicates."""
    path = Path(__file__).with_name("data") / "common_passwords.txt"
    words: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.strip().lower()
        if word and not word.startswith("#"):
            words.setdefault(word)
    return list(words)


_COMMON_RANKED = _load_common()
_COMMON = frozenset(_COMMON_RANKED)
# An extra ranked dictionary for zxcvbn, so variations of these words are caught too.
zxcvbn_matching.add_frequency_lists({"netral_common": _COMMON_RANKED})
#: zxcvbn keeps the person's own words in a module-level dictionary while it scores: one at a time.
_ZXCVBN_LOCK = threading.Lock()


def hasher() -> PasswordHasher:
    """The argon2id hasher with the configured cost (never below OWASP's minimum)."""
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_PARALLELISM"])
    cached = current_app.extensions.get("argon2")
    if cached is None or cached[0] != key:
        cached = (key, PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2]))
        current_app.extensions["argon2"] = cached
    return cached[1]


#: argon2 runs outside the GIL, each run holding ARGON2_MEMORY_KIB (19 MiB): a burst of fifty
#: logins or signatures in one process would hold a gigabyte at once. At most this many run
#: together; the others wait their turn (the cores are busy anyway).
_ARGON2_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


def hash_password(password: str) -> str:
    with _ARGON2_SLOTS:
        return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        with _ARGON2_SLOTS:
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


def context_words(*, nip: str = "", name: str = "", places: Iterable[str] = ()) -> list[str]:
    """What an attacker knows about the person: name, NIP (and its date parts), unit and instansi
    names, and the site's own words; zxcvbn treats each as a word worth almost no guesses."""
    words: list[str] = list(_SITE_WORDS)
    for text in (name, *places):
        parts = [part for part in re.split(r"[^\w]+", (text or "").lower()) if len(part) >= 3]
        words.extend(parts)
        if len(parts) > 1:
            words.append("".join(parts))
    nip = (nip or "").lower()
    if nip:
        words.append(nip)
        if len(nip) == 18 and nip.isdigit():  # birth date, its year and TMT of the NIP
            words.extend([nip[:8], nip[:4], nip[8:14], nip[8:12], nip[2:8], nip[6:8] + nip[4:6] + nip[:4]])
    return words


def _strength(password: str, context: list[str]) -> dict:
    with _ZXCVBN_LOCK:
        return zxcvbn(password[:_STRENGTH_PREFIX], user_inputs=context)


def _without(lowered: str, context: list[str]) -> str:
    """``lowered`` with every context word of 3 letters or more cut out, longest first."""
    for word in sorted({w for w in context if len(w) >= 3}, key=len, reverse=True):
        lowered = lowered.replace(word, "")
    return lowered


_COMMON_DICTIONARIES = {"passwords", "netral_common"}


def _weaknesses(result: dict) -> list:
    """Indonesian reasons drawn from the patterns zxcvbn found, in the order found, once each."""
    reasons: list = []

    def add(reason) -> None:
        if all(str(reason) != str(seen) for seen in reasons):
            reasons.append(reason)

    for match in result["sequence"]:
        pattern = match.get("pattern")
        if pattern == "dictionary":
            source = match.get("dictionary_name")
            if source == "user_inputs":
                add(_l("memuat nama, NIP, unit kerja, instansi Anda atau nama situs ini"))
            elif source in _COMMON_DICTIONARIES:
                add(_l("mirip kata sandi yang paling sering dipakai orang"))
            else:
                add(_l("memuat kata atau nama umum yang ada di kamus"))
            if match.get("l33t"):
                add(_l("mengganti huruf dengan angka atau simbol (@ untuk a, 0 untuk o) tidak membuatnya lebih kuat"))
            if match.get("reversed"):
                add(_l("kata yang dibalik tetap mudah ditebak"))
        elif pattern == "spatial":
            add(_l("memakai pola papan ketik (qwerty, asdf)"))
        elif pattern == "repeat":
            add(_l("mengulang karakter atau pola yang sama"))
        elif pattern == "sequence":
            add(_l("memakai urutan (abcd, 1234)"))
        elif pattern in ("date", "regex"):
            add(_l("memuat tanggal atau tahun"))
    if not reasons:
        add(_l("terlalu pendek untuk jenis karakternya"))
    return reasons


def password_problems(password: str, *, nip: str, name: str = "", places: Iterable[str] = ()) -> list:
    """Reasons (Indonesian) why ``password`` may not be chosen; empty when it is fine.

    ``places`` are the names of the person's unit and instansi: like name and NIP, a password
    built from them is among the first an attacker tries."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_l("Kata sandi minimal %(n)d karakter.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_l("Kata sandi maksimal %(n)d karakter.", n=MAX_LENGTH))
    if problems:
        return problems
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) <= 2:
        return [_l("Kata sandi ini terlalu umum atau mudah ditebak.")]
    if nip and nip.lower() in lowered:
        problems.append(_l("Kata sandi tidak boleh memuat NIP/ID Anda."))
    context = context_words(nip=nip, name=name, places=places)
    result = _strength(password, context)
    rest = _without(lowered, context)
    if rest != lowered and _strength(rest, [])["score"] < MIN_STRENGTH_SCORE:
        problems.append(_l(
            "Kata sandi ini dibangun dari nama, NIP, unit kerja atau instansi Anda, dan sisanya mudah "
            "ditebak. Tambahkan kata lain yang tidak berhubungan dengan Anda."))
    elif result["score"] < MIN_STRENGTH_SCORE:
        problems.append(_l(
            "Kata sandi ini mudah ditebak: %(reasons)s. Buat yang lebih panjang, misalnya tiga atau empat "
            "kata yang tidak saling berhubungan, diselingi angka atau tanda baca.",
            reasons="; ".join(str(reason) for reason in _weaknesses(result))))
    return problems
