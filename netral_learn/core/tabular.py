"""Reading uploaded tables (CSV, XLSX) safely: the one reader every spreadsheet importer uses.

The roster import and the question-bank import both go through :func:`read_table`, which

* refuses an XLSX whose zip archive declares too much (a zip bomb) before any XML is parsed,
  and caps rows and columns while reading, so a hostile file costs a bounded moment and
  bounded memory;
* decodes a CSV as UTF-8 first (with or without BOM), then UTF-16 (BOM), then Windows-1252,
  and says which one it used so the preview can show it (a wrong guess shows in the names);
* finds the header row among the first :data:`HEADER_SEARCH_ROWS` rows (exports often carry a
  title row and blank rows above it), matches headers to the importer's columns by name, and
  reports the mapping;
* skips blank rows and yields the others with their row number in the file.

Cells are checked by :func:`cell_errors`: a NUL byte or another control character is a row
error (PostgreSQL refuses NUL in text; control characters break exports and certificates).
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from flask_babel import lazy_gettext as _l

#: Rows above the header that may hold a title, a date line or blank rows.
HEADER_SEARCH_ROWS = 10
#: Widest table read; a cell further right refuses the file (nothing is dropped silently).
MAX_COLUMNS = 200
#: Declared uncompressed size of a whole XLSX archive (a 200,000-row roster is about 100 MB).
XLSX_MAX_UNCOMPRESSED = 256 * 1024 * 1024
#: The shared-strings part is loaded whole by the reader: cap it on its own.
XLSX_MAX_SHARED_STRINGS = 64 * 1024 * 1024
#: Compression ratio of one part above which it is treated as a zip bomb (real sheets: 5–30).
XLSX_MAX_RATIO = 100
#: Parts smaller than this are never refused for their ratio (tiny XML compresses very well).
XLSX_RATIO_FLOOR = 1024 * 1024
XLSX_MAX_PARTS = 1000

#: Unicode's control characters (category Cc: C0, DEL, C1) but tab, line feed and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_EXCEL_ESCAPE = re.compile(r"_x00([01][0-9A-Fa-f])_")


class TabularFileError(Exception):
    """The file as a whole cannot be read (type, size, encoding, headers); nothing was written."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Column:
    """A column an importer understands: its key, the header it writes, the headers it accepts."""

    key: str
    title: str  # header written in the template
    aliases: tuple[str, ...]
    required: bool = False
    description: str = ""


@dataclass
class RowError:
    """One problem of one row, as shown in the preview and the downloadable error report."""

    row: int
    column: str
    value: str
    message: str


@dataclass
class Table:
    """A table read from an upload: where its header is, how headers map, and its data rows."""

    headers: list[str]
    header_row: int  #: 1-based row number of the header in the file
    encoding: str | None  #: "UTF-8", "UTF-16", "Windows-1252"; None for XLSX
    positions: dict[str, int]  #: column key → index in each row
    mapping: list[tuple[str, str | None]] = field(default_factory=list)  #: (file header, column title or None)
    rows: Iterator[tuple[int, list]] = field(default_factory=lambda: iter(()))

    @property
    def ignored(self) -> list[str]:
        return [header for header, title in self.mapping if title is None]

    @cached_property
    def keys_by_index(self) -> dict[int, str]:
        return {index: key for key, index in self.positions.items()}


def header_key(text: object) -> str:
    """A header as compared: lower case, ``_ * : .`` as spaces, runs of spaces as one."""
    return " ".join(re.sub(r"[_*:.]", " ", str(text or "")).lower().split())


def alias_index(columns: Iterable[Column]) -> dict[str, Column]:
    """Every accepted header (title and aliases, compared by :func:`header_key`) → its column."""
    index: dict[str, Column] = {}
    for column in columns:
        for alias in (column.title, *column.aliases):
            index.setdefault(header_key(alias), column)
    return index


def alias_rank(columns: Iterable[Column]) -> dict[str, int]:
    """Each accepted header's rank within its column: 0 for the title, then the aliases in order."""
    rank: dict[str, int] = {}
    for column in columns:
        for position, alias in enumerate((column.title, *column.aliases)):
            rank.setdefault(header_key(alias), position)
    return rank


