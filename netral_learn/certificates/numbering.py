"""Certificate number patterns (pure): '800/{nomor:04d}/NETRAL/BKPSDM/{tahun}' → '800/0001/NETRAL/BKPSDM/2026'."""
from __future__ import annotations

import string

ROMAN_MONTHS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
FIELDS = {"nomor", "tahun", "bulan_romawi"}


class PatternError(ValueError):
    """The pattern uses an unknown field or cannot be formatted."""


def check_pattern(pattern: str) -> None:
    """A pattern must contain {nomor} and only the known fields."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise PatternError(str(exc)) from None
    if "nomor" not in fields:
        raise PatternError("pola harus memuat {nomor}")
    unknown = fields - FIELDS
    if unknown:
        raise PatternError("kolom tidak dikenal: " + ", ".join(sorted(unknown)))
    format_number(pattern, 1, 2026, 1)


def format_number(pattern: str, seq: int, year: int, month: int) -> str:
    try:
        return pattern.format(nomor=seq, tahun=year, bulan_romawi=ROMAN_MONTHS[month - 1])
    except (ValueError, KeyError, IndexError) as exc:
        raise PatternError(str(exc)) from None
