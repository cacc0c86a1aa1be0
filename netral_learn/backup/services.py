"""Create, verify and restore backups of one installation (database + stored files + manifest).

The database is copied as one consistent snapshot: SQLite through its online backup API (the app
may keep running), PostgreSQL by ``pg_dump --snapshot`` inside the transaction that also counts the
rows and reads the audit head, so the manifest describes exactly the dump. Stored files are
write-once (a new PDF gets a new name), so copying them after the snapshot can only add files
that no row of the dump names yet.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ..core.clock import now_utc
from .archive import (ArchiveError, Manifest, Writer, decrypted_copy, encrypt_file, read_members,
                      storage_files)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Snapshot:
    """The database dump and the facts read in the same snapshot."""

    path: Path
    member: str
    dialect: str
    row_counts: dict[str, int]
    migration_head: str
    audit_head: str
    audit_events: int


def _url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def _facts(connection) -> tuple[dict[str, int], str, str, int]:
    """Row counts per table, migration head, audit head and event count, on ``connection``."""
    tables = sorted(inspect(connection).get_table_names())
    counts = {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in tables}
    head = ""
    if "alembic_version" in tables:
        head = ",".join(sorted(r[0] for r in connection.execute(text("SELECT version_num FROM alembic_version"))))
    audit_head = ""
    if "audit_events" in tables:
        audit_head = connection.execute(text("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1")).scalar() or ""
    return counts, head, audit_head, counts.get("audit_events", 0)


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection arguments for pg_dump/pg_restore, the password in the environment only."""
    parsed = make_url(url)
    args = ["--dbname", parsed.database or ""]
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return args, env


def snapshot_database(workdir: Path) -> Snapshot:
    """Dump the database into ``workdir`` and read its facts from the same snapshot."""
    url = _url()
    if url.startswith("sqlite"):
        source_path = make_url(url).database
        target = workdir / "netral.sqlite3"
        source = sqlite3.connect(source_path)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        engine = create_engine(f"sqlite:///{target}", poolclass=NullPool)
        with engine.connect() as connection:
            counts, head, audit_head, events = _facts(connection)
        engine.dispose()
        return Snapshot(target, "database/netral.sqlite3", "sqlite", counts, head, audit_head, events)
    target = workdir / "netral.pgdump"
    engine = create_engine(url, poolclass=NullPool, isolation_level="REPEATABLE READ")
    with engine.connect() as connection:
        connection.execute(text("SET TRANSACTION READ ONLY"))
        snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        args, env = _pg_args(url)
        result = subprocess.run(["pg_dump", "--format=custom", f"--snapshot={snapshot_id}", "--no-owner",
                                 "--file", str(target), *args], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise ArchiveError(f"pg_dump gagal: {result.stderr.strip()[:500]}")
        counts, head, audit_head, events = _facts(connection)
        connection.rollback()
    engine.dispose()
    return Snapshot(target, "database/netral.pgdump", "postgresql", counts, head, audit_head, events)


def app_version() -> str:
    """The code's git commit when installed from a checkout, else 'tidak diketahui'."""
    root = Path(current_app.root_path).parent
    try:
        result = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, timeout=5)
    except OSError:
        return "tidak diketahui"
    return result.stdout.strip() or "tidak diketahui"