def read_table(filename: str, data: bytes, columns: tuple[Column, ...], *, max_rows: int,
               missing: Callable[[set[str]], list[str]] | None = None) -> Table:
    """Read a CSV or XLSX upload into a :class:`Table`, or raise :class:`TabularFileError`.

    ``missing`` names the required columns absent from a set of found keys (default: the
    columns marked required). ``max_rows`` caps the data rows; blank rows count towards a
    slightly larger cap on the rows read, so a sheet of empty rows is refused too.
    """
    name = (filename or "").lower()
    if not data:
        raise TabularFileError(_l("Berkas kosong."))
    if name.endswith(".xlsx"):
        raw_rows, encoding = _xlsx_rows(data), None
    elif name.endswith(".csv"):
        raw_rows, encoding = _csv_rows(data)
    elif name.endswith(".xls"):
        raise TabularFileError(_l("Format .xls lama tidak didukung. Simpan ulang sebagai Excel Workbook (.xlsx) "
                                  "atau CSV UTF-8."))
    else:
        raise TabularFileError(_l("Jenis berkas tidak didukung: unggah .csv atau .xlsx."))
    missing = missing or (lambda found: [c.title for c in columns if c.required and c.key not in found])
    return _find_header(raw_rows, columns, missing, encoding, max_rows)


