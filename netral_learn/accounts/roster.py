"""Roster import: CSV/XLSX from a personnel system → people, all or nothing.

Columns are matched by header name (see :data:`COLUMNS`, documented in docs/roster-import.md and
in the downloadable template). The import runs in two steps: :func:`plan_import` reads and
validates every row and works out what would change (the dry run); :func:`apply_plan` writes
it in one transaction, and only when not a single row has an error. Upsert is by NIP, so
importing the same file twice changes nothing the second time.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, select, update

from ..core import audit
from ..core.clock import now_utc
from ..core.scope import subtree_clause
from ..core.spreadsheet import looks_like_formula
from ..extensions import db
from . import passwords
from .models import Jenis, Person, Unit
from .nip import IdentifierError, validate_identifier

MAX_ROWS = 200_000
_CHUNK = 5_000


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # header written in the template
    aliases: tuple[str, ...]
    required: bool = False
    description: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("nip", "NIP", ("nip", "nip baru", "ni pppk", "nip/ni pppk", "nomor induk", "id pegawai",
                           "nip / ni pppk / id"), True,
           "NIP PNS atau NI PPPK (18 digit, ketik sebagai teks), atau ID dari instansi untuk non-ASN."),
    Column("nama", "Nama", ("nama", "nama lengkap", "nama pegawai"), True,
           "Nama lengkap dengan gelar, seperti pada dokumen kepegawaian."),
    Column("jenis", "Jenis Pegawai", ("jenis pegawai", "jenis", "status pegawai", "status kepegawaian",
                                      "jenis kepegawaian"), True,
           "PNS (termasuk CPNS), PPPK, atau Non-ASN (honorer, TKK, PTT, PPNPN)."),
    Column("unit", "Unit Kerja", ("unit kerja", "unit", "opd", "unor", "satuan kerja", "nama unor"), False,
           "Nama unit kerja; jika nama sama dipakai beberapa unit, tulis jalurnya: "
           "\"Dinas Pendidikan > Sekretariat\". Wajib bila Kode Unit kosong."),
    Column("kode_unit", "Kode Unit", ("kode unit", "kode unor", "unor id", "id unor", "kode unit kerja"), False,
           "Kode unit dari sistem kepegawaian (opsional; diutamakan bila diisi)."),
    Column("jabatan", "Jabatan", ("jabatan", "nama jabatan"), False, "Nama jabatan (opsional)."),
    Column("golongan", "Golongan", ("golongan", "gol", "golongan/ruang", "pangkat/golongan", "gol/ruang"), False,
           "PNS: I/a sampai IV/e; PPPK: I sampai XVII; kosongkan untuk non-ASN."),
    Column("email", "Email", ("email", "e-mail", "surel", "alamat email"), False, "Alamat email (opsional)."),
    Column("telepon", "Telepon", ("telepon", "no hp", "nomor hp", "hp", "telp", "no telp", "nomor telepon",
                                  "no. hp"), False, "Nomor telepon/HP (opsional)."),
)
_BY_ALIAS = {alias: col for col in COLUMNS for alias in col.aliases}
_FIELDS = ("name", "jenis", "unit_id", "jabatan", "golongan", "email", "phone")

_JENIS_WORDS = {
    "PNS": Jenis.PNS, "CPNS": Jenis.PNS, "PEGAWAI NEGERI SIPIL": Jenis.PNS,
    "PPPK": Jenis.PPPK, "P3K": Jenis.PPPK, "PPPK PARUH WAKTU": Jenis.PPPK,
    "NON ASN": Jenis.NON_ASN, "NONASN": Jenis.NON_ASN, "NON_ASN": Jenis.NON_ASN,
    "HONORER": Jenis.NON_ASN, "TKK": Jenis.NON_ASN, "PTT": Jenis.NON_ASN, "PPNPN": Jenis.NON_ASN,
    "THL": Jenis.NON_ASN, "TNP": Jenis.NON_ASN, "KONTRAK": Jenis.NON_ASN,
}
_PNS_GOLONGAN = re.compile(r"^(I|II|III|IV)\s*[/ ]?\s*([a-eA-E])$")
_PNS_MAX_RUANG = {"I": "d", "II": "d", "III": "d", "IV": "e"}
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
          "XV", "XVI", "XVII"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,20}$")
_PATH_SEPARATOR = re.compile(r"\s*(?:>|›)\s*")


class RosterFileError(Exception):
    """The file as a whole cannot be read (type, encoding, headers); nothing was written."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class ImportPlan:
    """What an import would do; produced by the dry run and applied as a whole."""

    total_rows: int = 0
    new: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.total_rows > 0


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int


