"""NIP (PNS) and NI PPPK parsing: 18 digits whose parts must be real.

NIP PNS:  YYYYMMDD birth date · YYYYMM first appointment (TMT CPNS) · gender 1/2 · NNN sequence.
NI PPPK:  YYYYMMDD birth date · YYYY first appointment year · 2x PPPK marker · gender · NNN.
Non-ASN staff have an identifier assigned by the instansi instead.
Every way a number can be wrong has its own message, in Indonesian, for the UI and the
import error report. No database here: pure functions, property-tested.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

MIN_BIRTH_YEAR = 1940
MIN_AGE_AT_APPOINTMENT = 17
_NON_ASN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{2,31}$")
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE][+]?\d+$")


class IdentifierError(ValueError):
    """An identifier is wrong; ``code`` names the rule, ``message`` explains it to a person."""

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


@dataclass(frozen=True)
class NipInfo:
    """What an 18-digit NIP or NI PPPK says about its holder."""

    number: str
    kind: str  # "PNS" or "PPPK"
    birth_date: date
    appointment_year: int
    appointment_month: int | None  # None for PPPK (digits 13–14 are not a month)
    gender: str  # "L" (1) or "P" (2)
    sequence: int

    @property
    def grouped(self) -> str:
        """The usual written form, e.g. ``19860926 201505 1 001``."""
        n = self.number
        return f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}"


def canonical_text(raw: object) -> str:
    """NFKC form: full-width digits and letters (phone keyboards, pasted text) become ASCII.

    Digits of other scripts (Arabic-Indic ``٠١٢``…) stay what they are and are refused by the
    validators below, so one NIP can never be written two ways that both work."""
    return unicodedata.normalize("NFKC", str(raw or ""))


def is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def normalize(raw: object) -> str:
    """NFKC, then strip the spaces (and dots) people type between NIP groups."""
    return re.sub(r"[\s.]", "", canonical_text(raw))


def _digits(raw: object, label: str) -> str:
    text = canonical_text(raw).strip()
    if not text:
        raise IdentifierError("required", _l("%(label)s wajib diisi.", label=label))
    if _SCIENTIFIC.match(text):
        raise IdentifierError(
            "scientific",
            _l(
                "%(label)s terbaca sebagai angka ilmiah (%(value)s), sehingga digitnya hilang. "
                "Format kolom ini sebagai Teks di Excel, lalu ketik ulang nomornya.",
                label=label,
                value=text,
            ),
        )
    number = normalize(text)
    if not is_ascii_digits(number):
        raise IdentifierError(
            "not_digits", _l("%(label)s hanya boleh berisi angka 0–9.", label=label)
        )
    if len(number) != 18:
        raise IdentifierError(
            "length",
            _l("%(label)s harus 18 digit; yang tertulis %(n)d digit.", label=label, n=len(number)),
        )
    return number


def _birth_date(number: str, label: str, today: date) -> date:
    try:
        born = date(int(number[0:4]), int(number[4:6]), int(number[6:8]))
    except ValueError:
        raise IdentifierError(
            "birth_date",
            _l(
                "8 digit pertama %(label)s (tanggal lahir %(value)s) bukan tanggal yang ada.",
                label=label,
                value=number[:8],
            ),
        ) from None
    if born.year < MIN_BIRTH_YEAR or born > date(today.year - MIN_AGE_AT_APPOINTMENT, 12, 31):
        raise IdentifierError(
            "birth_date_implausible",
            _l(
                "Tanggal lahir pada %(label)s (%(value)s) tidak masuk akal untuk pegawai.",
                label=label,
                value=born.isoformat(),
            ),
        )
    return born


def _appointment_year(number: str, born: date, label: str, today: date) -> int:
    year = int(number[8:12])
    if year < born.year + MIN_AGE_AT_APPOINTMENT or year > today.year:
        raise IdentifierError(
            "appointment_year",
            _l(
                "Tahun pengangkatan pada %(label)s (%(year)d) tidak masuk akal: harus antara "
                "%(low)d dan %(high)d untuk tanggal lahir %(born)s.",
                label=label,
                year=year,
                low=born.year + MIN_AGE_AT_APPOINTMENT,
                high=today.year,
                born=born.isoformat(),
            ),
        )
    return year


def _gender_and_sequence(number: str, label: str) -> tuple[str, int]:
    gender_digit = number[14]
    if gender_digit not in "12":
        raise IdentifierError(
            "gender",
            _l(
                "Digit ke-15 %(label)s (jenis kelamin) harus 1 (laki-laki) atau 2 (perempuan); "
                "tertulis %(value)s.",
                label=label,
                value=gender_digit,
            ),
        )
    sequence = int(number[15:18])
    if sequence == 0:
        raise IdentifierError(
            "sequence",
            _l("3 digit terakhir %(label)s (nomor urut) tidak boleh 000.", label=label),
        )
    return ("L" if gender_digit == "1" else "P"), sequence


def parse_nip(raw: object, today: date | None = None) -> NipInfo:
    """Parse a PNS NIP, raising :class:`IdentifierError` with the first rule it breaks."""
    today = today or date.today()
    label = "NIP"
    number = _digits(raw, label)
    born = _birth_date(number, label, today)
    year = _appointment_year(number, born, label, today)
    month = int(number[12:14])
    if not 1 <= month <= 12:
        hint = (
            _l(" Angka %(value)s di posisi ini menandai NI PPPK: pilih jenis PPPK.", value=number[12:14])
            if number[12] == "2"
            else ""
        )
        raise IdentifierError(
            "appointment_month",
            _l(
                "Digit ke-13–14 NIP (bulan TMT CPNS) harus 01–12; tertulis %(value)s.%(hint)s",
                value=number[12:14],
                hint=hint,
            ),
        )
    if (year, month) > (today.year, today.month):
        raise IdentifierError(
            "appointment_future",
            _l("TMT CPNS pada NIP (%(value)s) masih di masa depan.", value=f"{year}-{month:02d}"),
        )
    gender, sequence = _gender_and_sequence(number, label)
    return NipInfo(number, "PNS", born, year, month, gender, sequence)


def parse_ni_pppk(raw: object, today: date | None = None) -> NipInfo:
    """Parse an NI PPPK (digits 13–14 start with 2: a PPPK marker, not a month)."""
    today = today or date.today()
    label = "NI PPPK"
    number = _digits(raw, label)
    born = _birth_date(number, label, today)
    year = _appointment_year(number, born, label, today)
    if number[12] != "2":
        raise IdentifierError(
            "pppk_marker",
            _l(
                "Digit ke-13 NI PPPK harus 2 (penanda PPPK); tertulis %(value)s. "
                "Jika ini NIP PNS, pilih jenis PNS.",
                value=number[12],
            ),
        )
    gender, sequence = _gender_and_sequence(number, label)
    return NipInfo(number, "PPPK", born, year, None, gender, sequence)


def validate_identifier(raw: object, jenis: str, today: date | None = None) -> str:
    """Return the normalized login identifier for a person of ``jenis``, or raise."""
    if jenis == "PNS":
        return parse_nip(raw, today).number
    if jenis == "PPPK":
        return parse_ni_pppk(raw, today).number
    text = canonical_text(raw).strip()
    if not text:
        raise IdentifierError("required", _l("ID pegawai non-ASN wajib diisi."))
    if not _NON_ASN_ID.match(text):
        raise IdentifierError(
            "non_asn_format",
            _l(
                "ID pegawai non-ASN harus 3–32 karakter: huruf, angka, titik, garis miring "
                "atau tanda hubung, diawali huruf/angka."
            ),
        )
    return text.upper()
