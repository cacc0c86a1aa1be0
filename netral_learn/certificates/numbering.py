"""Certificate number patterns (pure): '800/{nomor:04d}/NETRAL/BKPSDM/{tahun}' → '800/0001/NETRAL/BKPSDM/2026'."""
from __future__ import annotations

import re
import string

ROMAN_MONTHS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
FIELDS = {"nomor", "tahun", "bulan_romawi"}
DEFAULT_PATTERN = "800/{nomor:04d}/NETRAL/BKPSDM/{tahun}"
#: Certificate.number is a String(120).
MAX_LENGTH = 120
#: Format specs a pattern may use: zero padding and a width below 100 ("04d", "3").
_SPEC = re.compile(r"0?\d{0,2}d?")


class PatternError(ValueError):
    """The pattern uses an unknown field or cannot be formatted."""


def check_pattern(pattern: str) -> None:
    """A pattern must contain {nomor}, only the known fields, simple widths, and give numbers that fit."""
    try:
        parts = [(name, spec) for _, name, spec, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError:
        raise PatternError("kurung kurawal { } tidak berpasangan") from None
    fields = {name for name, _ in parts}
    unknown = fields - FIELDS
    if unknown:
        raise PatternError("kolom tidak dikenal: " + ", ".join(sorted(unknown)))
    if "nomor" not in fields:
        raise PatternError("pola harus memuat {nomor}")
    if any(spec and not _SPEC.fullmatch(spec) for _, spec in parts):
        raise PatternError("format kolom tidak sah (contoh yang benar: {nomor:04d})")
    try:
        longest = format_number(pattern, 99999, 2026, 8)
    except PatternError:
        raise PatternError("format kolom tidak sah (contoh yang benar: {nomor:04d})") from None
    if len(longest) > MAX_LENGTH:
        raise PatternError(f"nomor yang dihasilkan lebih dari {MAX_LENGTH} karakter")


def format_number(pattern: str, seq: int, year: int, month: int) -> str:
    try:
        return pattern.format(nomor=seq, tahun=year, bulan_romawi=ROMAN_MONTHS[month - 1])
    except (ValueError, KeyError, IndexError) as exc:
        raise PatternError(str(exc)) from None