def _find_header(raw_rows: Iterator[tuple[int, list]], columns, missing, encoding, max_rows: int) -> Table:
    by_alias = alias_index(columns)
    physical_limit = max_rows + max(1000, max_rows // 10) + HEADER_SEARCH_ROWS
    numbered = _capped(raw_rows, physical_limit, max_rows)
    looked_at: list[tuple[int, list]] = []
    best = None  # (number of recognised headers, row number, cells, missing names)
    for number, cells in numbered:
        looked_at.append((number, cells))
        if not any(_shown(c) for c in cells):
            if number >= HEADER_SEARCH_ROWS:
                break
            continue
        found = {by_alias[k].key for k in (header_key(c) for c in cells) if k in by_alias}
        absent = missing(found)
        if not absent:
            best = (len(found), number, cells, [])
            break
        if best is None or len(found) > best[0]:
            best = (len(found), number, cells, absent)
        if number >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise TabularFileError(_l("Berkas tidak berisi baris judul maupun data."))
    _, header_row, header_cells, absent = best
    headers = [_shown(c) for c in header_cells]
    if absent:
        raise TabularFileError(_l(
            "Kolom wajib tidak ditemukan di baris judul (dicari di %(n)d baris pertama): %(missing)s. "
            "Kolom yang terbaca: %(found)s. Unduh templat untuk melihat nama kolom yang dikenali.",
            n=HEADER_SEARCH_ROWS, missing=", ".join(absent),
            found=", ".join(h for h in headers if h) or "-"))
    rank = alias_rank(columns)
    chosen: dict[str, int] = {}  # column key → index of the best-ranked header naming it
    for index, header in enumerate(headers):
        column = by_alias.get(header_key(header))
        if column is None:
            continue
        if column.key in chosen:
            other = chosen[column.key]
            if header_key(headers[other]) == header_key(header):
                raise TabularFileError(_l("Kolom %(col)s muncul lebih dari sekali di baris judul (%(a)s dan %(b)s).",
                                          col=column.title, a=headers[other], b=header))
            if rank[header_key(header)] >= rank[header_key(headers[other])]:
                continue  # e.g. "Unit Kerja" beside "OPD": the more specific name wins
        chosen[column.key] = index
    positions = dict(chosen)
    used = {index: key for key, index in chosen.items()}
    titles = {c.key: c.title for c in columns}
    mapping: list[tuple[str, str | None]] = [(header, titles[used[index]] if index in used else None)
                                             for index, header in enumerate(headers) if header]

    def data_rows():
        for number, cells in looked_at:
            if number > header_row and any(_shown(c) for c in cells):
                yield number, cells
        for number, cells in numbered:
            if any(_shown(c) for c in cells):
                yield number, cells

    return Table(headers=headers, header_row=header_row, encoding=encoding, positions=positions,
                 mapping=mapping, rows=data_rows())


def _capped(raw_rows: Iterator[tuple[int, list]], physical_limit: int, max_rows: int) -> Iterator[tuple[int, list]]:
    for number, cells in raw_rows:
        if number > physical_limit:
            raise TabularFileError(_l("Berkas melebihi %(n)d baris; bagi menjadi beberapa berkas.", n=max_rows))
        if len(cells) > MAX_COLUMNS and any(_shown(c) for c in cells[MAX_COLUMNS:]):
            raise _too_wide(number)
        yield number, list(cells[:MAX_COLUMNS])


def _shown(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


# --- CSV -----------------------------------------------------------------------------------

def _csv_rows(data: bytes) -> tuple[Iterator[tuple[int, list]], str]:
    if data.startswith(b"PK\x03\x04"):
        raise TabularFileError(_l("Berkas ini bukan CSV teks (mungkin XLSX yang diberi nama .csv)."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TabularFileError(_l("Berkas ini format Excel .xls lama yang diberi nama .csv. Simpan ulang sebagai "
                                  "Excel Workbook (.xlsx) atau CSV UTF-8."))
    text, encoding = _decode(data)
    lines = text.splitlines()[: HEADER_SEARCH_ROWS + 5]
    delimiter = max([",", ";", "\t"], key=lambda d: max((line.count(d) for line in lines), default=0))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows():
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as exc:
            raise TabularFileError(_l("CSV rusak di baris %(line)d: %(e)s", line=reader.line_num, e=str(exc))) from None

    return rows(), encoding


def _decode(data: bytes) -> tuple[str, str]:
    """Text of a CSV and the encoding read: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise TabularFileError(_l("Berkas UTF-16 rusak; simpan ulang sebagai CSV UTF-8.")) from None
    head = data[:4096]
    if head.count(0) > len(head) // 4:
        raise TabularFileError(_l("Berkas ini bukan CSV teks (berisi data biner). Simpan ulang sebagai CSV UTF-8."))
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TabularFileError(_l(
            "Enkode berkas CSV tidak dikenali (bukan UTF-8 maupun Windows-1252; karakter tak terbaca di baris "
            "%(line)d). Di Excel pilih Simpan Sebagai \u2192 \u201cCSV UTF-8 (dibatasi koma)\u201d, lalu unggah lagi.",
            line=line)) from None


# --- XLSX ----------------------------------------------------------------------------------

def check_xlsx_archive(data: bytes) -> None:
    """Refuse an XLSX whose archive is not a zip, or declares more than a real roster needs.

    Only the central directory is read: a zip bomb is refused before a byte is inflated. The
    declared sizes bound what is read, since the zip reader stops at a part's declared size.
    """
    if not data.startswith(b"PK\x03\x04"):
        raise TabularFileError(_l("Berkas ini bukan XLSX yang sah (mungkin format .xls lama atau CSV). "
                                  "Simpan ulang sebagai Excel Workbook (.xlsx)."))
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise TabularFileError(_l("Berkas XLSX rusak atau tidak dapat dibaca (%(e)s).", e=type(exc).__name__)) from None
    too_big = _l("Isi berkas XLSX terlalu besar atau tidak wajar (mungkin \u201czip bomb\u201d); berkas ditolak. "
                 "Simpan ulang hanya lembar yang diperlukan, atau unggah sebagai CSV.")
    if len(infos) > XLSX_MAX_PARTS or sum(i.file_size for i in infos) > XLSX_MAX_UNCOMPRESSED:
        raise TabularFileError(too_big)
    for info in infos:
        if info.filename.lower().endswith("sharedstrings.xml") and info.file_size > XLSX_MAX_SHARED_STRINGS:
            raise TabularFileError(too_big)
        if info.file_size > XLSX_RATIO_FLOOR and info.file_size > XLSX_MAX_RATIO * max(info.compress_size, 1):
            raise TabularFileError(too_big)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook
    from openpyxl.worksheet._reader import WorkSheetParser

    check_xlsx_archive(data)
    unreadable = (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, SyntaxError, EOFError)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except unreadable as exc:
        raise TabularFileError(_l("Berkas XLSX rusak atau tidak dapat dibaca (%(e)s).", e=type(exc).__name__)) from None
    if not workbook.worksheets:
        raise TabularFileError(_l("Berkas XLSX tidak berisi lembar kerja."))
    sheet = workbook.worksheets[0]

    def rows():
        # The sheet's rows as written, numbered as in the file. Not through iter_rows: it trusts the
        # declared dimension ("A1:XFD1048576") and pads every gap and row with empty cells, which
        # turns a tiny file into minutes of work.
        try:
            with sheet._get_source() as source:  # openpyxl's own streaming parser (pinned version)
                parser = WorkSheetParser(source, sheet._shared_strings, data_only=False, epoch=workbook.epoch,
                                         date_formats=workbook._date_formats,
                                         timedelta_formats=workbook._timedelta_formats)
                for number, cells in parser.parse():
                    yield number, _row_values(number, cells)
        except unreadable as exc:
            raise TabularFileError(_l("Berkas XLSX rusak atau tidak dapat dibaca (%(e)s).",
                                      e=type(exc).__name__)) from None
        finally:
            workbook.close()

    return rows()


def _row_values(number: int, cells: list[dict]) -> list:
    values: dict[int, object] = {}
    for cell in cells:
        if cell["value"] is None:
            continue
        if cell["column"] > MAX_COLUMNS:
            raise _too_wide(number)
        values[cell["column"] - 1] = _unescape(cell["value"])
    width = max(values, default=-1) + 1
    return [values.get(i) for i in range(width)]


def _too_wide(number: int) -> TabularFileError:
    return TabularFileError(_l("Berkas memiliki lebih dari %(n)d kolom (baris %(row)d); hapus kolom yang tidak "
                               "diperlukan.", n=MAX_COLUMNS, row=number))


def _unescape(value):
    """Excel writes a control character in text as ``_x0007_``: read it back as the character."""
    if isinstance(value, str) and "_x00" in value:
        return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


# --- cells ---------------------------------------------------------------------------------

def control_characters(text: str) -> bool:
    """True when the text holds a NUL or another control character (tab and line breaks aside)."""
    return _CONTROL.search(text) is not None


def visible(text: str) -> str:
    """The text with each control character written as ``\\xNN``, for error messages and reports."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def cell_errors(cells: list, table: Table) -> list[tuple[str, str, object]]:
    """(column key or file header, shown value, message) for each cell holding a control character.

    Mapped columns are checked for any control character but tab and line breaks (which the
    importers fold into spaces where a line break makes no sense); other columns for NUL only,
    since a NUL anywhere marks a damaged file.
    """
    errors: list[tuple[str, str, object]] = []
    mapped = table.keys_by_index
    for index, value in enumerate(cells):
        if not isinstance(value, str):
            continue
        key = mapped.get(index)
        if key is None:
            if "\x00" in value:
                header = table.headers[index] if index < len(table.headers) and table.headers[index] else \
                    str(_l("kolom %(n)d", n=index + 1))
                errors.append((header, visible(value)[:60], _NUL_MESSAGE))
        elif control_characters(value):
            errors.append((key, visible(value)[:60], _NUL_MESSAGE if "\x00" in value else _CONTROL_MESSAGE))
    return errors


_NUL_MESSAGE = _l("Sel berisi karakter NUL (\\x00); berkas kemungkinan rusak. Ketik ulang isi sel ini.")
_CONTROL_MESSAGE = _l("Sel berisi karakter kontrol yang tidak terlihat (ditampilkan sebagai \\xNN); "
                      "ketik ulang isi sel ini tanpa karakter tersebut.")


# --- plans ---------------------------------------------------------------------------------

@dataclass
class ImportPlan:
    """What an import would do; produced by the dry run and applied as a whole."""

    total_rows: int = 0
    new: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    header_row: int = 1  #: where the header was found (1 = first row)
    encoding: str | None = None  #: how a CSV was decoded; None for XLSX
    mapping: list[tuple[str, str | None]] = field(default_factory=list)  #: (file header, column title or None)

    @property
    def ok(self) -> bool:
        return not self.errors and self.total_rows > 0

    @property
    def ignored_headers(self) -> list[str]:
        return [header for header, title in self.mapping if title is None]

    def describe(self, table: Table) -> None:
        """Remember how the file was read (header row, encoding, column mapping) for the preview."""
        self.header_row, self.encoding, self.mapping = table.header_row, table.encoding, table.mapping


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int


def error_report_csv(plan: ImportPlan) -> bytes:
    """The per-row error report (row, column, value, reason), UTF-8 with BOM for Excel."""
    from .spreadsheet import safe_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Baris", "Kolom", "Isi", "Alasan"])
    for error in plan.errors:
        writer.writerow([error.row, error.column, safe_cell(error.value), error.message])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def reading_of(plan: ImportPlan) -> dict:
    """How the file was read, as plain values for a preview page (see templates/_import.html)."""
    return {"header_row": plan.header_row, "encoding": plan.encoding,
            "mapping": [[header, title] for header, title in plan.mapping]}
