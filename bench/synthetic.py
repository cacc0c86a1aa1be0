"""Synthetic but valid data: an instansi with its OPDs, identifiers and roster rows."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from netral_learn.accounts import roster
from netral_learn.accounts.models import Unit
from netral_learn.accounts.units import create_unit
from netral_learn.extensions import db

INSTANSI = "Pemerintah Kabupaten Bench"
_OPD_NAMES = (
    "Sekretariat Daerah", "Sekretariat DPRD", "Inspektorat", "Dinas Pendidikan", "Dinas Kesehatan",
    "Dinas Pekerjaan Umum dan Penataan Ruang", "Dinas Sosial", "Dinas Perhubungan",
    "Dinas Lingkungan Hidup", "Dinas Kependudukan dan Pencatatan Sipil", "Dinas Pertanian",
    "Dinas Perikanan", "Dinas Pariwisata", "Dinas Komunikasi dan Informatika",
    "Badan Kepegawaian dan Pengembangan SDM", "Badan Perencanaan Pembangunan Daerah",
    "Badan Pengelola Keuangan dan Aset Daerah", "Badan Kesatuan Bangsa dan Politik",
    "Satuan Polisi Pamong Praja", "RSUD Panglima Sebaya",
)
_FIRST = ("Budi", "Siti", "Agus", "Dewi", "Rina", "Hendra", "Yusuf", "Nur", "Wahyu", "Fitri", "Andi", "Lestari")
_LAST = ("Santoso", "Aminah", "Wijaya", "Hasanah", "Saputra", "Rahmawati", "Hidayat", "Pratama", "Kurniawan")
_JABATAN = ("Guru Ahli Muda", "Perawat Terampil", "Analis Kepegawaian", "Pengelola Keuangan", "Pelaksana",
            "Kepala Seksi")
_PNS_GOLONGAN = ("II/a", "II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b")
_PPPK_GOLONGAN = ("V", "VII", "IX", "X", "XI")
_FIRST_BIRTH_DATE = date(1965, 1, 1)


def opd_names(count: int) -> list[str]:
    """``count`` distinct OPD names: real-sounding ones first, then numbered UPTDs."""
    return [*_OPD_NAMES, *(f"UPTD Wilayah {n:02d}" for n in range(1, count + 1))][:count]


def create_instansi(names: list[str]) -> Unit:
    """The instansi with one OPD per name under it (committed)."""
    instansi = create_unit(None, None, INSTANSI, timezone="Asia/Makassar")
    for name in names:
        create_unit(None, instansi, name)
    db.session.commit()
    return instansi


def identifier(index: int) -> tuple[str, str]:
    """(jenis, identifier) of person ``index``: 70 % PNS, 20 % PPPK, 10 % non-ASN, all distinct.

    Distinct because birth date (index // 999) and sequence (index % 999) determine the index.
    """
    kind = index % 10
    if kind == 9:
        return "Non-ASN", f"TKK-{index:06d}"
    born = _FIRST_BIRTH_DATE + timedelta(days=index // 999)
    gender = 1 + index % 2
    sequence = index % 999 + 1
    if kind >= 7:
        return "PPPK", f"{born:%Y%m%d}{2019 + index % 5}2{index % 10}{gender}{sequence:03d}"
    appointed = born.year + 20 + index % 15
    return "PNS", f"{born:%Y%m%d}{appointed}{index % 12 + 1:02d}{gender}{sequence:03d}"


def roster_rows(count: int, opd_names: list[str]) -> list[list[str]]:
    """``count`` valid roster rows in the order of :data:`roster.COLUMNS`."""
    rows = []
    for index in range(count):
        jenis, nip = identifier(index)
        golongan = {"PNS": _PNS_GOLONGAN, "PPPK": _PPPK_GOLONGAN}.get(jenis)
        rows.append([
            nip,
            f"{_FIRST[index % len(_FIRST)]} {_LAST[index // len(_FIRST) % len(_LAST)]}",
            jenis,
            opd_names[index % len(opd_names)],
            "",
            _JABATAN[index % len(_JABATAN)],
            golongan[index % len(golongan)] if golongan else "",
            f"pegawai{index}@example.go.id" if index % 3 == 0 else "",
            f"0812{index:08d}",
        ])
    return rows


def headers() -> list[str]:
    return [column.title for column in roster.COLUMNS]


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers())
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def to_xlsx(rows: list[list[str]]) -> bytes:
    """The same rows as an XLSX workbook (every cell text, as the template asks for NIPs)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Roster")
    sheet.append(headers())
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
