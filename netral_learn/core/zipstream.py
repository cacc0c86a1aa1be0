"""ZIP archives streamed as they are built: files are read in chunks, nothing is held whole in memory.

``zipfile`` writes into a sink that cannot seek, so every member gets a data descriptor (sizes and
CRC after the data) and the central directory comes last; the generator hands out whatever the
sink holds after each chunk, so memory stays at about one chunk plus the compressor's window.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

CHUNK = 64 * 1024


class _Sink(io.RawIOBase):
    """A write-only, unseekable buffer that the generator empties after every write."""

    def __init__(self):
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def drain(self) -> list[bytes]:
        parts, self._parts = self._parts, []
        return parts


def stream_zip(members: Iterable[tuple[str, Path]], *, chunk_size: int = CHUNK,
               compression: int = zipfile.ZIP_DEFLATED) -> Iterator[bytes]:
    """Yield the bytes of a ZIP holding each (name in archive, file on disk), read ``chunk_size`` at a time."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=compression) as archive:
        for name, path in members:
            info = zipfile.ZipInfo.from_file(path, name)
            info.compress_type = compression
            with open(path, "rb") as source, archive.open(info, "w") as target:
                while chunk := source.read(chunk_size):
                    target.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