# --- reading -------------------------------------------------------------------------------

def _header_key(text: object) -> str:
    return " ".join(re.sub(r"[_*:]", " ", str(text or "")).lower().split())


def read_rows(filename: str, data: bytes) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """Headers and (row number, cells) of a CSV or XLSX file, or :class:`RosterFileError`."""
    name = filename.lower()
    if not data:
        raise RosterFileError(_l("Berkas kosong."))
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith(".csv"):
        return _read_csv(data)
    raise RosterFileError(_l("Jenis berkas tidak didukung: unggah .csv atau .xlsx."))


def _read_csv(data: bytes):
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise RosterFileError(_l("Berkas ini bukan CSV teks (mungkin XLSX yang diberi nama .csv)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterFileError(_l(
            "Berkas CSV tidak berenkode UTF-8 (karakter tak terbaca di baris %(line)d; kemungkinan "
            "Windows-1252/ANSI). Di Excel pilih Simpan Sebagai \u2192 \u201cCSV UTF-8 (dibatasi koma)\u201d, "
            "lalu unggah lagi.", line=line)) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise RosterFileError(_l("Berkas kosong.")) from None
    except csv.Error as exc:
        raise RosterFileError(_l("Baris judul CSV tidak dapat dibaca: %(e)s", e=str(exc))) from None

    def rows():
        try:
            for number, cells in enumerate(reader, start=2):
                yield number, cells
        except csv.Error as exc:
            raise RosterFileError(_l("CSV rusak di baris %(line)d: %(e)s", line=reader.line_num, e=str(exc))) from None

    return headers, rows()


