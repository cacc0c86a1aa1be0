"""Reading and writing spreadsheet cells safely (CSV/XLSX import and export).

Exports are robust to any stored text: control characters that XML 1.0 cannot carry (NUL, ESC, …,
openpyxl's ILLEGAL_CHARACTERS_RE) are dropped, and text a spreadsheet would run as a formula is
prefixed with an apostrophe. Numbers stay numbers; an XLSX column may give them a number format
(``#,##0`` shows 1.250 in an Indonesian Excel or LibreOffice, 1,250 in an English one).
"""
from __future__ import annotations

import re

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The characters openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE): C0 controls but tab, LF and CR.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Number formats for XLSX columns: whole numbers with thousands, one decimal (percent points, scores).
INTEGER = "#,##0"
DECIMAL = "#,##0.0"


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


def clean_text(value: str) -> str:
    """``value`` without the control characters a spreadsheet file cannot hold (NUL, ESC, …)."""
    return _ILLEGAL.sub("", value)


def safe_cell(value):
    """Text fit for an export: control characters dropped, and a would-be formula neutralized."""
    if isinstance(value, str):
        value = clean_text(value)
        if value.startswith(_FORMULA_STARTS):
            return "'" + value
    return value


def csv_bytes(headers: list[str], rows) -> bytes:
    """A CSV export (UTF-8 with BOM, so Excel reads it) with every cell through :func:`safe_cell`."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheets) -> bytes:
    """An XLSX workbook from ``(title, headers, rows, widths)`` sheets, as bytes (see :func:`write_xlsx`)."""
    import io

    buffer = io.BytesIO()
    write_xlsx(sheets, buffer)
    return buffer.getvalue()


def write_xlsx(sheets, target) -> None:
    """Write ``(title, headers, rows, widths[, formats])`` sheets to a file or path in openpyxl's
    write-only mode (rows may be a generator: memory stays flat), with a bold coloured, frozen header
    row, column widths, every cell through :func:`safe_cell` so text is stored as text, never as a
    formula, and numbers in a column with a format (``formats[i]``, e.g. :data:`INTEGER`) shown in it."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    font, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
    alignment = Alignment(vertical="center", wrap_text=True)
    for title, headers, rows, widths, *rest in sheets:
        formats = rest[0] if rest else ()
        sheet = workbook.create_sheet(clean_text(title)[:31])
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for value in headers:
            cell = WriteOnlyCell(sheet, safe_cell(str(value)))
            cell.font, cell.fill, cell.alignment = font, fill, alignment
            header.append(cell)
        sheet.append(header)
        if not any(formats):
            for row in rows:
                sheet.append([safe_cell(v) for v in row])
            continue
        for row in rows:
            cells = []
            for index, value in enumerate(row):
                number_format = formats[index] if index < len(formats) else None
                if number_format and isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell = WriteOnlyCell(sheet, value)
                    cell.number_format = number_format
                    cells.append(cell)
                else:
                    cells.append(safe_cell(value))
            sheet.append(cells)
    workbook.save(target)
