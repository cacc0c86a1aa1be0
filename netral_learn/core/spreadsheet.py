"""Reading and writing spreadsheet cells safely (CSV/XLSX import and export)."""
from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: str) -> bool:
    """True for text a spreadsheet would run as a formula (``=CMD(...)``, ``@SUM``, ``+1+2``).

    A leading '+' or '-' followed only by digits, spaces and dashes (a phone number such as
    '+62 812-3456') is data, not a formula.
    """
    if not value or not value.startswith(_FORMULA_STARTS):
        return False
    if value[0] in "+-":
        rest = value[1:].replace(" ", "").replace("-", "")
        return not rest.isdigit()
    return True


def safe_cell(value):
    """Neutralize text that a spreadsheet would treat as a formula, for exports."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
