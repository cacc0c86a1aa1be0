"""Hostile uploads: how fast, and with how much memory, the shared table reader refuses them.

Two XLSX files: a zip bomb (0.5 MB inflating to 150 MB of rows, refused from the archive's declared
sizes) and a sparse sheet (a few hundred bytes declaring A1:XFD1048576 with a cell in the last row
and column, refused by the row cap while streaming). Target: each refused in under 2 s with a
Python heap peak (tracemalloc) under 100 MB. The tests assert the refusal and the memory bound
(tests/core/test_tabular.py); the time is measured here, never asserted in a test.
"""
from __future__ import annotations

import io
import tracemalloc
import zipfile
from time import perf_counter

from .harness import Database, fresh_app, note
from .table import Measurement

SECONDS_TARGET = 2.0
MEMORY_TARGET = 100 * 1024 * 1024

_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def workbook_bytes(rows) -> bytes:
    """A real workbook written by openpyxl with these rows on its first sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_sheet(xlsx: bytes, write_sheet) -> bytes:
    """The workbook with its first sheet's XML replaced by what ``write_sheet(stream)`` writes."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as stream:
                    write_sheet(stream)
            else:
                target.writestr(info.filename, source.read(info.filename))
    return out.getvalue()


def zip_bomb() -> bytes:
    """A 0.5 MB XLSX whose sheet inflates to 150 MB of rows."""
    def write(stream):
        stream.write(_SHEET_HEAD + b"<sheetData>")
        row = (b'<row><c t="inlineStr"><is><t>198609262015051001</t></is></c>'
               b'<c t="inlineStr"><is><t>Budi</t></is></c></row>')
        chunk = row * (1024 * 1024 // len(row))
        for _ in range(150):
            stream.write(chunk)
        stream.write(b"</sheetData></worksheet>")
    return with_sheet(workbook_bytes([["NIP", "Nama"]]), write)


def sparse_bomb() -> bytes:
    """A tiny XLSX declaring A1:XFD1048576, with one cell at the very last row and column."""
    def write(stream):
        stream.write(_SHEET_HEAD + b'<dimension ref="A1:XFD1048576"/><sheetData>'
                     b'<row r="1"><c r="A1" t="inlineStr"><is><t>NIP</t></is></c>'
                     b'<c r="B1" t="inlineStr"><is><t>Nama</t></is></c></row>'
                     b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
                     b"</sheetData></worksheet>")
    return with_sheet(workbook_bytes([["x"]]), write)


def _refusal(data: bytes) -> tuple[float, int, str]:
    """(seconds, heap peak in bytes, message) of the roster import refusing ``data``."""
    from netral_learn.accounts import roster

    tracemalloc.start()
    started = perf_counter()
    try:
        roster.plan_import("bench.xlsx", data, scope_path=None)
    except roster.RosterFileError as exc:
        message = str(exc.message)
    else:
        message = "NOT REFUSED"
    seconds = perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak, message


def run(databases: list[Database]) -> list[Measurement]:
    database = databases[0]
    results = []
    with fresh_app(database) as app, app.test_request_context():
        for label, build in (("zip bomb", zip_bomb), ("sparse sheet A1:XFD1048576", sparse_bomb)):
            data = build()
            note(f"uploads: refusing a {len(data) / 1e6:.2f} MB {label}")
            seconds, peak, message = _refusal(data)
            refused = message != "NOT REFUSED"
            results.append(Measurement(
                f"hostile XLSX upload: {label}", database.label,
                f"{seconds:.2f} s · heap peak {peak / 1e6:.0f} MB",
                f"{len(data) / 1e6:.2f} MB file; {'refused' if refused else 'NOT refused'}: {message[:60]}",
                "refused, < 2 s, < 100 MB",
                refused and seconds < SECONDS_TARGET and peak < MEMORY_TARGET))
    return results
