"""An instansi's certificate settings as admins change them: numbering, signer, images, template.

Changes apply to PDFs rendered afterwards. A PDF is rendered once (the first time it is needed)
and kept, so saving settings or a template never changes a certificate already rendered; only a
re-issue renders it again. Numbers are taken when a certificate is issued and never change.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import lazy_gettext as _l

from ..accounts.models import Person, Role, Unit
from ..core import audit
from ..core.errors import InvalidInput, OutOfScope
from ..core.pdf import render_pdf
from ..accounts.scope import get_unit, instansi_in_scope, require_role
from ..core.storage import atomic_write, storage_root
from ..courses.attachments import sniff
from ..extensions import db
from . import numbering
from .models import CertificateSettings
from .services import DEFAULT_TEMPLATE, render_html, sample_data, settings_fields, settings_for

MB = 1024 * 1024
MAX_IMAGE = 2 * MB
IMAGE_TYPES = {"image/png", "image/jpeg"}
MAX_TEMPLATE = 200_000
MAX_JP = 100
#: Which column holds which uploaded image.
IMAGE_COLUMNS = {"logo": "logo_path", "signature": "signature_image_path"}


@dataclass
class SettingsValues:
    """What the settings form edits (everything but the images and the template)."""

    number_pattern: str
    place: str
    agency_name: str
    signer_title: str
    signer_name: str
    signer_nip: str
    signer_rank: str
    jp: int


def get_instansi_for(actor: Person, instansi_id: int | None) -> Unit:
    """The instansi whose settings an admin edits: the one asked for (a root unit in scope), else their first."""
    require_role(actor, Role.ADMIN)
    if instansi_id:
        instansi = get_unit(actor, instansi_id)
        if instansi.parent_id is not None:
            raise OutOfScope()
        return instansi
    instansi = db.session.scalars(instansi_in_scope(actor).limit(1)).first()
    if instansi is None:
        raise OutOfScope()
    return instansi


def _stored(instansi: Unit) -> CertificateSettings:
    """The instansi's settings row, added to the session when it is still the unsaved default."""
    settings = settings_for(instansi.id)
    if settings not in db.session:
        db.session.add(settings)
    return settings


def update_settings(actor: Person, instansi: Unit, values: SettingsValues) -> CertificateSettings:
    """Save numbering and signer details; a new number pattern must be valid."""
    pattern = (values.number_pattern or "").strip()
    if values.jp is None or not 0 <= values.jp <= MAX_JP:
        raise InvalidInput(_l("Jam pelajaran harus antara 0 dan %(n)d.", n=MAX_JP))
    try:
        numbering.check_pattern(pattern)
    except numbering.PatternError as exc:
        raise InvalidInput(_l("Pola nomor tidak dapat dipakai: %(error)s.", error=str(exc))) from None
    settings = _stored(instansi)
    old_pattern = settings.number_pattern
    for name in ("place", "agency_name", "signer_title", "signer_name", "signer_nip", "signer_rank"):
        setattr(settings, name, " ".join((getattr(values, name) or "").split()))
    settings.number_pattern, settings.jp = pattern, values.jp
    db.session.flush()
    audit.record(actor, "certificate.settings", f"unit:{instansi.id}", pattern=pattern, old_pattern=old_pattern)
    return settings


def store_image(stream: BinaryIO) -> str:
    """Keep an uploaded PNG or JPEG (checked by its content, at most 2 MB) under media/, named by its hash."""
    data = stream.read(MAX_IMAGE + 1)
    kind = sniff(data[:16])
    if kind is None or kind[0] not in IMAGE_TYPES:
        raise InvalidInput(_l("Gambar harus berupa berkas PNG atau JPEG."))
    if len(data) > MAX_IMAGE:
        raise InvalidInput(_l("Gambar terlalu besar: maksimal %(mb)d MB.", mb=MAX_IMAGE // MB))
    name = hashlib.sha256(data).hexdigest() + kind[1]
    path = storage_root() / "media" / name
    if not path.exists():  # content-addressed: the same picture is stored once and never rewritten
        atomic_write(path, data)
    return name


def set_image(actor: Person, instansi: Unit, which: str, stream: BinaryIO | None) -> CertificateSettings:
    """Replace (or, with no stream, remove) the instansi's logo or scanned signature."""
    settings = _stored(instansi)
    stored = store_image(stream) if stream is not None else None
    setattr(settings, IMAGE_COLUMNS[which], stored)
    db.session.flush()
    audit.record(actor, f"certificate.{which}", f"unit:{instansi.id}", file=stored)
    return settings


def save_settings(actor: Person, instansi: Unit, values: SettingsValues,
                  images: dict[str, BinaryIO | None]) -> CertificateSettings:
    """The whole settings form at once: values, then each image given (a stream) or removed (None)."""
    settings = update_settings(actor, instansi, values)
    for which, stream in images.items():
        set_image(actor, instansi, which, stream)
    return settings


def default_template() -> str:
    """The bundled template, what the editor starts from and “Kembalikan ke bawaan” returns to."""
    return DEFAULT_TEMPLATE.read_text(encoding="utf-8")


def _clean_source(source: str) -> str:
    source = (source or "").replace("\r\n", "\n")
    if not source.strip():
        raise InvalidInput(_l("Templat tidak boleh kosong; pilih “Kembalikan ke bawaan” untuk memakai templat bawaan."))
    if len(source) > MAX_TEMPLATE:
        raise InvalidInput(_l("Templat terlalu panjang: maksimal %(n)d karakter.", n=MAX_TEMPLATE))
    return source


def save_template(actor: Person, instansi: Unit, source: str) -> CertificateSettings:
    """Keep an edited template once it renders with sample data; the bundled one is stored as 'none'."""
    source = _clean_source(source)
    render_html(source, sample_data())
    settings = _stored(instansi)
    settings.template_html = None if source.strip() == default_template().strip() else source
    db.session.flush()
    audit.record(actor, "certificate.template", f"unit:{instansi.id}",
                 sha256=hashlib.sha256(source.encode()).hexdigest(), default=settings.template_html is None)
    return settings


def reset_template(actor: Person, instansi: Unit) -> CertificateSettings:
    """Go back to the bundled template."""
    settings = _stored(instansi)
    settings.template_html = None
    db.session.flush()
    audit.record(actor, "certificate.template_reset", f"unit:{instansi.id}")
    return settings


def _data_uri(relative: str | None) -> str:
    if not relative:
        return ""
    path = storage_root() / "media" / relative
    if not path.is_file():
        return ""
    mime = "image/png" if relative.endswith(".png") else "image/jpeg"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def preview_data(instansi: Unit) -> dict:
    """Sample values with this instansi's own settings; images inline, so the HTML preview shows them too."""
    settings = settings_for(instansi.id)
    return {**sample_data(), "instansi": instansi.name, **settings_fields(settings),
            "logo_url": _data_uri(settings.logo_path), "tanda_tangan_url": _data_uri(settings.signature_image_path)}


def preview_html(instansi: Unit, source: str) -> str:
    """The (unsaved) template rendered in the sandbox with sample data; InvalidInput says what is wrong."""
    return render_html(_clean_source(source), preview_data(instansi))


def preview_pdf(instansi: Unit, source: str) -> bytes:
    """The preview as the PDF a certificate would be (same sandbox, same app-only fetcher)."""
    return render_pdf(preview_html(instansi, source), media_root=storage_root() / "media")