def _read_xlsx(data: bytes):
    from openpyxl import load_workbook

    if not data.startswith(b"PK\x03\x04"):
        raise RosterFileError(_l("Berkas ini bukan XLSX yang sah (mungkin format .xls lama atau CSV). "
                                 "Simpan ulang sebagai Excel Workbook (.xlsx)."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RosterFileError(_l("Berkas XLSX rusak atau tidak dapat dibaca (%(e)s).", e=type(exc).__name__)) from None
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        headers = [("" if v is None else str(v)) for v in next(iterator)]
    except StopIteration:
        raise RosterFileError(_l("Lembar pertama XLSX kosong.")) from None

    def rows():
        for number, cells in enumerate(iterator, start=2):
            yield number, list(cells)
        workbook.close()

    return headers, rows()


def map_headers(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Map column keys to positions by header name; raise when a required column is missing."""
    positions: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(headers):
        column = _BY_ALIAS.get(_header_key(header))
        if column is None:
            if str(header or "").strip():
                ignored.append(str(header).strip())
            continue
        if column.key in positions:
            raise RosterFileError(_l("Kolom %(col)s muncul lebih dari sekali di baris judul.", col=column.title))
        positions[column.key] = index
    missing = [c.title for c in COLUMNS if c.required and c.key not in positions]
    if "unit" not in positions and "kode_unit" not in positions:
        missing.append("Unit Kerja / Kode Unit")
    if missing:
        raise RosterFileError(_l(
            "Kolom wajib tidak ditemukan di baris pertama: %(missing)s. Kolom yang terbaca: %(found)s. "
            "Unduh templat untuk melihat nama kolom yang dikenali.",
            missing=", ".join(missing),
            found=", ".join(str(h) for h in headers if str(h or "").strip()) or "-"))
    return positions, ignored


# --- validating ----------------------------------------------------------------------------

class _UnitResolver:
    """Find units by code, by unique name, or by a 'A > B > C' path, inside a scope."""

    def __init__(self, scope_path: str | None):
        query = select(Unit.id, Unit.parent_id, Unit.name, Unit.code, Unit.path, Unit.active)
        if scope_path:
            query = query.where(subtree_clause(Unit.path, scope_path))
        self.units = {row.id: row for row in db.session.execute(query)}
        self.by_code = {row.code.lower(): row for row in self.units.values() if row.code}
        self.by_name: dict[str, list] = {}
        for row in self.units.values():
            self.by_name.setdefault(row.name.lower(), []).append(row)
        self.cache: dict[tuple[str, str], object] = {}

    def _full_name(self, row) -> str:
        ids = [int(p) for p in row.path.strip("/").split("/")]
        return " > ".join(self.units[i].name for i in ids if i in self.units)

    def resolve(self, name: str, code: str):
        """Return (unit id, None) or (None, error message)."""
        key = (name.lower(), code.lower())
        if key not in self.cache:
            self.cache[key] = self._resolve(name, code)
        return self.cache[key]

    def _resolve(self, name: str, code: str):
        if code:
            row = self.by_code.get(code.lower())
            if row is None:
                return None, ("kode_unit", _l("Kode unit \u201c%(code)s\u201d tidak dikenal (atau di luar wewenang Anda).", code=code))
            return self._active(row)
        if not name:
            return None, ("unit", _l("Unit kerja wajib diisi."))
        parts = [p for p in _PATH_SEPARATOR.split(name) if p]
        candidates = self.by_name.get(parts[-1].lower(), [])
        if len(parts) > 1:
            wanted = [p.lower() for p in parts]
            candidates = [c for c in candidates
                          if [n.lower() for n in self._full_name(c).split(" > ")][-len(wanted):] == wanted]
        if not candidates:
            return None, ("unit", _l("Unit kerja \u201c%(name)s\u201d tidak dikenal (atau di luar wewenang Anda). "
                                     "Tambahkan dulu di menu Unit Kerja.", name=name))
        if len(candidates) > 1:
            options = "; ".join(self._full_name(c) for c in candidates[:3])
            return None, ("unit", _l("Nama unit \u201c%(name)s\u201d dipakai %(n)d unit (%(options)s). "
                                     "Tulis jalurnya, mis. \u201cInduk > Unit\u201d, atau isi Kode Unit.",
                                     name=name, n=len(candidates), options=options))
        return self._active(candidates[0])

    def _active(self, row):
        if not row.active:
            return None, ("unit", _l("Unit kerja \u201c%(name)s\u201d tidak aktif.", name=row.name))
        return row.id, None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _golongan(value: str, jenis: Jenis):
    """Normalized golongan, or an error message."""
    if not value or value == "-":
        return None, None
    if jenis == Jenis.NON_ASN:
        return None, _l("Pegawai non-ASN tidak memiliki golongan; kosongkan kolom ini.")
    if jenis == Jenis.PNS:
        match = _PNS_GOLONGAN.match(value.upper().replace(".", ""))
        if match and match.group(2).lower() <= _PNS_MAX_RUANG[match.group(1)]:
            return f"{match.group(1)}/{match.group(2).lower()}", None
        return None, _l("Golongan PNS \u201c%(value)s\u201d tidak dikenal; gunakan I/a sampai IV/e.", value=value)
    upper = value.upper().strip()
    if upper in _ROMAN:
        return upper, None
    if upper.isdigit() and 1 <= int(upper) <= 17:
        return _ROMAN[int(upper) - 1], None
    return None, _l("Golongan PPPK \u201c%(value)s\u201d tidak dikenal; gunakan I sampai XVII.", value=value)


def _validate_row(cells: list, positions: dict[str, int], resolver: _UnitResolver, today: date):
    """Return (record dict, list of (column, value, message))."""
    errors = []
    raw = {}
    for key, index in positions.items():
        value = cells[index] if index < len(cells) else None
        if key == "nip" and isinstance(value, (int, float)):
            errors.append(("nip", _text(value), _l(
                "NIP tersimpan sebagai angka di Excel sehingga digitnya bisa hilang. Format kolom NIP "
                "sebagai Teks, lalu ketik ulang.")))
            value = ""
        text = _text(value)
        if looks_like_formula(text) and not (key == "telepon" and _PHONE.match(text)):
            errors.append((key, text, _l(
                "Isi sel diawali karakter rumus (=, +, -, @) dan ditolak demi keamanan. Hapus karakter "
                "tersebut.")))
            text = ""
        raw[key] = text

    record: dict = {}
    name = raw.get("nama", "")
    if not name:
        errors.append(("nama", "", _l("Nama wajib diisi.")))
    elif len(name) > 200:
        errors.append(("nama", name[:40], _l("Nama maksimal 200 karakter.")))
    record["name"] = name

    jenis = _JENIS_WORDS.get(raw.get("jenis", "").upper().replace("-", " ").replace("_", " ").strip()) \
        or _JENIS_WORDS.get(raw.get("jenis", "").upper())
    if jenis is None:
        errors.append(("jenis", raw.get("jenis", ""), _l(
            "Jenis pegawai \u201c%(value)s\u201d tidak dikenal; isi PNS, PPPK atau Non-ASN.", value=raw.get("jenis", ""))))
    record["jenis"] = jenis

    if jenis is not None and raw.get("nip"):
        try:
            record["nip"] = validate_identifier(raw["nip"], jenis.value, today)
        except IdentifierError as exc:
            errors.append(("nip", raw["nip"], exc.message))
    elif not raw.get("nip") and not any(e[0] == "nip" for e in errors):
        errors.append(("nip", "", _l("NIP/ID wajib diisi.")))

    unit_id, problem = resolver.resolve(raw.get("unit", ""), raw.get("kode_unit", ""))
    if problem:
        column, message = problem
        errors.append((column, raw.get(column, ""), message))
    record["unit_id"] = unit_id

    if jenis is not None:
        record["golongan"], message = _golongan(raw.get("golongan", ""), jenis)
        if message:
            errors.append(("golongan", raw.get("golongan", ""), message))
    record["jabatan"] = raw.get("jabatan", "")[:200] or None

    email = raw.get("email", "").lower()
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        errors.append(("email", email, _l("Alamat email tidak valid.")))
    record["email"] = email or None
    phone = raw.get("telepon", "")
    if phone and not _PHONE.match(phone):
        errors.append(("telepon", phone, _l("Nomor telepon hanya boleh berisi angka, spasi, tanda hubung dan + di depan.")))
    record["phone"] = phone or None
    return record, _first_per_column(errors)


def _first_per_column(errors: list) -> list:
    """One message per column: the first is the cause (a refused formula, not 'required')."""
    seen: set[str] = set()
    kept = []
    for error in errors:
        if error[0] not in seen:
            seen.add(error[0])
            kept.append(error)
    return kept


# --- planning and applying -----------------------------------------------------------------

def plan_import(filename: str, data: bytes, *, scope_path: str | None, today: date | None = None,
                progress: Callable[[int], None] | None = None) -> ImportPlan:
    """Read, validate and compare every row with the database; write nothing (the dry run).

    ``scope_path`` limits the units (and existing people) the file may touch: the admin's
    instansi, or None for a superadmin / the CLI without --instansi.
    """
    today = today or date.today()
    headers, rows = read_rows(filename, data)
    positions, ignored = map_headers(headers)
    title = {c.key: c.title for c in COLUMNS}
    resolver = _UnitResolver(scope_path)
    plan = ImportPlan(ignored_headers=ignored)
    records: dict[str, tuple[int, dict]] = {}
    for number, cells in rows:
        if not any(_text(c) for c in cells):
            continue  # blank lines are not rows
        plan.total_rows += 1
        if plan.total_rows > MAX_ROWS:
            raise RosterFileError(_l("Berkas melebihi %(n)d baris; bagi menjadi beberapa berkas.", n=MAX_ROWS))
        record, errors = _validate_row(cells, positions, resolver, today)
        for column, value, message in errors:
            plan.errors.append(RowError(number, title.get(column, column), str(value)[:60], str(message)))
        nip = record.get("nip")
        if nip:
            if nip in records:
                first = records[nip][0]
                plan.errors.append(RowError(number, "NIP", nip, str(_l(
                    "NIP ganda dalam berkas: sama dengan baris %(row)d.", row=first))))
            elif not errors:
                records[nip] = (number, record)
            else:
                records[nip] = (number, None)
        if progress and plan.total_rows % 1000 == 0:
            progress(1000)
    if progress:
        progress(plan.total_rows % 1000)
    if plan.total_rows == 0:
        raise RosterFileError(_l("Berkas tidak berisi baris data di bawah baris judul."))
    _compare_with_database(plan, {nip: r for nip, r in records.items() if r[1] is not None}, scope_path)
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _compare_with_database(plan: ImportPlan, records: dict[str, tuple[int, dict]], scope_path: str | None):
    nips = list(records)
    existing = {}
    columns = [Person.id, Person.nip, Unit.path, *(getattr(Person, f) for f in _FIELDS)]
    for start in range(0, len(nips), _CHUNK):
        # NIPs as SQL literals (validated, and escaped by SQLAlchemy): as bound parameters psycopg
        # prepares the repeated statement, and PostgreSQL may keep a generic plan that checks each
        # row against the 5,000 NIPs one by one (minutes to re-import 100,000 just-added rows).
        chunk = bindparam("nips", nips[start:start + _CHUNK], expanding=True, literal_execute=True)
        query = select(*columns).join(Unit, Person.unit_id == Unit.id).where(Person.nip.in_(chunk))
        for row in db.session.execute(query):
            existing[row.nip] = row
    for nip, (number, record) in records.items():
        current = existing.get(nip)
        status = "baru"
        if current is None:
            plan.new.append({"nip": nip, **record})
        elif scope_path and not current.path.startswith(scope_path):
            plan.errors.append(RowError(number, "NIP", nip, str(_l(
                "NIP ini sudah terdaftar di unit di luar wewenang Anda; hubungi admin instansi tersebut."))))
            continue
        else:
            changes = {f: record[f] for f in _FIELDS if getattr(current, f) != record[f]}
            if changes:
                plan.updates.append({"id": current.id, **changes})
                status = "ubah"
            else:
                plan.unchanged += 1
                status = "tetap"
        if len(plan.preview) < 20:
            plan.preview.append({"row": number, "nip": nip, "status": status, **record})


def apply_plan(actor, plan: ImportPlan, progress: Callable[[int], None] | None = None) -> ImportResult:
    """Write a clean plan in the caller's transaction: insert new people, update changed ones."""
    if not plan.ok:
        raise RosterFileError(_l("Impor dibatalkan: masih ada %(n)d kesalahan; tidak ada data yang disimpan.",
                                 n=len(plan.errors)))
    now = now_utc()
    # Updates first: they cannot collide with new NIPs.
    for start in range(0, len(plan.updates), _CHUNK):
        chunk = plan.updates[start:start + _CHUNK]
        by_shape: dict[tuple, list] = {}
        for change in chunk:
            by_shape.setdefault(tuple(sorted(change)), []).append({**change, "updated_at": now})
        for group in by_shape.values():
            db.session.execute(update(Person), group)
        if progress:
            progress(len(chunk))
    for start in range(0, len(plan.new), _CHUNK):
        chunk = plan.new[start:start + _CHUNK]
        rows = [{
            **record,
            "initial_password_enc": passwords.encrypt_initial(passwords.generate_initial_password()),
            "must_change_password": True,
            "role": "participant",
            "active": True,
            "failed_logins": 0,
            "lock_count": 0,
            "created_at": now,
            "updated_at": now,
        } for record in chunk]
        # render_nulls: every row has the same columns, so the chunk goes to the driver as one
        # executemany instead of one small batch per pattern of empty cells.
        db.session.execute(insert(Person).execution_options(render_nulls=True), rows)
        if progress:
            progress(len(chunk))
    db.session.flush()
    audit.record(actor, "roster.import", "people", created=len(plan.new), updated=len(plan.updates),
                 unchanged=plan.unchanged)
    return ImportResult(created=len(plan.new), updated=len(plan.updates), unchanged=plan.unchanged)


def error_report_csv(plan: ImportPlan) -> bytes:
    """The per-row error report (row, column, value, reason), UTF-8 with BOM for Excel."""
    from ..core.spreadsheet import safe_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Baris", "Kolom", "Isi", "Alasan"])
    for error in plan.errors:
        writer.writerow([error.row, error.column, safe_cell(error.value), error.message])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """The downloadable template: the recognised headers, a notes sheet, NIP formatted as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Roster"
    sheet.append([c.title for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
    example = ["198609262015051001", "Siti Aminah, S.Pd.", "PNS", "Dinas Pendidikan", "", "Guru Ahli Muda",
               "III/c", "siti@example.go.id", "081234567890"]
    sheet.append(example)
    for row in sheet.iter_rows(min_row=2, max_row=1000, min_col=1, max_col=1):
        for cell in row:
            cell.number_format = "@"
    for column_cells in sheet.columns:
        sheet.column_dimensions[column_cells[0].column_letter].width = 24
    notes = workbook.create_sheet("Petunjuk")
    notes.append(["Kolom", "Wajib", "Nama lain yang dikenali", "Keterangan"])
    for column in COLUMNS:
        notes.append([column.title, "ya" if column.required else "tidak", ", ".join(column.aliases), column.description])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.title for c in COLUMNS])
    writer.writerow(["198609262015051001", "Siti Aminah, S.Pd.", "PNS", "Dinas Pendidikan", "", "Guru Ahli Muda",
                     "III/c", "siti@example.go.id", "081234567890"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def count_people(scope_path: str | None) -> int:
    query = select(func.count(Person.id)).join(Unit, Person.unit_id == Unit.id)
    if scope_path:
        query = query.where(subtree_clause(Unit.path, scope_path))
    return db.session.scalar(query) or 0


def estimate_rows(filename: str, data: bytes) -> int:
    """Rough number of data rows, for a progress bar."""
    if filename.lower().endswith(".xlsx"):
        try:
            from openpyxl import load_workbook

            workbook = load_workbook(io.BytesIO(data), read_only=True)
            rows = (workbook.worksheets[0].max_row or 1) - 1
            workbook.close()
            return max(rows, 1)
        except Exception:  # noqa: BLE001 - the real read reports the problem
            return 1
    return max(data.count(b"\n") - 1, 1)
