"""The verification page as a truth table: every state × every input has one verdict, wording and colour."""
from __future__ import annotations

import io
import re

import pytest

from netral_learn.extensions import db
from netral_learn.pact import document
from netral_learn.pact.models import PactSignature

from ..pact.test_signing import PASSWORD
from .conftest import append_annotation, append_text, flip_byte

APPENDED_SIGNED = "setelah ditandatangani"
APPENDED_ISSUED = "setelah diterbitkan"

#: (state, input, headline, colour, words in the message)
TABLE = [
    ("cert_genuine", "code", "ASLI", "success", "tercatat dan berlaku"),
    ("cert_genuine", "current", "ASLI", "success", "sama persis dengan Sertifikat"),
    ("cert_genuine", "appended_text", "DIUBAH", "error", APPENDED_ISSUED),
    ("cert_genuine", "appended_annotation", "DIUBAH", "error", APPENDED_ISSUED),
    ("cert_genuine", "flipped", "TIDAK ASLI", "error", "tidak sama"),
    ("cert_genuine", "not_pdf", "TIDAK DIPERIKSA", "warning", "bukan PDF"),
    ("cert_genuine", "no_file", "TIDAK DIPERIKSA", "warning", "Pilih berkas"),
    ("cert_revoked", "code", "DICABUT", "error", "dicabut pada"),
    ("cert_revoked", "current", "DICABUT", "error", "memang diterbitkan"),
    ("cert_revoked", "appended_text", "DIUBAH", "error", APPENDED_ISSUED),
    ("cert_revoked", "flipped", "TIDAK ASLI", "error", "tidak sama"),
    ("cert_revoked", "not_pdf", "TIDAK DIPERIKSA", "warning", "bukan PDF"),
    ("cert_reissued", "code", "ASLI", "success", "Diterbitkan ulang pada"),
    ("cert_reissued", "current", "ASLI", "success", "sama persis"),
    ("cert_reissued", "old", "VERSI LAMA", "warning", "sebelum diterbitkan ulang"),
    ("cert_reissued", "flipped", "TIDAK ASLI", "error", "tidak sama"),
    ("pact_complete", "code", "ASLI", "success", "tercatat dan berlaku"),
    ("pact_complete", "current", "ASLI", "success", "1 tanda tangan elektroniknya sah"),
    ("pact_complete", "appended_text", "DIUBAH", "error", APPENDED_SIGNED),
    ("pact_complete", "appended_annotation", "DIUBAH", "error", APPENDED_SIGNED),
    ("pact_complete", "flipped", "TIDAK ASLI", "error", "tidak sah"),
    ("pact_complete", "not_pdf", "TIDAK DIPERIKSA", "warning", "bukan PDF"),
    ("pact_revoked", "code", "DICABUT", "error", "dicabut pada"),
    ("pact_revoked", "current", "DICABUT", "error", "memang diterbitkan"),
    ("pact_revoked", "appended_annotation", "DIUBAH", "error", APPENDED_SIGNED),
    ("pact_revoked", "flipped", "TIDAK ASLI", "error", "tidak sah"),
    ("pact_pending", "code", "BELUM LENGKAP", "warning", "belum semua saksi"),
    ("pact_pending", "current", "BELUM LENGKAP", "warning", "belum semua saksi"),
    ("pact_pending", "appended_text", "DIUBAH", "error", APPENDED_SIGNED),
    ("pact_pending", "flipped", "TIDAK ASLI", "error", "tidak sah"),
    ("pact_witnessed", "code", "ASLI", "success", "tercatat dan berlaku"),
    ("pact_witnessed", "current", "ASLI", "success", "2 tanda tangan elektroniknya sah"),
    ("pact_witnessed", "old", "VERSI SEBELUMNYA", "warning", "sebelum tanda tangan saksi terakhir"),
    ("pact_witnessed", "appended_annotation", "DIUBAH", "error", APPENDED_SIGNED),
]


def upload(files: dict, kind: str):
    if kind == "no_file":
        return {}
    data = {"current": lambda: files["current"], "old": lambda: files["old"],
            "appended_text": lambda: append_text(files["current"]),
            "appended_annotation": lambda: append_annotation(files["current"]),
            "flipped": lambda: flip_byte(files["current"]),
            "not_pdf": lambda: b"PK\x03\x04 this is a zip, not a PDF"}[kind]()
    return {"pdf": (io.BytesIO(data), "dokumen.pdf")}