def create_backup(output: Path, *, key_file: Path | None = None, with_keys: bool = False,
                  progress: Progress | None = None) -> Manifest:
    """Write the backup archive to ``output`` (never overwriting), encrypted when ``key_file`` is given."""
    if with_keys and key_file is None:
        raise ArchiveError("kunci penandatangan hanya disertakan dalam arsip terenkripsi: berikan juga --key-file.")
    if output.exists():
        raise ArchiveError(f"{output} sudah ada: pilih nama lain (cadangan tidak pernah ditimpa).")
    output.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".backup-", dir=output.parent))
    partial = output.with_name(f".{output.name}.partial")
    say = progress or (lambda _message: None)
    try:
        say("Menyalin basis data …")
        snap = snapshot_database(workdir)
        files = list(storage_files(Path(current_app.config["STORAGE_DIR"])))
        if with_keys:
            from ..pact.keys import key_paths

            paths = key_paths()
            files += [(f"keys/{p.name}", p) for p in (paths.pkcs12, paths.ca) if p.is_file()]
        total = snap.path.stat().st_size + sum(path.stat().st_size for _, path in files) or 1
        done, shown = 0, -1

        def advance(_name: str, size: int) -> None:
            nonlocal done, shown
            done += size
            percent = done * 100 // total
            if percent // 10 != shown:
                shown = percent // 10
                say(f"{percent} % ({done // 2**20} MiB dari {total // 2**20} MiB)")

        plain = workdir / "plain.tar.gz" if key_file else partial
        with plain.open("wb") as handle:
            writer = Writer(handle)
            writer.add_file(snap.member, snap.path, advance)
            for name, path in files:
                writer.add_file(name, path, advance)
            manifest = Manifest(created_at=now_utc().isoformat(timespec="seconds"), app_version=app_version(),
                                migration_head=snap.migration_head, dialect=snap.dialect, row_counts=snap.row_counts,
                                audit_head=snap.audit_head, audit_events=snap.audit_events,
                                encrypted_keys=with_keys)
            writer.close(manifest)
            handle.flush()
            os.fsync(handle.fileno())
        if key_file:
            say("Mengenkripsi …")
            encrypt_file(plain, partial, key_file)
        os.replace(partial, output)
        return manifest
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)


def verify_backup(archive: Path, key_file: Path | None = None) -> Manifest:
    """Read the whole archive and check it without restoring: every member against the manifest,
    and the database copy itself (pg_restore --list, or SQLite's integrity check)."""
    workdir = Path(tempfile.mkdtemp(prefix=".backup-verify-"))
    try:
        plain = decrypted_copy(archive, key_file, workdir)
        with plain.open("rb") as handle:
            manifest, paths = read_members(handle, workdir / "x", only="database/")
        _check_database_copy(manifest, paths)
        return manifest
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_database_copy(manifest: Manifest, paths: dict[str, Path]) -> None:
    database = [path for name, path in paths.items() if name.startswith("database/")]
    if len(database) != 1:
        raise ArchiveError("arsip tidak memuat salinan basis data.")
    if manifest.dialect == "postgresql":
        result = subprocess.run(["pg_restore", "--list", str(database[0])], capture_output=True, text=True)
        if result.returncode != 0:
            raise ArchiveError(f"salinan PostgreSQL tidak dapat dibaca: {result.stderr.strip()[:300]}")
    else:
        connection = sqlite3.connect(database[0])
        try:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            connection.close()
        if verdict != "ok":
            raise ArchiveError(f"salinan SQLite rusak: {verdict}")


@dataclass
class RestoreReport:
    manifest: Manifest
    files: int
    documents_checked: int
    problems: list[str]
    keys_folder: Path | None


