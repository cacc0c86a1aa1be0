"""The shared table reader: hostile XLSX archives are refused early and cheaply; hostile cells are row errors."""
import tracemalloc

import pytest

from bench.uploads import sparse_bomb, workbook_bytes, zip_bomb
from netral_learn.core import tabular
from netral_learn.core.tabular import Column, TabularFileError, cell_errors, read_table

COLUMNS = (Column("nip", "NIP", ("nip baru",), True), Column("nama", "Nama", (), True),
           Column("unit", "Unit Kerja", ("unor",)))
MEMORY_BOUND = 100 * 1024 * 1024


def read_all(name: str, data: bytes, max_rows: int = 200_000):
    table = read_table(name, data, COLUMNS, max_rows=max_rows)
    return table, list(table.rows)


def refused_with_bounded_memory(name: str, data: bytes) -> str:
    tracemalloc.start()
    try:
        with pytest.raises(TabularFileError) as caught:
            read_all(name, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"peak {peak / 1e6:.0f} MB"
    return str(caught.value.message)


def test_zip_bomb_is_refused_before_parsing():
    """Is a small XLSX that would inflate to 150 MB refused from its declared sizes, with little memory?"""
    data = zip_bomb()
    assert len(data) < 1024 * 1024
    message = refused_with_bounded_memory("roster.xlsx", data)
    assert "zip bomb" in message


def test_declared_dimension_and_far_cells_are_capped():
    """Is a sheet declaring a million rows by 16,384 columns refused without padding every row?"""
    message = refused_with_bounded_memory("roster.xlsx", sparse_bomb())
    assert "melebihi 200000 baris" in message or "kolom" in message


def test_cell_beyond_the_column_cap_refuses_the_file():
    """Is a value in column 250 refused rather than dropped silently?"""
    row = ["198609262015051001", "Budi"] + [None] * 247 + ["tersembunyi"]
    with pytest.raises(TabularFileError) as caught:
        read_all("roster.xlsx", workbook_bytes([["NIP", "Nama"], row]))
    assert "lebih dari 200 kolom" in str(caught.value.message)


def test_too_many_csv_rows_are_refused():
    """Does the row cap hold for a CSV too (blank rows included)?"""
    data = ("NIP,Nama\n" + "\n" * 2000).encode()
    with pytest.raises(TabularFileError) as caught:
        read_all("roster.csv", data, max_rows=100)
    assert "melebihi 100 baris" in str(caught.value.message)


def test_nul_and_control_characters_are_found_in_every_cell():
    """Are a NUL after the first 4 KB, a bell in a name and an Excel-escaped control character each reported?"""
    padding = "".join(f"1986092620150510{n:02d},Pegawai {n},Dinas\n" for n in range(200))
    data = ("NIP,Nama,Unit Kerja,Catatan\n" + padding + "198609262015051001,Bu\x00di,Dinas,\n"
            "198609262015051002,Budi\x07,Dinas,\n198609262015051003,Budi,Dinas,ok\x00\n").encode()
    assert data.index(b"\x00") > 4096
    table, rows = read_all("roster.csv", data)
    found = {number: cell_errors(cells, table) for number, cells in rows if cell_errors(cells, table)}
    assert [(n, e[0][0]) for n, e in found.items()] == [(202, "nama"), (203, "nama"), (204, "Catatan")]
    assert found[202][0][1] == "Bu\\x00di" and "NUL" in str(found[202][0][2])
    assert "kontrol" in str(found[203][0][2])
    xlsx = workbook_bytes([["NIP", "Nama", "Unor"], ["198609262015051001", "Budi_x0007_", "Dinas\x85"]])
    table, rows = read_all("roster.xlsx", xlsx)
    assert [key for key, _, _ in cell_errors(rows[0][1], table)] == ["nama", "unit"]


def test_header_found_below_a_title_and_blank_rows():
    """Is the header found under a title and blank rows, with the mapping and row numbers of the file?"""
    data = workbook_bytes([["DAFTAR PEGAWAI KABUPATEN UJI"], ["Keadaan per 1 Desember 2026"], [],
                           ["No", "NIP BARU", "NAMA", "UNOR"], [1, "'198609262015051001", "Budi", "Dinas"]])
    table, rows = read_all("roster.xlsx", data)
    assert table.header_row == 4 and table.encoding is None
    assert table.mapping == [("No", None), ("NIP BARU", "NIP"), ("NAMA", "Nama"), ("UNOR", "Unit Kerja")]
    assert rows == [(5, [1, "'198609262015051001", "Budi", "Dinas"])]


def test_header_not_in_the_first_rows_is_explained():
    """When no row of the first ten has the required headers, does the message say where it looked?"""
    data = ("\n" * 3 + "Nomor,Pegawai\n1,Budi\n").encode()
    with pytest.raises(TabularFileError) as caught:
        read_all("roster.csv", data)
    assert "10 baris pertama" in str(caught.value.message) and "NIP" in str(caught.value.message)


@pytest.mark.parametrize("data, encoding, name", [
    ("NIP;Nama\n1;B\u00e9n\u00e9dicte\n".encode("cp1252"), "Windows-1252", "B\u00e9n\u00e9dicte"),
    ("\ufeffNIP,Nama\n1,P\u00fcrnomo\n".encode("utf-8"), "UTF-8", "P\u00fcrnomo"),
    ("NIP\tNama\n1\tP\u00fcrnomo\n".encode("utf-16"), "UTF-16", "P\u00fcrnomo"),
])
def test_csv_encodings_are_detected(data, encoding, name):
    """Is a CSV read as UTF-8 first, then UTF-16 (BOM) or Windows-1252, and is the guess reported?"""
    table, rows = read_all("roster.csv", data)
    assert table.encoding == encoding and rows[0][1][1] == name


def test_binary_and_legacy_files_are_refused_whole():
    """Are an .xls, a binary file named .csv and an XLSX named .csv refused with a clear message?"""
    for name, data, words in [("a.xls", b"\xd0\xcf\x11\xe0", ".xls lama"),
                              ("a.csv", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, ".xls lama"),
                              ("a.csv", b"N\x00I\x00P\x00" * 100, "biner"),
                              ("a.csv", b"PK\x03\x04", "bukan CSV")]:
        with pytest.raises(TabularFileError) as caught:
            read_all(name, data)
        assert words in str(caught.value.message), name


def test_archive_limits_are_read_from_the_central_directory_only():
    """Are the archive limits checked without inflating anything (a real workbook passes)?"""
    tabular.check_xlsx_archive(workbook_bytes([["NIP", "Nama"], ["1", "Budi"]]))
    with pytest.raises(TabularFileError):
        tabular.check_xlsx_archive(b"PK\x03\x04 not really a zip")


def test_two_headers_for_one_column_keep_the_more_specific_one():
    """With 'Unor' beside 'Unit Kerja', is 'Unit Kerja' used and 'Unor' shown as ignored; is 'Nama' twice refused?"""
    table, rows = read_all("roster.csv", b"NIP,Nama,Unor,Unit Kerja\n1,Budi,Dinas A,Dinas B\n")
    assert table.positions["unit"] == 3 and ("Unor", None) in table.mapping
    with pytest.raises(TabularFileError) as caught:
        read_all("roster.csv", b"NIP,Nama,nama\n1,Budi,Budi\n")
    assert "lebih dari sekali" in str(caught.value.message)