def verdicts(page: str) -> list[tuple[str, str]]:
    """Every coloured banner on the page as (colour, headline)."""
    return re.findall(r'class="alert alert-(\w+)[^"]*"[^>]*data-verdict="([^"]*)"', page) + [
        (colour, "") for colour in re.findall(r'class="alert alert-(\w+)"', page)]


@pytest.mark.parametrize("state, given, headline, colour, words", TABLE,
                         ids=[f"{row[0]}-{row[1]}" for row in TABLE])
def test_verdict(app, documents, state, given, headline, colour, words):
    """Does the page give exactly one verdict, with the right headline, colour and wording, for this state and input?"""
    made = documents(state)
    public = app.test_client()
    if given == "code":
        response = public.get(f"/verifikasi/{made['code']}")
    else:
        response = public.post(f"/verifikasi/{made['code']}", data=upload(made["files"], given),
                               content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert verdicts(page) == [(colour, headline)], verdicts(page)
    banner = re.search(r'data-verdict="[^"]*">(.*?)</div>', page, re.S).group(1)
    assert words in banner
    assert "rahasia" not in page and "Alasan" not in page  # the reason is never public


@pytest.mark.parametrize("code, headline", [("ABCD-EFGH-JKLM-NPQR", "TIDAK DIKENAL"), ("abcd efgh jklm npqr", "TIDAK DIKENAL"),
                                            ("XYZ", "KODE TIDAK VALID"), ("ABCD-EFGH-JKLM-NPQR-STUV", "KODE TIDAK VALID")])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_and_malformed_codes(app, documents, code, headline, method):
    """Is an unknown or malformed code (also with a file uploaded) a red 404 with its own wording?"""
    documents("cert_genuine")  # a real document exists: another code still must not match it
    public = app.test_client()
    if method == "GET":
        response = public.get(f"/verifikasi/{code}")
    else:
        response = public.post(f"/verifikasi/{code}", data={"pdf": (io.BytesIO(b"%PDF-1.7 x"), "a.pdf")},
                               content_type="multipart/form-data")
    assert response.status_code == 404
    assert verdicts(response.get_data(as_text=True)) == [("error", headline)]


def test_revoked_date_is_public_and_the_reason_is_not(app, documents):
    """Does the public page say 'dicabut pada <tanggal>' without the reason, while the facts list the status?"""
    made = documents("cert_revoked")
    page = app.test_client().get(f"/verifikasi/{made['code']}").get_data(as_text=True)
    assert re.search(r"dicabut pada \d{1,2} \w+ \d{4}", page)
    assert "Dicabut pada" in page and "rahasia" not in page


@pytest.mark.parametrize("state, url", [("cert_revoked", "/program/{program}/sertifikat.pdf"),
                                        ("cert_revoked", "/program/{program}/sertifikat/kredensial.jwt"),
                                        ("pact_revoked", "/program/{program}/pakta.pdf")])
def test_holder_of_a_revoked_document_gets_a_page_that_says_so(app, documents, world, state, url):
    """Does the holder's own download of a revoked document answer with a page saying it was revoked and why?"""
    documents(state)
    holder = app.test_client()
    holder.post("/masuk", data={"nip": world["learner"].nip, "password": PASSWORD})
    response = holder.get(url.format(program=world["program"]))
    page = response.get_data(as_text=True)
    assert response.status_code == 410 and response.mimetype == "text/html"
    assert "dicabut pada" in page and "Data identitas keliru (rahasia)" in page
    assert "Terjadi kesalahan" not in page and "server" not in page.lower().split("<main")[-1]


def test_pyhanko_modification_analysis_sees_what_was_appended(app, documents):
    """Does the PDF check itself (pyHanko coverage and diff analysis, not the hash) flag a change appended
    after signing, and leave a genuine file and an earlier witnessed revision alone?"""
    made = documents("pact_witnessed")
    current, old = made["files"]["current"], made["files"]["old"]
    with app.app_context():
        assert not document.check_pdf_signatures(current).changed_after_signing
        assert not document.check_pdf_signatures(old).changed_after_signing
        for changed in (append_text(current), append_annotation(current)):
            check = document.check_pdf_signatures(changed)
            assert check.all_valid and check.changed_after_signing
        assert db.session.query(PactSignature).count() == 1