def target_is_empty() -> bool:
    """No rows in any table (an empty or freshly migrated database) and no stored files."""
    engine = create_engine(_url(), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            counts, *_ = _facts(connection)
    finally:
        engine.dispose()
    rows = sum(n for name, n in counts.items() if name != "alembic_version")
    return rows == 0 and next(storage_files(Path(current_app.config["STORAGE_DIR"])), None) is None


def restore_backup(archive: Path, key_file: Path | None = None, *, force: bool = False,
                   progress: Progress | None = None) -> RestoreReport:
    """Restore onto this (empty) instance, then check every stored document and the audit chain.

    The archive is read and checked whole before anything is touched; the database is replaced in
    one step (SQLite: a rename; PostgreSQL: pg_restore in a single transaction), the files only
    after that succeeded."""
    say = progress or (lambda _message: None)
    if not force and not target_is_empty():
        raise ArchiveError("instalasi tujuan tidak kosong (ada data atau berkas): pulihkan ke instalasi baru, "
                           "atau tambahkan --force untuk menimpanya.")
    storage = Path(current_app.config["STORAGE_DIR"])
    storage.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".restore-", dir=storage.parent))
    try:
        say("Memeriksa arsip …")
        plain = decrypted_copy(archive, key_file, workdir)
        with plain.open("rb") as handle:
            manifest, paths = read_members(handle, workdir / "x")
        _check_database_copy(manifest, paths)
        _check_compatible(manifest)
        say("Memulihkan basis data …")
        _restore_database(manifest, paths)
        say("Memulihkan berkas …")
        files = 0
        keys_folder = None
        for name, path in paths.items():
            if name.startswith("storage/"):
                target = storage / name.removeprefix("storage/")
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                files += 1
            elif name.startswith("keys/"):
                keys_folder = Path(current_app.instance_path) / "keys-from-backup"
                keys_folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.replace(path, keys_folder / Path(name).name)
        say("Memeriksa hasil pemulihan …")
        checked, problems = check_restored(manifest)
        return RestoreReport(manifest, files, checked, problems, keys_folder)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_compatible(manifest: Manifest) -> None:
    from alembic.script import ScriptDirectory

    dialect = "sqlite" if _url().startswith("sqlite") else "postgresql"
    if manifest.dialect != dialect:
        raise ArchiveError(f"cadangan ini dari {manifest.dialect}, instalasi ini memakai {dialect}.")
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    for revision in filter(None, manifest.migration_head.split(",")):
        try:
            script.get_revision(revision)
        except Exception as exc:  # noqa: BLE001 - unknown revision
            raise ArchiveError(f"cadangan dibuat oleh versi aplikasi yang lebih baru (revisi {revision}): "
                               "pasang versi itu dulu.") from exc


def _restore_database(manifest: Manifest, paths: dict[str, Path]) -> None:
    from ..extensions import db

    dump = next(path for name, path in paths.items() if name.startswith("database/"))
    db.engine.dispose()
    url = _url()
    if manifest.dialect == "sqlite":
        target = Path(make_url(url).database)
        staged = target.with_name(f".{target.name}.restore")
        shutil.copyfile(dump, staged)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(staged, target)
        return
    args, env = _pg_args(url)
    result = subprocess.run(["pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
                             "--no-owner", "--no-privileges", *args, str(dump)], env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise ArchiveError(f"pg_restore gagal, basis data tidak diubah: {result.stderr.strip()[:500]}")


def check_restored(manifest: Manifest) -> tuple[int, list[str]]:
    """Row counts, the audit chain and head, and every stored document's hash, after a restore."""
    from ..core import audit
    from ..extensions import db

    problems: list[str] = []
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as connection:
        counts, head, audit_head, _events = _facts(connection)
        documents = [*connection.execute(text("SELECT pdf_path, pdf_sha256 FROM pact_signatures WHERE pdf_path IS NOT NULL")),
                     *connection.execute(text("SELECT pdf_path, pdf_sha256 FROM certificates WHERE pdf_path IS NOT NULL"))]
    for table, expected in manifest.row_counts.items():
        if counts.get(table) != expected:
            problems.append(f"tabel {table}: {counts.get(table)} baris, manifest {expected}")
    if audit_head != manifest.audit_head:
        problems.append("hash kepala rantai audit berbeda dari manifest")
    report = audit.verify_chain()
    if not report.ok:
        problems.append(f"rantai audit rusak pada entri {report.first_broken_seq}: {report.reason}")
    storage = Path(current_app.config["STORAGE_DIR"])
    for relative, digest in documents:
        path = storage / relative
        if not path.is_file():
            problems.append(f"dokumen hilang: {relative}")
        elif _sha256(path) != digest:
            problems.append(f"dokumen berubah: {relative}")
    db.session.remove()
    return len(documents), problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

