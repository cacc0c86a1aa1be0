"""Roster import: CSV/XLSX from a personnel system → people, all or nothing.

Columns are matched by header name (see :data:`COLUMNS`, documented in docs/roster-import.md and
in the downloadable template). The import runs in two steps: :func:`plan_import` reads and
validates every row and works out what would change (the dry run); :func:`apply_plan` writes
it in one transaction, and only when not a single row has an error and the plan is the one the
preview showed (:attr:`RosterPlan.fingerprint`). Upsert is by NIP, so importing the same file
twice changes nothing the second time. A column absent from the file, or an empty cell, leaves the
field as it is; :data:`CLEAR_MARKER` (or the ``empty_clears`` option) empties it. The file is read
by the shared reader :mod:`netral_learn.core.tabular`.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, select, update

from ..core import audit
from ..core.clock import now_utc
from .scope import Action, may_manage_person, operators_may_import, require_administered, subtree_clause
from ..core.spreadsheet import looks_like_formula
from ..core.tabular import (Column, ImportPlan, ImportResult, RowError, Table, TabularFileError, cell_errors,
                            check_xlsx_archive, read_table, visible)
from ..extensions import db
from . import passwords
from .models import Jenis, Person, Role, Unit
from .nip import IdentifierError, validate_identifier

MAX_ROWS = 200_000
_CHUNK = 5_000


COLUMNS: tuple[Column, ...] = (
    Column("nip", "NIP", ("nip", "nip baru", "ni pppk", "nip/ni pppk", "nomor induk", "id pegawai",
                           "nip / ni pppk / id", "nip/nipppk", "nomor induk pegawai", "nip pegawai"), True,
           "NIP PNS atau NI PPPK (18 digit, ketik sebagai teks; tanda petik ' di depan diabaikan), "
           "atau ID dari instansi untuk non-ASN."),
    Column("nama", "Nama", ("nama", "nama lengkap", "nama pegawai", "nama asn", "nama lengkap dengan gelar"), True,
           "Nama lengkap dengan gelar, seperti pada dokumen kepegawaian."),
    Column("jenis", "Jenis Pegawai", ("jenis pegawai", "jenis", "status pegawai", "status kepegawaian",
                                      "jenis kepegawaian", "status asn", "jenis asn"), True,
           "PNS (termasuk CPNS, \u201cPNS Daerah\u201d), PPPK, atau Non-ASN (honorer, TKK, PTT, PPNPN)."),
    Column("unit", "Unit Kerja", ("unit kerja", "unit", "opd", "unor", "satuan kerja", "nama unor", "unor nama",
                                  "unit organisasi", "nama unit kerja", "unit kerja nama", "nama opd",
                                  "perangkat daerah", "skpd", "satker"), False,
           "Nama unit kerja; jika nama sama dipakai beberapa unit, tulis jalurnya: "
           "\"Dinas Pendidikan > Sekretariat\". Wajib bila Kode Unit kosong."),
    Column("kode_unit", "Kode Unit", ("kode unit", "kode unor", "unor id", "id unor", "kode unit kerja",
                                      "kode unit organisasi", "kode opd"), False,
           "Kode unit dari sistem kepegawaian (opsional; diutamakan bila diisi)."),
    Column("jabatan", "Jabatan", ("jabatan", "nama jabatan", "jabatan nama", "jabatan terakhir"), False,
           "Nama jabatan (opsional)."),
    Column("golongan", "Golongan", ("golongan", "gol", "golongan/ruang", "pangkat/golongan", "gol/ruang",
                                    "golongan ruang", "gol ruang", "pangkat golongan", "pangkat/gol", "gol akhir",
                                    "golongan akhir", "gol akhir nama", "pangkat/golongan ruang"), False,
           "PNS: I/a sampai IV/e (juga \u201cPenata (III/c)\u201d); PPPK: I sampai XVII; kosongkan untuk non-ASN."),
    Column("email", "Email", ("email", "e-mail", "surel", "alamat email", "email kantor"), False,
           "Alamat email (opsional)."),
    Column("telepon", "Telepon", ("telepon", "no hp", "nomor hp", "hp", "telp", "no telp", "nomor telepon",
                                  "no. hp", "nomor handphone", "no handphone", "no wa", "nomor wa",
                                  "nomor whatsapp"), False, "Nomor telepon/HP (opsional)."),
    Column("gelar_depan", "Gelar Depan", ("gelar depan",), False,
           "Gelar di depan nama (opsional, mis. dr. atau Ir.); ditambahkan ke Nama bila belum tertulis."),
    Column("gelar_belakang", "Gelar Belakang", ("gelar belakang",), False,
           "Gelar di belakang nama (opsional, mis. S.Pd., M.Si.); ditambahkan ke Nama bila belum tertulis."),
)
_FIELDS = ("name", "jenis", "unit_id", "jabatan", "golongan", "email", "phone")
#: Columns whose cells may carry Excel's text marker: a leading apostrophe ('198609…).
_APOSTROPHE_COLUMNS = ("nip", "telepon", "kode_unit")

_JENIS_WORDS = {
    "PNS": Jenis.PNS, "CPNS": Jenis.PNS, "PEGAWAI NEGERI SIPIL": Jenis.PNS,
    "PPPK": Jenis.PPPK, "P3K": Jenis.PPPK, "PPPK PARUH WAKTU": Jenis.PPPK,
    "PEGAWAI PEMERINTAH DENGAN PERJANJIAN KERJA": Jenis.PPPK,
    "NON ASN": Jenis.NON_ASN, "NONASN": Jenis.NON_ASN, "NON_ASN": Jenis.NON_ASN,
    "HONORER": Jenis.NON_ASN, "TKK": Jenis.NON_ASN, "PTT": Jenis.NON_ASN, "PPNPN": Jenis.NON_ASN,
    "THL": Jenis.NON_ASN, "TNP": Jenis.NON_ASN, "KONTRAK": Jenis.NON_ASN,
}
#: First words of SIASN's "Jenis Pegawai" values ("PNS Daerah", "CPNS Daerah", "PPPK Penuh Waktu").
_JENIS_FIRST_WORDS = {"PNS": Jenis.PNS, "CPNS": Jenis.PNS, "PPPK": Jenis.PPPK, "P3K": Jenis.PPPK,
                      "HONORER": Jenis.NON_ASN}
_PNS_GOLONGAN_INSIDE = re.compile(r"(?<![A-Z])(IV|III|II|I)\s*/\s*([A-E])(?![A-Z])")
_PNS_GOLONGAN = re.compile(r"^(I|II|III|IV)\s*[/ ]?\s*([a-eA-E])$")
_PNS_MAX_RUANG = {"I": "d", "II": "d", "III": "d", "IV": "e"}
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
          "XV", "XVI", "XVII"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,20}$")
_PATH_SEPARATOR = re.compile(r"\s*(?:>|›)\s*")


#: The file as a whole cannot be read (type, encoding, headers); nothing was written.
RosterFileError = TabularFileError


#: A cell holding this (any case) empties the field; an empty cell leaves it as it is.
CLEAR_MARKER = "(kosongkan)"
#: Fields an import may empty (the others are required).
CLEARABLE = ("jabatan", "golongan", "email", "phone")
#: Field → the column title shown in the preview.
FIELD_TITLES = {"name": "Nama", "jenis": "Jenis Pegawai", "unit_id": "Unit Kerja", "jabatan": "Jabatan",
                "golongan": "Golongan", "email": "Email", "phone": "Telepon"}
_FIELD_OF = {"nama": "name", "jenis": "jenis", "jabatan": "jabatan", "golongan": "golongan", "email": "email",
             "telepon": "phone"}


@dataclass
class RosterPlan(ImportPlan):
    """A roster import's plan: besides what :class:`ImportPlan` holds, each change of each person.

    ``changes`` lists, per existing person the file changes, the row, NIP, name and
    ``{field: (old, new)}``; the :attr:`fingerprint` of the new people and of these changes is
    what the preview showed, and the apply writes only a plan with the same fingerprint.
    """

    changes: list[dict] = field(default_factory=list)
    empty_clears: bool = False  #: whether an empty cell empties the field (an option of the upload)
    unit_names: dict[int, str] = field(default_factory=dict)

    def field_counts(self) -> dict[str, dict[str, int]]:
        """Per field title: how many people it changes, and how many of those it empties."""
        counts: dict[str, dict[str, int]] = {}
        for change in self.changes:
            for name, (_, new) in change["fields"].items():
                entry = counts.setdefault(FIELD_TITLES[name], {"changed": 0, "cleared": 0})
                entry["changed"] += 1
                entry["cleared"] += new is None
        return counts

    @property
    def fingerprint(self) -> str:
        """SHA-256 of every write the plan would make (new people and changed fields with old values)."""
        digest = hashlib.sha256()
        for record in sorted(self.new, key=lambda r: r["nip"]):
            digest.update(json.dumps(["new", sorted((k, _plain(v)) for k, v in record.items())]).encode())
        for change in sorted(self.changes, key=lambda c: c["id"]):
            fields = sorted((k, _plain(old), _plain(new)) for k, (old, new) in change["fields"].items())
            digest.update(json.dumps(["change", change["id"], fields]).encode())
        return digest.hexdigest()


def _plain(value):
    return value.value if isinstance(value, Jenis) else value


class PlanChanged(TabularFileError):
    """The data moved between the preview and the apply: the plan differs from what was shown."""


# --- reading -------------------------------------------------------------------------------

def _missing_columns(found: set[str]) -> list[str]:
    missing = [c.title for c in COLUMNS if c.required and c.key not in found]
    if "unit" not in found and "kode_unit" not in found:
        missing.append("Unit Kerja / Kode Unit")
    return missing


def read_roster(filename: str, data: bytes) -> Table:
    """The roster file as a :class:`Table` (header found, columns mapped), or RosterFileError."""
    return read_table(filename, data, COLUMNS, max_rows=MAX_ROWS, missing=_missing_columns)


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
        upper = value.upper().replace(".", "")
        match = _PNS_GOLONGAN.match(upper) or _PNS_GOLONGAN_INSIDE.search(upper)
        if match and match.group(2).lower() <= _PNS_MAX_RUANG[match.group(1)]:
            return f"{match.group(1)}/{match.group(2).lower()}", None
        return None, _l("Golongan PNS \u201c%(value)s\u201d tidak dikenal; gunakan I/a sampai IV/e.", value=value)
    upper = value.upper().strip()
    if upper in _ROMAN:
        return upper, None
    if upper.isdigit() and 1 <= int(upper) <= 17:
        return _ROMAN[int(upper) - 1], None
    numerals = [word for word in re.split(r"[^A-Z0-9]+", upper) if word in _ROMAN]
    if len(numerals) == 1:  # "Golongan IX", "IX (Ahli Pertama)"
        return numerals[0], None
    return None, _l("Golongan PPPK \u201c%(value)s\u201d tidak dikenal; gunakan I sampai XVII.", value=value)


def _jenis(value: str) -> Jenis | None:
    """PNS, PPPK or non-ASN from the words personnel exports use, or None."""
    upper = " ".join(value.upper().replace("-", " ").replace("_", " ").split())
    if upper in _JENIS_WORDS:
        return _JENIS_WORDS[upper]
    words = upper.split()
    return _JENIS_FIRST_WORDS.get(words[0]) if words else None


def _validate_row(cells: list, table: Table, resolver: _UnitResolver, today: date, empty_clears: bool):
    """Return (record, list of (column, value, message)).

    The record holds the NIP, name and jenis, and only the other fields the row sets: a column
    absent from the file, or an empty cell (unless ``empty_clears``), leaves the field as it is;
    :data:`CLEAR_MARKER` empties it (None).
    """
    errors = cell_errors(cells, table)
    refused = {column for column, _, _ in errors}
    raw = {}
    for key, index in table.positions.items():
        value = cells[index] if index < len(cells) and key not in refused else None
        if key == "nip" and isinstance(value, (int, float)):
            errors.append(("nip", _text(value), _l(
                "NIP tersimpan sebagai angka di Excel sehingga digitnya bisa hilang. Format kolom NIP "
                "sebagai Teks, lalu ketik ulang.")))
            value = ""
        text = _text(value)
        if key in _APOSTROPHE_COLUMNS and text.startswith("'"):
            text = text[1:].strip()  # Excel's text marker, kept by some exports
        if text == "-":
            text = ""  # exports write a lone dash for "none": an empty cell, not a formula
        if looks_like_formula(text) and not (key == "telepon" and _PHONE.match(text)):
            errors.append((key, text, _l(
                "Isi sel diawali karakter rumus (=, +, -, @) dan ditolak demi keamanan. Hapus karakter "
                "tersebut.")))
            text = ""
        raw[key] = text

    def clears(key: str) -> bool:
        return raw.get(key, "").lower() == CLEAR_MARKER

    cannot_clear = _l("Kolom ini wajib dan tidak dapat dikosongkan.")
    record: dict = {}
    name = _with_titles(raw.get("nama", ""), raw.get("gelar_depan", ""), raw.get("gelar_belakang", ""))
    if clears("nama"):
        errors.append(("nama", name, cannot_clear))
    elif not name:
        errors.append(("nama", "", _l("Nama wajib diisi.")))
    elif len(name) > 200:
        errors.append(("nama", name[:40], _l("Nama maksimal 200 karakter.")))
    record["name"] = name

    jenis = _jenis(raw.get("jenis", ""))
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

    if clears("unit") or clears("kode_unit"):
        errors.append(("kode_unit" if clears("kode_unit") else "unit", CLEAR_MARKER, cannot_clear))
    elif raw.get("unit") or raw.get("kode_unit"):
        unit_id, problem = resolver.resolve(raw.get("unit", ""), raw.get("kode_unit", ""))
        if problem:
            column, message = problem
            errors.append((column, raw.get(column, ""), message))
        record["unit_id"] = unit_id

    for key in ("jabatan", "golongan", "email", "telepon"):
        if key not in table.positions:
            continue
        text = raw[key]
        if clears(key):
            record[_FIELD_OF[key]] = None
            continue
        if not text or (key == "golongan" and text == "-"):
            if empty_clears:
                record[_FIELD_OF[key]] = None
            continue
        value, message = _optional_value(key, text, jenis)
        if message:
            errors.append((key, text, message))
        record[_FIELD_OF[key]] = value
    return record, _first_per_column(errors)


def _with_titles(name: str, before: str, after: str) -> str:
    """The name with SIASN's separate academic titles put around it ("Dr. Budi Santoso, M.Si."),
    unless the name already carries them."""
    if not name or name.lower() == CLEAR_MARKER:
        return name
    if before and not name.lower().startswith(before.lower()):
        name = f"{before} {name}"
    if after and not name.lower().endswith(after.lower()):
        name = f"{name}, {after}"
    return name


def _optional_value(key: str, text: str, jenis: Jenis | None):
    """(normalized value, None) or (None, message) for a filled optional cell."""
    if key == "jabatan":
        return text[:200], None
    if key == "golongan":
        return _golongan(text, jenis) if jenis is not None else (None, None)
    if key == "email":
        email = text.lower()
        if len(email) > 254 or not _EMAIL.match(email):
            return None, _l("Alamat email tidak valid.")
        return email, None
    if not _PHONE.match(text):
        return None, _l("Nomor telepon hanya boleh berisi angka, spasi, tanda hubung dan + di depan.")
    return text, None


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
                progress: Callable[[int], None] | None = None, actor: Person | None = None,
                empty_clears: bool = False, lock: bool = False) -> RosterPlan:
    """Read, validate and compare every row with the database; write nothing (the dry run).

    ``scope_path`` limits the units (and existing people) the file may touch: the uploader's
    subtree or instansi, or None for a superadmin / the CLI without --instansi. With an
    ``actor``, a row that would change someone the actor may not manage
    (:func:`~netral_learn.accounts.scope.may_manage_person`) is a row error. ``lock`` (for the
    apply) locks the rows of the people compared until the transaction ends.
    """
    today = today or date.today()
    table = read_roster(filename, data)
    title = {c.key: c.title for c in COLUMNS}
    resolver = _UnitResolver(scope_path)
    plan = RosterPlan(empty_clears=empty_clears)
    plan.describe(table)
    records: dict[str, tuple[int, dict | None]] = {}
    for number, cells in table.rows:
        plan.total_rows += 1
        if plan.total_rows > MAX_ROWS:
            raise RosterFileError(_l("Berkas melebihi %(n)d baris; bagi menjadi beberapa berkas.", n=MAX_ROWS))
        record, errors = _validate_row(cells, table, resolver, today, empty_clears)
        for column, value, message in errors:
            plan.errors.append(RowError(number, title.get(column, column), visible(str(value))[:60], str(message)))
        nip = record.get("nip")
        if nip:
            if nip in records:
                first = records[nip][0]
                plan.errors.append(RowError(number, "NIP", nip, str(_l(
                    "NIP ganda dalam berkas: sama dengan baris %(row)d.", row=first))))
            else:
                records[nip] = (number, None if errors else record)
        if progress and plan.total_rows % 1000 == 0:
            progress(1000)
    if progress:
        progress(plan.total_rows % 1000)
    if plan.total_rows == 0:
        raise RosterFileError(_l("Berkas tidak berisi baris data di bawah baris judul."))
    plan.unit_names = {row.id: row.name for row in resolver.units.values()}
    _compare_with_database(plan, {nip: r for nip, r in records.items() if r[1] is not None}, scope_path,
                           actor, lock)
    plan.errors.sort(key=lambda e: e.row)
    return plan


_NOT_AUTHORIZED = _l("Tidak berwenang mengubah pegawai ini: perannya setara atau lebih tinggi dari Anda, "
                     "atau ia di luar wewenang Anda. Hapus baris ini atau minta admin di atas Anda.")


def _compare_with_database(plan: RosterPlan, records: dict[str, tuple[int, dict]], scope_path: str | None,
                           actor: Person | None, lock: bool):
    nips = list(records)
    existing = {}
    columns = [Person.id, Person.nip, Unit.path, *(getattr(Person, f) for f in _FIELDS)]
    for start in range(0, len(nips), _CHUNK):
        # NIPs as SQL literals (validated, and escaped by SQLAlchemy): as bound parameters psycopg
        # prepares the repeated statement, and PostgreSQL may keep a generic plan that checks each
        # row against the 5,000 NIPs one by one (minutes to re-import 100,000 just-added rows).
        chunk = bindparam("nips", nips[start:start + _CHUNK], expanding=True, literal_execute=True)
        query = select(*columns).join(Unit, Person.unit_id == Unit.id).where(Person.nip.in_(chunk))
        if lock:
            query = query.with_for_update(of=Person)
        for row in db.session.execute(query):
            existing[row.nip] = row
    changed: list[dict] = []
    for nip, (number, record) in records.items():
        current = existing.get(nip)
        status = "baru"
        if current is None:
            if "unit_id" not in record:
                plan.errors.append(RowError(number, "Unit Kerja", "", str(_l("Unit kerja wajib diisi untuk pegawai baru."))))
                continue
            plan.new.append({"nip": nip, **{f: record.get(f) for f in _FIELDS}})
        elif scope_path and not current.path.startswith(scope_path):
            plan.errors.append(RowError(number, "NIP", nip, str(_l(
                "NIP ini sudah terdaftar di unit di luar wewenang Anda; hubungi admin instansi tersebut."))))
            continue
        else:
            fields = {f: (getattr(current, f), v) for f, v in record.items()
                      if f in _FIELDS and getattr(current, f) != v}
            if "golongan" not in record and "jenis" in fields and current.golongan:
                _, problem = _golongan(current.golongan, record["jenis"])
                if problem:
                    plan.errors.append(RowError(number, "Golongan", current.golongan, str(_l(
                        "Golongan tersimpan \u201c%(value)s\u201d tidak cocok dengan jenis pegawai yang baru; isi "
                        "kolom Golongan, atau tulis %(marker)s untuk mengosongkannya.",
                        value=current.golongan, marker=CLEAR_MARKER))))
                    continue
            if fields:
                changed.append({"row": number, "id": current.id, "nip": nip,
                                "name": record.get("name") or current.name, "fields": fields})
                status = "ubah"
            else:
                plan.unchanged += 1
                status = "tetap"
        if len(plan.preview) < 20:
            shown = {f: record[f] if f in record else (getattr(current, f) if current is not None else None)
                     for f in _FIELDS}
            plan.preview.append({"row": number, "nip": nip, "status": status, **shown})
    allowed = _manageable(actor, [c["id"] for c in changed]) if actor is not None else None
    for change in changed:
        if allowed is not None and change["id"] not in allowed:
            plan.errors.append(RowError(change["row"], "NIP", change["nip"], str(_NOT_AUTHORIZED)))
            continue
        plan.changes.append(change)
        plan.updates.append({"id": change["id"], **{f: new for f, (_, new) in change["fields"].items()}})


def _manageable(actor: Person, person_ids: list[int]) -> set[int]:
    """The ids among ``person_ids`` of the people the actor may manage (the one rule of accounts.scope)."""
    from sqlalchemy.orm import selectinload

    allowed: set[int] = set()
    for start in range(0, len(person_ids), _CHUNK):
        chunk = person_ids[start:start + _CHUNK]
        people = db.session.scalars(select(Person).options(selectinload(Person.unit))
                                    .where(Person.id.in_(chunk))).all()
        allowed.update(person.id for person in people if may_manage_person(actor, person, Action.IMPORT))
    return allowed


def apply_plan(actor, plan: RosterPlan, progress: Callable[[int], None] | None = None,
               expected: str | None = None) -> ImportResult:
    """Write a clean plan in the caller's transaction: insert new people, update changed fields.

    With ``expected`` (the fingerprint the preview showed), a plan that differs raises
    :class:`PlanChanged` and nothing is written.
    """
    if expected is not None and plan.fingerprint != expected:
        raise PlanChanged(_l("Data pegawai berubah sejak pratinjau dibuat, sehingga impor tidak lagi sama dengan "
                             "yang Anda periksa. Tidak ada data yang disimpan; periksa pratinjau terbaru di bawah, "
                             "lalu terapkan lagi."))
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
                 unchanged=plan.unchanged, fields={k: v["changed"] for k, v in plan.field_counts().items()},
                 fingerprint=plan.fingerprint)
    return ImportResult(created=len(plan.new), updated=len(plan.updates), unchanged=plan.unchanged)


def changes_csv(plan: RosterPlan) -> bytes:
    """Every change of the plan, one line per person and field (NIP, name, field, old, new), for Excel."""
    from ..core.spreadsheet import safe_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Baris", "NIP", "Nama", "Kolom", "Lama", "Baru"])
    for change in plan.changes:
        for name, (old, new) in change["fields"].items():
            writer.writerow([change["row"], change["nip"], safe_cell(change["name"]), FIELD_TITLES[name],
                             safe_cell(shown_value(plan, name, old)), safe_cell(shown_value(plan, name, new))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def shown_value(plan: RosterPlan, name: str, value) -> str:
    """A field value as the preview writes it: unit names for unit ids, "(kosong)" for nothing."""
    if value is None or value == "":
        return str(_l("(kosong)"))
    if name == "unit_id":
        return plan.unit_names.get(value, f"#{value}")
    return str(_plain(value))


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

            check_xlsx_archive(data)  # a zip bomb is refused here too, before openpyxl opens it
            workbook = load_workbook(io.BytesIO(data), read_only=True)
            rows = min((workbook.worksheets[0].max_row or 1) - 1, MAX_ROWS)
            workbook.close()
            return max(rows, 1)
        except Exception:  # noqa: BLE001 - the real read reports the problem
            return 1
    return max(data.count(b"\n") - 1, 1)


# --- who may import ------------------------------------------------------------------------

def may_import(actor: Person) -> bool:
    """Admins and superadmins import rosters; an operator only when their instansi allows it."""
    if actor.role in (Role.ADMIN, Role.SUPERADMIN):
        return True
    return operators_may_import(actor)


def set_operator_import(actor: Person, instansi: Unit, allowed: bool) -> Unit:
    """Allow or forbid the operators of an instansi to import rosters for their own subtree."""
    require_administered(actor, instansi)
    instansi.operators_import_roster = bool(allowed)
    db.session.flush()
    audit.record(actor, "roster.operator_import", f"unit:{instansi.id}", allowed=bool(allowed))
    return instansi
