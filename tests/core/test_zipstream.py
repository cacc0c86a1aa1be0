"""Streaming ZIP: valid archives built chunk by chunk, with memory that stays flat."""
import os
import tracemalloc
import zipfile

from netral_learn.core.zipstream import CHUNK, stream_zip

MB = 1024 * 1024


def _files(folder, count, size):
    paths = []
    for i in range(count):
        path = folder / f"berkas-{i}.pdf"
        with open(path, "wb") as handle:
            for _ in range(size // MB):
                handle.write(os.urandom(MB))
        paths.append(path)
    return paths


def test_archive_is_valid_and_holds_exactly_the_files(tmp_path):
    """Does the streamed ZIP open with zipfile, pass its CRC checks and hold each file byte for byte?"""
    paths = _files(tmp_path, 3, 1 * MB)
    (tmp_path / "kosong.pdf").write_bytes(b"")
    paths.append(tmp_path / "kosong.pdf")
    out = tmp_path / "hasil.zip"
    with open(out, "wb") as handle:
        for chunk in stream_zip((f"nama-{i}.pdf", p) for i, p in enumerate(paths)):
            handle.write(chunk)
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [f"nama-{i}.pdf" for i in range(len(paths))]
        for i, path in enumerate(paths):
            assert archive.read(f"nama-{i}.pdf") == path.read_bytes()


def test_memory_stays_flat_while_streaming_many_megabytes(tmp_path):
    """Is a 48 MB archive produced without ever holding more than a few MB, and lazily (file by file)?"""
    paths = _files(tmp_path, 6, 8 * MB)
    opened = []

    def members():
        for i, path in enumerate(paths):
            opened.append(i)
            yield f"sertifikat-{i}.pdf", path

    total, largest = 0, 0
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        stream = stream_zip(members())
        first = next(stream)
        assert opened == [0]  # the second file is not touched before the first is streamed
        total += len(first)
        for chunk in stream:
            largest = max(largest, len(chunk))
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > 48 * MB  # random data does not compress
    assert largest <= 2 * CHUNK
    assert peak < 4 * MB, peak
