"""Files the app keeps (uploads, PDFs): written atomically under STORAGE_DIR."""
from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path

from flask import current_app

logger = logging.getLogger("netral_learn.storage")

_TOKEN_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def storage_root() -> Path:
    root = Path(current_app.config["STORAGE_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def _write_fully(fd: int, data: bytes) -> None:
    """All of ``data`` to ``fd`` (``os.write`` may write less than asked). A full disk raises
    OSError(ENOSPC) here, or at the fsync below; the tests inject that fault at this point."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view[:1 << 20]):]


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a
    part: a temporary file in the same folder, fsynced, then renamed; removed again on any error
    (a full disk included)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            _write_fully(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StagedUpload:
    """An uploaded file kept between a dry run and its confirmation, owned by one person."""

    area = "staged"
    max_age_seconds = 24 * 3600

    def __init__(self, token: str):
        if not token or set(token) - _TOKEN_CHARS or len(token) > 64:
            raise FileNotFoundError(token)
        self.token = token
        self.folder = storage_root() / self.area
        self.data_path = self.folder / f"{token}.bin"
        self.meta_path = self.folder / f"{token}.json"

    @classmethod
    def create(cls, owner_id: int | None, filename: str, data: bytes) -> "StagedUpload":
        staged = cls(secrets.token_urlsafe(24))
        cls.purge_old()
        meta = {"owner": owner_id, "filename": filename, "created": time.time()}
        try:
            atomic_write(staged.data_path, data)
            atomic_write(staged.meta_path, json.dumps(meta).encode())
        except OSError:  # e.g. the disk filled up between the two files: keep neither
            staged.delete()
            raise
        return staged

    @classmethod
    def load(cls, token: str, owner_id: int | None) -> "StagedUpload":
        """The staged upload, only for its owner and while fresh; FileNotFoundError otherwise."""
        staged = cls(token)
        meta = json.loads(staged.meta_path.read_text())
        if meta["owner"] != owner_id or time.time() - meta["created"] > cls.max_age_seconds:
            raise FileNotFoundError(token)
        staged.filename = meta["filename"]
        return staged

    def read(self) -> bytes:
        return self.data_path.read_bytes()

    def write_extra(self, suffix: str, data: bytes) -> None:
        atomic_write(self.folder / f"{self.token}.{suffix}", data)

    def read_extra(self, suffix: str) -> bytes:
        return (self.folder / f"{self.token}.{suffix}").read_bytes()

    def delete(self) -> None:
        for path in self.folder.glob(f"{self.token}.*"):
            path.unlink(missing_ok=True)

    @classmethod
    def purge_old(cls) -> None:
        folder = storage_root() / cls.area
        if not folder.exists():
            return
        limit = time.time() - cls.max_age_seconds
        for path in folder.iterdir():
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)


def write_new_file(relative: str, data: bytes) -> Path:
    """Atomically write a file that belongs to the current transaction: if the transaction rolls
    back, the file is removed again, so no document exists without its database row."""
    from ..extensions import db

    path = storage_root() / relative
    atomic_write(path, data)
    db.session.info.setdefault("new_files", []).append(path)
    return path


#: Per thread: the connection that was last asked to COMMIT and has not answered yet (see below).
_commit_state = threading.local()


def _install_session_file_hooks() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    @event.listens_for(Session, "after_begin")
    def _begin(session, transaction, connection):
        session.info["connection_id"] = id(connection)
        _commit_state.sent_by = None

    @event.listens_for(Engine, "commit")
    def _commit_sent(connection):
        _commit_state.sent_by = id(connection)

    @event.listens_for(Session, "after_commit")
    def _keep(session):
        _commit_state.sent_by = None
        session.info.pop("new_files", None)

    def _remove(session):
        paths = session.info.pop("new_files", [])
        committing = getattr(_commit_state, "sent_by", None)
        if paths and committing is not None and committing == session.info.get("connection_id"):
            # The connection broke during COMMIT: the rows may be stored. An orphan file is
            # harmless; a signed row whose PDF was deleted could never be made whole again.
            logger.warning("commit outcome unknown; keeping %d new file(s)", len(paths),
                           extra={"files": [str(p) for p in paths]})
            return
        for path in paths:
            Path(path).unlink(missing_ok=True)

    event.listen(Session, "after_rollback", _remove)

    # A connection lost mid-transaction (database restart) rolls back without a DBAPI rollback,
    # so "after_rollback" never fires; the outermost soft rollback still does.
    @event.listens_for(Session, "after_soft_rollback")
    def _remove_unless_savepoint(session, previous_transaction):
        if not previous_transaction.nested:
            _remove(session)


_install_session_file_hooks()
