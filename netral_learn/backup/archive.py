"""The backup archive: a gzipped tar written and read as a stream, optionally age-encrypted.

Layout: ``database/…`` (a ``pg_dump`` custom-format file or a SQLite copy), ``storage/…`` (every
stored file), ``keys/…`` (only when asked, and then only in an encrypted archive), and last
``manifest.json``: the SHA-256 and size of every other member, row counts per table, the audit
chain's head, the app version and migration head. Reading checks each member against the
manifest, so a truncated, altered or padded archive is refused before anything is restored.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = "netral-backup/1"
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class ArchiveError(Exception):
    """The archive cannot be trusted; the message says why, in Indonesian."""


@dataclass
class Manifest:
    """What the archive holds and what the instance looked like when it was made."""

    created_at: str
    app_version: str
    migration_head: str
    dialect: str
    row_counts: dict[str, int]
    audit_head: str
    audit_events: int
    files: dict[str, dict] = field(default_factory=dict)  #: member name → {"size", "sha256"}
    encrypted_keys: bool = False
    format: str = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT:
                raise ArchiveError(f"format arsip {raw.get('format')!r} tidak dikenal (diharapkan {FORMAT}).")
            return cls(**raw)
        except (ValueError, TypeError) as exc:
            raise ArchiveError(f"manifest arsip rusak ({exc}).") from exc


class Writer:
    """Add files to a gzipped tar stream, hashing each on the way; ``close`` appends the manifest."""

    def __init__(self, target):
        self._tar = tarfile.open(fileobj=target, mode="w|gz")
        self.files: dict[str, dict] = {}

    def add_file(self, name: str, path: Path, progress=None) -> None:
        digest = hashlib.sha256()
        size = path.stat().st_size
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, int(path.stat().st_mtime)
        with path.open("rb") as handle:
            self._tar.addfile(info, handle)
        self.files[name] = {"size": size, "sha256": digest.hexdigest()}
        if progress:
            progress(name, size)

    def close(self, manifest: Manifest) -> None:
        manifest.files = self.files
        data = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(data), 0o600
        self._tar.addfile(info, io.BytesIO(data))
        self._tar.close()


def read_members(source, extract_to: Path | None = None, only: str = "") -> tuple[Manifest, dict[str, Path]]:
    """Read the whole archive from ``source`` (a stream), check every member against the manifest,
    and (with ``extract_to``) write the members whose names start with ``only`` there; returns the
    manifest and the extracted paths.
    Raises ArchiveError for a truncated, corrupt or altered archive."""
    seen: dict[str, dict] = {}
    extracted: dict[str, Path] = {}
    manifest_data = None
    try:
        with tarfile.open(fileobj=source, mode="r|gz") as tar:
            for member in tar:
                if manifest_data is not None:
                    raise ArchiveError(f"ada isi setelah manifest ({member.name}): arsip ditambahi.")
                if not member.isfile() or not _safe(member.name):
                    raise ArchiveError(f"anggota arsip tidak sah: {member.name!r}.")
                handle = tar.extractfile(member)
                if member.name == MANIFEST:
                    manifest_data = handle.read(16 * CHUNK)
                    continue
                digest, size = hashlib.sha256(), 0
                out = None
                if extract_to is not None and member.name.startswith(only):
                    path = extract_to / member.name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    out = path.open("wb")
                    extracted[member.name] = path
                try:
                    for chunk in iter(lambda: handle.read(CHUNK), b""):
                        digest.update(chunk)
                        size += len(chunk)
                        if out:
                            out.write(chunk)
                finally:
                    if out:
                        out.close()
                seen[member.name] = {"size": size, "sha256": digest.hexdigest()}
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise ArchiveError(f"arsip terpotong atau rusak ({exc}).") from exc
    if manifest_data is None:
        raise ArchiveError("manifest tidak ada: arsip terpotong atau bukan cadangan Netral Learn.")
    manifest = Manifest.from_json(manifest_data)
    missing = sorted(set(manifest.files) - set(seen))
    extra = sorted(set(seen) - set(manifest.files))
    changed = sorted(name for name in seen.keys() & manifest.files.keys() if seen[name] != manifest.files[name])
    if missing or extra or changed:
        parts = []
        if changed:
            parts.append(f"isi berbeda dari manifest: {', '.join(changed[:5])}")
        if missing:
            parts.append(f"hilang: {', '.join(missing[:5])}")
        if extra:
            parts.append(f"tidak tercantum di manifest: {', '.join(extra[:5])}")
        raise ArchiveError("arsip diubah — " + "; ".join(parts) + ".")
    return manifest, extracted


def _safe(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts


def storage_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every stored file below ``root`` as (archive name, path), skipping half-written temp files."""
    if not root.exists():
        return
    for dirpath, _dirs, names in os.walk(root):
        for name in sorted(names):
            if name.startswith(".") and name.endswith(".tmp"):
                continue
            path = Path(dirpath) / name
            yield "storage/" + path.relative_to(root).as_posix(), path


# --- encryption (age, through pyrage: X25519 key files as `age-keygen` writes them) -----------

def load_identity(key_file: Path):
    """The age identity in ``key_file`` (lines starting with AGE-SECRET-KEY-; comments allowed)."""
    from pyrage import x25519

    try:
        lines = [line.strip() for line in key_file.read_text().splitlines()]
    except OSError as exc:
        raise ArchiveError(f"berkas kunci {key_file} tidak dapat dibaca ({exc.strerror}).") from exc
    secrets = [line for line in lines if line.startswith("AGE-SECRET-KEY-")]
    if not secrets:
        raise ArchiveError(f"{key_file} tidak memuat kunci age (AGE-SECRET-KEY-…); buat dengan `flask backup keygen`.")
    try:
        return x25519.Identity.from_str(secrets[0])
    except Exception as exc:  # noqa: BLE001 - pyrage raises its own error types
        raise ArchiveError(f"kunci di {key_file} tidak sah.") from exc


def new_key_file(path: Path) -> str:
    """Write a new age identity to ``path`` (mode 600); returns its public recipient."""
    from pyrage import x25519

    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"# Kunci cadangan Netral Learn — simpan terpisah dari cadangannya.\n"
                     f"# public key: {recipient}\n{identity}\n")
    return recipient


def encrypt_file(plain: Path, target: Path, key_file: Path) -> None:
    import pyrage

    identity = load_identity(key_file)
    with plain.open("rb") as source, target.open("wb") as out:
        pyrage.encrypt_io(source, out, [identity.to_public()])


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(22) == b"age-encryption.org/v1\n"


def decrypted_copy(path: Path, key_file: Path | None, workdir: Path) -> Path:
    """``path`` itself when it is a plain archive, else a decrypted copy in ``workdir``."""
    import pyrage

    if not is_encrypted(path):
        return path
    if key_file is None:
        raise ArchiveError("arsip ini terenkripsi: berikan --key-file.")
    identity = load_identity(key_file)
    plain = Path(tempfile.mkstemp(dir=workdir, suffix=".tar.gz")[1])
    try:
        with path.open("rb") as source, plain.open("wb") as out:
            pyrage.decrypt_io(source, out, [identity])
    except Exception as exc:  # noqa: BLE001 - wrong key, truncated or altered ciphertext
        plain.unlink(missing_ok=True)
        raise ArchiveError("arsip tidak dapat dibuka dengan kunci ini (kunci salah, atau arsip terpotong/diubah).") from exc
    return plain
