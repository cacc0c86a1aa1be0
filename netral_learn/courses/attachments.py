"""Module attachments: type checked by content (not by name), size-limited, content-addressed."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Person
from ..core.errors import InvalidInput
from ..core.markdown import ATTACHMENT_SCHEME
from ..accounts.scope import unit_in_scope
from ..core.storage import storage_root
from ..extensions import db
from .models import Attachment, Module, Program

AREA = "attachments"
MB = 1024 * 1024
#: (mime, extension, size limit) by leading bytes.
_KINDS = [
    (b"%PDF-", "application/pdf", ".pdf", 20 * MB),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png", 5 * MB),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg", 5 * MB),
    (b"\x1a\x45\xdf\xa3", "video/webm", ".webm", 200 * MB),
]
MAX_UPLOAD = 200 * MB


def sniff(head: bytes) -> tuple[str, str, int] | None:
    """Detect an allowed file type from its first bytes."""
    for magic, mime, extension, limit in _KINDS:
        if head.startswith(magic):
            return mime, extension, limit
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp", 5 * MB
    if head[4:8] == b"ftyp":
        return "video/mp4", ".mp4", 200 * MB
    return None


def safe_filename(name: str) -> str:
    base = os.path.basename(name or "").strip().replace(" ", "-")
    cleaned = "".join(c for c in base if c.isalnum() or c in "-_.")
    return cleaned[:120] or "lampiran"


def add_attachment(module: Module, filename: str, stream: BinaryIO) -> Attachment:
    """Store an uploaded file for a draft module, refusing unknown types and oversize files."""
    if not module.version.is_editable:
        raise InvalidInput(_l("Versi ini sudah terbit; buat versi baru untuk mengubah lampiran."))
    head = stream.read(16)
    kind = sniff(head)
    if kind is None:
        raise InvalidInput(_l("Jenis berkas tidak didukung. Unggah PDF, PNG, JPEG, WEBP, MP4 atau WebM."))
    mime, extension, limit = kind
    folder = storage_root() / AREA
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(head)
    size = len(head)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(head)
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise InvalidInput(_l("Berkas terlalu besar: maksimal %(mb)d MB untuk jenis ini.", mb=limit // MB))
                digest.update(chunk)
                out.write(chunk)
        stored = digest.hexdigest() + extension
        os.replace(tmp, folder / stored)
    finally:
        Path(tmp).unlink(missing_ok=True)
    name = safe_filename(filename)
    if not name.lower().endswith(extension) and not (extension == ".jpg" and name.lower().endswith(".jpeg")):
        name = Path(name).stem + extension
    item = Attachment(module_id=module.id, filename=name, stored_name=stored, mime=mime, size=size,
                      sha256=stored[:64])
    db.session.add(item)
    db.session.flush()
    return item


def resolver(module: Module):
    """Map 'lampiran:NAME' in Markdown to the attachment's URL."""
    by_name = {a.filename: a for a in module.attachments}

    def resolve(name: str) -> str | None:
        item = by_name.get(name)
        return url_for("courses.attachment", attachment_id=item.id, filename=item.filename) if item else None

    return resolve


def markdown_snippet(item: Attachment) -> str:
    """What an author pastes into a module to show the file: an image, or a link for the rest."""
    target = f"{ATTACHMENT_SCHEME}{item.filename}"
    return f"![{item.filename}]({target})" if item.mime.startswith("image/") else f"[{item.filename}]({target})"


def may_view(person: Person, item: Attachment) -> bool:
    """Authors of the course, staff of a program's instansi, or anyone a program using this version targets."""
    from .authoring import may_read_course
    from .services import is_targeted

    if may_read_course(person, item.module.version.course):
        return True
    programs = db.session.scalars(select(Program).where(
        Program.course_version_id == item.module.version_id)).all()
    if person.is_staff and (person.scope_unit is None or any(unit_in_scope(person, p.instansi) for p in programs)
                            or item.module.version.course.instansi_id is None):
        return True
    return any(is_targeted(person, program) for program in programs)
