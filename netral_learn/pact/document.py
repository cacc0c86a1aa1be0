"""The pact as a document: filled text, the exact text hashed, the PDF, its PAdES signatures.

Admin-written pact text is plain text with ``{nama}``-style placeholders; only the known
placeholders are replaced (no template language), and the HTML for the PDF is built by a
trusted Jinja template that escapes it.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime

import segno
from flask import current_app, render_template

from ..core.i18n import format_date_id, format_datetime_zone, zone_of
from ..core.pdf import render_pdf
from . import keys

PLACEHOLDERS = ("nama", "nip", "jabatan", "golongan", "unit", "instansi", "tempat", "tanggal", "program", "pegawai")
#: What ``{pegawai}`` says for each jenis: the pact's title names the signer's kind of employment.
PEGAWAI_WORDS = {"PNS": "Aparatur Sipil Negara", "PPPK": "Aparatur Sipil Negara", "NON_ASN": "Pegawai Non-ASN"}
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Replace the known {placeholders}; anything else in braces stays as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text or "")


@dataclass(frozen=True)
class FilledPact:
    """The pact text exactly as one person sees and signs it."""

    title: str
    opening: str
    clauses: list[dict]
    closing: str
    legal_footer: str

    def canonical_text(self) -> str:
        """The single string that is stored and hashed: what was signed, byte for byte."""
        parts = [self.title, "", self.opening, ""]
        parts += [f"{i}. {c['text']}" for i, c in enumerate(self.clauses, start=1)]
        parts += ["", self.closing, "", self.legal_footer]
        return "\n".join(parts).strip() + "\n"


def placeholder_values(person, program, instansi, place: str, when: datetime) -> dict[str, str]:
    return {
        "nama": person.name, "nip": person.nip, "jabatan": person.jabatan or "-",
        "golongan": person.golongan or "-", "unit": person.unit.name, "instansi": instansi.name,
        "tempat": place, "tanggal": format_date_id(when, zone_of(person)), "program": program.title,
        "pegawai": PEGAWAI_WORDS.get(str(getattr(person, "jenis", "PNS") or "PNS"), PEGAWAI_WORDS["PNS"]),
    }


def fill_version(version, values: dict[str, str]) -> FilledPact:
    return FilledPact(
        title=fill(version.title, values),
        opening=fill(version.opening, values),
        clauses=[{"text": fill(c["text"], values), "requires_agreement": bool(c.get("requires_agreement"))}
                 for c in version.clauses],
        closing=fill(version.closing, values),
        legal_footer=fill(version.legal_footer, values),
    )


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def verify_url(code: str) -> str:
    return f"{current_app.config['SITE_URL']}/verifikasi/{code}"


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=3, border=2)


def render_signed_pdf(signature, person, program, instansi, witnesses) -> bytes:
    """Render the pact PDF and sign it (PAdES) for the signer; witnesses add theirs later."""
    zone = zone_of(person)
    html = render_template(
        "pact/pdf.html", signature=signature, person=person, program=program, instansi=instansi,
        witnesses=witnesses, signed_at=format_datetime_zone(signature.signed_at, zone),
        verify_url=verify_url(signature.verify_code), qr=qr_data_uri(verify_url(signature.verify_code)),
        paragraphs=signature.text.split("\n"),
    )
    pdf = render_pdf(html)
    return add_pades_signature(pdf, field="Penandatangan", name=person.name,
                               reason=f"Pakta integritas: {program.title}", location=instansi.name)


def add_pades_signature(pdf: bytes, *, field: str, name: str, reason: str, location: str) -> bytes:
    """Append one PAdES signature by the instansi key as an incremental update (earlier ones stay valid)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    meta = signers.PdfSignatureMetadata(field_name=field, name=name, reason=reason[:200], location=location[:200],
                                        subfilter=SigSeedSubFilter.PADES)
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=keys.signer())
    return out.getvalue()


@dataclass
class PdfCheck:
    """What the verification page says about an uploaded PDF's signatures."""

    signatures: int
    all_valid: bool
    details: list[tuple[str, bool]]
    readable: bool = True
    #: pyHanko's modification analysis found changes after a signature that signing does not make
    #: (anything beyond the next signature field filled in), or after the last signature at all.
    changed_after_signing: bool = False


def check_pdf_signatures(data: bytes) -> PdfCheck:
    """Validate every embedded signature against the instansi CA: intact, valid and trusted."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # noqa: BLE001 - any parse failure means "not a readable signed PDF"
        return PdfCheck(0, False, [], readable=False)
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    context = ValidationContext(trust_roots=keys.trust_roots())
    details = []
    changed = False
    for position, sig in enumerate(embedded, start=1):
        try:
            status = validate_pdf_signature(sig, context)
            ok = bool(status.intact and status.valid and status.trusted)
            if position == len(embedded):  # the newest signature must cover the whole file
                changed |= status.coverage != SignatureCoverageLevel.ENTIRE_FILE
            else:  # later revisions may only add the next signatures (form filling), nothing else
                level = status.modification_level
                changed |= level is None or level > ModificationLevel.FORM_FILLING or not status.docmdp_ok
        except Exception:  # noqa: BLE001 - a broken signature is simply not valid
            ok = False
        details.append((sig.field_name, ok))
    return PdfCheck(len(details), bool(details) and all(ok for _, ok in details), details,
                    changed_after_signing=changed)
