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
    """Write ``(title, headers, rows, widths)`` sheets to a file or path in openpyxl's write-only mode
    (rows may be a generator: memory stays flat), with a bold coloured, frozen header row, column
    widths, and every cell through :func:`safe_cell` so text is stored as text, never as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    font, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
    alignment = Alignment(vertical="center", wrap_text=True)
    for title, headers, rows, widths in sheets:
        sheet = workbook.create_sheet(title)
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for value in headers:
            cell = WriteOnlyCell(sheet, safe_cell(str(value)))
            cell.font, cell.fill, cell.alignment = font, fill, alignment
            header.append(cell)
        sheet.append(header)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
    workbook.save(target)
