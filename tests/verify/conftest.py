"""Documents in every state the verification page knows, with the files a visitor might upload."""
from __future__ import annotations

import io

import pytest

from netral_learn.accounts.models import Person, Role
from netral_learn.certificates import services as certificate_services
from netral_learn.certificates.models import Certificate
from netral_learn.core import clock
from netral_learn.extensions import db
from netral_learn.pact import services as pact_services

from ..pact.test_signing import PASSWORD, pass_quiz, world  # noqa: F401 - fixture


def append_text(pdf: bytes) -> bytes:
    """The PDF with a line of text stamped on page 1 as an incremental update (what an editor appends)."""
    from pyhanko import stamp
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    stamp.TextStamp(writer, stamp.TextStampStyle(stamp_text="NILAI: 100 (diubah)")).apply(0, 60, 60)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def append_annotation(pdf: bytes) -> bytes:
    """The PDF with a sticky-note annotation added on page 1 as an incremental update."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref, _ = writer.find_page_for_modification(0)
    annotation = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Text"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in (50, 50, 80, 80)]),
        generic.NameObject("/Contents"): generic.TextStringObject("Disetujui tanpa saksi"),
    }))
    page = page_ref.get_object()
    annotations = page.get("/Annots", generic.ArrayObject())
    page[generic.NameObject("/Annots")] = generic.ArrayObject([*annotations, annotation])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flip_byte(pdf: bytes) -> bytes:
    middle = len(pdf) // 2
    return pdf[:middle] + bytes([pdf[middle] ^ 0x01]) + pdf[middle + 1:]


def _sign(person_id, program_id):
    person, program = pass_quiz(person_id, program_id)
    signature = pact_services.sign_pact(person, program, pact_services.SignRequest(
        {0, 1}, person.name.split(",")[0], PASSWORD, None, None, None), clock.now_utc())
    db.session.commit()
    return person, program, signature


@pytest.fixture
def documents(app, world, factory):  # noqa: F811 - the pact tests' world fixture
    """make(state) → {"code", "files": {"current", "old"}}, for the states of the truth table."""
    tree = world["tree"]
    admin_id = factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"]).id

    def make(state: str) -> dict:
        witness = None
        if state in ("pact_pending", "pact_witnessed"):
            witness = factory.person(tree["root"], role=Role.WITNESS, name="Rahmat Hidayat", jenis="NON_ASN")
            factory.witnesses(world["program"], world["pact_version"], [(witness, "Perwakilan Bawaslu")])
        with app.test_request_context():
            person, program, signature = _sign(world["learner"].id, world["program"])
            admin = db.session.get(Person, admin_id)
            files = {}
            if state.startswith("pact"):
                pact_services.ensure_pdf(signature)
                files["current"] = pact_services.pdf_bytes(signature)
                if state == "pact_witnessed":
                    files["old"] = files["current"]
                    pact_services.witness_sign(db.session.get(Person, witness.id), signature.id,
                                               text_sha256=signature.text_sha256, typed_name="Rahmat Hidayat",
                                               password=PASSWORD, ip=None, user_agent=None, now=clock.now_utc())
                    files["current"] = pact_services.pdf_bytes(signature)
                if state == "pact_revoked":
                    pact_services.revoke(admin, signature, "Data identitas keliru (rahasia)", clock.now_utc())
                db.session.commit()
                return {"code": signature.verify_code, "files": files}
            certificate = certificate_services.ensure_pdf(db.session.query(Certificate).one())
            files["current"] = certificate_services.pdf_path(certificate).read_bytes()
            if state == "cert_reissued":
                files["old"] = files["current"]
                db.session.get(Person, person.id).jabatan = "Guru Ahli Madya (koreksi)"
                certificate_services.reissue(admin, certificate, clock.now_utc())
                files["current"] = certificate_services.pdf_path(certificate).read_bytes()
            if state == "cert_revoked":
                certificate_services.revoke(admin, certificate, "Data identitas keliru (rahasia)", clock.now_utc())
            db.session.commit()
            return {"code": certificate.verify_code, "files": files}

    return make
