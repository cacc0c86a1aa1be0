"""The bundled default pact text (``content/pakta/pakta-netralitas.toml``) → a published version."""
from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from sqlalchemy import select

from ..core.clock import now_utc
from ..extensions import db
from .models import PactTemplate, PactTemplateVersion
from .services import DEFAULT_TEMPLATE_SLUG


def load_default_pact(root: Path) -> str:
    """Install or update the default pact; an unchanged file does nothing."""
    path = root / "pakta" / f"{DEFAULT_TEMPLATE_SLUG}.toml"
    if not path.exists():
        return "pakta: tidak ada berkas bawaan"
    raw = path.read_bytes()
    spec = tomllib.loads(raw.decode("utf-8"))
    source_hash = hashlib.sha256(raw).hexdigest()
    template = db.session.scalar(select(PactTemplate).where(PactTemplate.slug == DEFAULT_TEMPLATE_SLUG))
    if template is None:
        template = PactTemplate(slug=DEFAULT_TEMPLATE_SLUG, instansi_id=None)
        db.session.add(template)
        db.session.flush()
    current = template.versions[-1] if template.versions else None
    if current is not None and current.source_hash == source_hash:
        return f"pakta: versi {current.number} sudah terpasang, tidak berubah"
    version = PactTemplateVersion(
        template_id=template.id, number=(current.number + 1) if current else 1, published=True,
        title=spec["title"].strip(), opening=spec.get("opening", "").strip(),
        clauses=[{"text": c["text"].strip(), "requires_agreement": bool(c.get("requires_agreement", True))}
                 for c in spec["clauses"]],
        closing=spec.get("closing", "").strip(), legal_footer=spec.get("legal_footer", "").strip(),
        source_hash=source_hash, published_at=now_utc(),
    )
    db.session.add(version)
    db.session.flush()
    return f"pakta: versi {version.number} dipasang ({len(version.clauses)} butir)"
