"""Certificate admin pages: settings and template editor, image uploads, bulk ZIP download, access per role."""
import hashlib
import io
import re
import zipfile
from html import unescape

import pytest
from PIL import Image
from pypdf import PdfReader

from netral_learn.accounts.models import Role
from netral_learn.certificates import bulk, services
from netral_learn.certificates.models import Certificate, CertificateSettings
from netral_learn.core import clock
from netral_learn.courses.models import Enrollment
from netral_learn.extensions import db

from ..pact.test_signing import PASSWORD, world  # noqa: F401 - fixture

SETTINGS = "/admin/sertifikat/pengaturan"
TEMPLATE = "/admin/sertifikat/pengaturan/templat"


def client_for(app, person):
    client = app.test_client()
    if person is not None:
        client.post("/masuk", data={"nip": person.nip, "password": PASSWORD})
    return client


def certify(app, person, program_id, *, revoked=False) -> int:
    """A certificate for a completed enrollment, without going through quiz and pact (fast)."""
    with app.test_request_context():
        enrollment = Enrollment(program_id=program_id, person_id=person.id, pact_signed_at=clock.now_utc())
        db.session.add(enrollment)
        db.session.flush()
        certificate = services.issue_certificate(enrollment, clock.now_utc())
        if revoked:
            certificate.revoked_at, certificate.revoked_reason = clock.now_utc(), "Data ganda"
        db.session.commit()
        return certificate.id


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def png_bytes(size=(40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (31, 78, 121)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def staff(world, factory):
    tree = world["tree"]
    return {
        "participant": factory.person(tree["a1"]),
        "operator_a": factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"]),
        "operator_b": factory.person(tree["b"], role=Role.OPERATOR, scope=tree["b"]),
        "admin": factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"]),
        "admin_other": factory.person(tree["other"], role=Role.ADMIN, scope=tree["other"]),
        "superadmin": factory.person(tree["root"], role=Role.SUPERADMIN),
    }


def settings_form(**changes):
    data = {"number_pattern": "800/{nomor:04d}/NETRAL/BKPSDM/{tahun}", "place": "Tanah Grogot",
            "agency_name": "BKPSDM", "signer_title": "Kepala BKPSDM", "signer_name": "Drs. Kepala",
            "signer_nip": "197001011995031001", "signer_rank": "Pembina", "jp": "2"}
    data.update(changes)
    return data


ACTORS = ["anonymous", "participant", "operator_a", "operator_b", "admin", "admin_other", "superadmin"]
MATRIX = [
    ("GET", SETTINGS + "?instansi={root}", [302, 403, 403, 403, 200, 404, 200]),
    ("GET", SETTINGS + "?instansi={a}", [302, 403, 403, 403, 404, 404, 404]),  # not an instansi
    ("POST", TEMPLATE + "/bawaan?instansi={root}", [302, 403, 403, 403, 302, 404, 302]),
    ("GET", "/admin/sertifikat/unduh", [302, 403, 200, 200, 200, 200, 200]),
    ("GET", "/admin/sertifikat/unduh?program={program}&unit={a}", [302, 403, 200, 404, 200, 404, 200]),
]


@pytest.mark.parametrize("method, url, expected", MATRIX, ids=[f"{m} {u}" for m, u, _ in MATRIX])
def test_access_by_query(app, world, staff, method, url, expected):
    """Does each role get exactly the answer it should for each instansi, program and unit asked for
    in the query (the plain routes are in tests/test_route_matrix.py)?"""
    tree = world["tree"]
    url = url.format(root=tree["root"].id, a=tree["a"].id, program=world["program"])
    for actor, status in zip(ACTORS, expected):
        response = client_for(app, staff.get(actor)).open(url, method=method)
        assert response.status_code == status, f"{actor} {method} {url}: {response.status_code} != {status}"


def test_admin_edits_their_own_instansi_and_superadmin_picks_one(app, world, staff):
    """Does an admin's save land on their instansi, and can a superadmin edit another one by choosing it?"""
    tree = world["tree"]
    admin = client_for(app, staff["admin"])
    assert admin.post(SETTINGS, data=settings_form(place="Tanah Grogot")).status_code == 302
    superadmin = client_for(app, staff["superadmin"])
    page = superadmin.get(SETTINGS).get_data(as_text=True)
    assert "Pemerintah Kota Lain" in page  # the instansi picker
    url = f"{SETTINGS}?instansi={tree['other'].id}"
    response = superadmin.post(url, data=settings_form(number_pattern="KL/{nomor}/{tahun}", place="Kota"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(CertificateSettings, tree["root"].id).place == "Tanah Grogot"
        other = db.session.get(CertificateSettings, tree["other"].id)
        assert other.place == "Kota" and other.number_pattern == "KL/{nomor}/{tahun}"


@pytest.mark.parametrize("pattern, message", [
    ("800/{tahun}", "Pola nomor tidak dapat dipakai: pola harus memuat {nomor}."),
    ("800/{nomor", "Pola nomor tidak dapat dipakai: kurung kurawal { } tidak berpasangan."),
    ("{nomor}/{rahasia}", "Pola nomor tidak dapat dipakai: kolom tidak dikenal: rahasia."),
    ("{nomor:999999999}", "Pola nomor tidak dapat dipakai: format kolom tidak sah"),
])
def test_bad_number_pattern_is_refused_with_an_indonesian_message(app, world, staff, pattern, message):
    """Is a broken number pattern refused with a message in Indonesian, and nothing saved?"""
    response = client_for(app, staff["admin"]).post(SETTINGS, data=settings_form(number_pattern=pattern))
    assert response.status_code == 200
    assert message in unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(CertificateSettings, world["tree"]["root"].id) is None


def test_new_pattern_numbers_new_certificates_only(app, world, staff, factory):
    """Does a saved pattern number the next certificate, leaving the numbers already issued alone?"""
    first = certify(app, world["learner"], world["program"])
    admin = client_for(app, staff["admin"])
    response = admin.post(SETTINGS, data=settings_form(number_pattern="KP.07/{nomor}/{tahun}"))
    assert response.status_code == 302
    second = certify(app, factory.person(world["tree"]["a1"]), world["program"])
    with app.app_context():
        year = clock.now_utc().year
        assert db.session.get(Certificate, first).number == f"800/0001/NETRAL/BKPSDM/{year}"
        assert db.session.get(Certificate, second).number == f"KP.07/2/{year}"


@pytest.mark.parametrize("action", ["pratinjau", "pdf", "simpan"])
@pytest.mark.parametrize("source, detail", [
    ("<p>{{ nama </p>", "Templat sertifikat tidak dapat dipakai"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "Templat sertifikat tidak dapat dipakai"),
    ("<p>{{ 1 / 0 }}</p>", "Templat sertifikat tidak dapat dipakai: division by zero"),
])
def test_template_error_shows_the_message_not_a_500(app, world, staff, action, source, detail):
    """Does a broken or unsafe template give the Indonesian message on preview, PDF preview and save?"""
    response = client_for(app, staff["admin"]).post(TEMPLATE, data={"template_html": source, "action": action})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert detail in unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(CertificateSettings, world["tree"]["root"].id) is None


def test_editor_is_prefilled_and_lists_the_fields(app, world, staff):
    """Does the editor start from the bundled template and document every field and the render-once rule?"""
    page = unescape(client_for(app, staff["admin"]).get(SETTINGS).get_data(as_text=True))
    assert "SERTIFIKAT" in page and "{{ penanda_tangan_nama" in page
    for name in services.TEMPLATE_FIELDS:
        assert "{{ " + name + " }}" in page
    assert "tidak mengubah PDF yang sudah dibuat" in page


def test_preview_shows_the_unsaved_template_in_a_sandboxed_frame_and_as_pdf(app, world, staff):
    """Does Pratinjau show the sample certificate inside a script-free sandbox, and as a PDF, without saving?"""
    admin = client_for(app, staff["admin"])
    source = "<style>p { color: red }</style><p>Halo {{ nama }}, nomor {{ nomor }}</p><script>alert(1)</script>"
    response = admin.post(TEMPLATE, data={"template_html": source, "action": "pratinjau"})
    page = response.get_data(as_text=True)
    frame = re.search(r'<iframe sandbox="" srcdoc="([^"]*)"', page)
    assert frame, "preview iframe with an empty sandbox"
    assert "Halo Dewi Lestari, S.Pd., nomor 800/0001/NETRAL/BKPSDM/2026" in unescape(frame.group(1))
    assert "<script" not in frame.group(1)  # the HTML is escaped inside the attribute
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" in policy.split("style-src")[1].split(";")[0]
    assert "Halo {{ nama }}" in unescape(page)  # the textarea keeps what was typed
    pdf = admin.post(TEMPLATE, data={"template_html": services.DEFAULT_TEMPLATE.read_text(), "action": "pdf"})
    assert pdf.mimetype == "application/pdf" and "attachment" in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.data)
    assert "Dewi Lestari, S.Pd." in text and "PEMERINTAH KABUPATEN UJI" in text.upper()
    with app.app_context():
        assert db.session.get(CertificateSettings, world["tree"]["root"].id) is None


def test_saved_template_never_rerenders_existing_certificates(app, world, staff, factory):
    """Does saving a template leave rendered PDFs as they are, apply to new ones, and reset to the default?"""
    rendered = certify(app, world["learner"], world["program"])
    with app.test_request_context():
        certificate = services.ensure_pdf(db.session.get(Certificate, rendered))
        db.session.commit()
        before = services.pdf_path(certificate).read_bytes(), certificate.pdf_sha256
    admin = client_for(app, staff["admin"])
    assert admin.post(TEMPLATE, data={"template_html": "<h1>TEMPLAT BARU {{ nomor }}</h1>",
                                      "action": "simpan"}).status_code == 302
    fresh = certify(app, factory.person(world["tree"]["a1"]), world["program"])
    with app.test_request_context():
        old = db.session.get(Certificate, rendered)
        assert (services.pdf_path(services.ensure_pdf(old)).read_bytes(), old.pdf_sha256) == before
        assert "TEMPLAT BARU" in pdf_text(services.render_certificate_pdf(db.session.get(Certificate, fresh)))
    assert "Instansi ini memakai templat sendiri" in admin.get(SETTINGS).get_data(as_text=True)
    assert admin.post(TEMPLATE + "/bawaan").status_code == 302
    with app.app_context():
        assert db.session.get(CertificateSettings, world["tree"]["root"].id).template_html is None


def _upload(client, **files):
    data = settings_form()
    data.update({name: (io.BytesIO(content), filename) for name, (content, filename) in files.items()})
    return client.post(SETTINGS, data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("content, filename, message", [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "logo.png", "Gambar harus berupa berkas PNG atau JPEG."),
    (b"GIF89a" + b"\x00" * 100, "logo.gif", "Gambar harus berupa berkas PNG atau JPEG."),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.png", "Gambar harus berupa berkas PNG atau JPEG."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "logo.png", "Gambar terlalu besar: maksimal 2 MB."),
])
def test_image_upload_is_checked_by_content_and_size(app, world, staff, content, filename, message):
    """Is a renamed .exe (or another type, or a picture over 2 MB) refused, with nothing saved?"""
    response = _upload(client_for(app, staff["admin"]), logo=(content, filename))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CertificateSettings, world["tree"]["root"].id) is None


def test_logo_and_signature_are_stored_by_content_and_used_in_the_pdf(app, world, staff):
    """Are PNG/JPEG uploads stored under media/ named by their hash, shown in the PDF, and removable?"""
    logo = png_bytes()
    jpeg = io.BytesIO()
    Image.new("RGB", (60, 30), (0, 0, 0)).save(jpeg, format="JPEG")
    admin = client_for(app, staff["admin"])
    assert _upload(admin, logo=(logo, "logo.PNG"), signature=(jpeg.getvalue(), "ttd.jpeg")).status_code == 302
    root = world["tree"]["root"].id
    with app.app_context():
        settings = db.session.get(CertificateSettings, root)
        assert settings.logo_path == hashlib.sha256(logo).hexdigest() + ".png"
        assert settings.signature_image_path == hashlib.sha256(jpeg.getvalue()).hexdigest() + ".jpg"
        media = app.config["STORAGE_DIR"] + "/media/"
        assert open(media + settings.logo_path, "rb").read() == logo
    certificate_id = certify(app, world["learner"], world["program"])
    with app.test_request_context():
        pdf = services.render_certificate_pdf(db.session.get(Certificate, certificate_id))
        assert len(list(PdfReader(io.BytesIO(pdf)).pages[0].images)) >= 2  # logo and signature (QR is vector)
    assert admin.post(SETTINGS, data=settings_form(remove_logo="y")).status_code == 302
    with app.app_context():
        settings = db.session.get(CertificateSettings, root)
        assert settings.logo_path is None and settings.signature_image_path is not None


# --- bulk ZIP ------------------------------------------------------------------------------

@pytest.fixture
def certificates(app, world, staff, factory, monkeypatch):
    """Three valid certificates under Dinas Pendidikan, one under Dinas Kesehatan, one revoked, one elsewhere."""
    monkeypatch.setattr(services, "render_certificate_pdf", lambda c: b"%PDF-1.7 uji " + c.number.encode())
    tree = world["tree"]
    in_a = [world["learner"], factory.person(tree["a1"]), factory.person(tree["a"])]
    in_b = factory.person(tree["b1"])
    ids = {"a": [certify(app, p, world["program"]) for p in in_a], "b": [certify(app, in_b, world["program"])],
           "revoked": [certify(app, factory.person(tree["a1"]), world["program"], revoked=True)]}
    version = factory.course(modules=1)
    other_program = factory.program(tree["root"], version, title="Program Lain")
    ids["other_program"] = [certify(app, factory.person(tree["a1"]), other_program)]
    return ids


def expected_names(app, ids):
    with app.app_context():
        return sorted(bulk.member_name(db.session.get(Certificate, i)) for i in ids)


def rendered_count(app, ids):
    with app.app_context():
        return sum(db.session.get(Certificate, i).pdf_path is not None for i in ids)


def test_bulk_prepare_in_batches_then_stream_exactly_the_scope(app, world, staff, certificates, monkeypatch):
    """Does an operator prepare their unit's PDFs batch by batch (no JS) and get a streamed ZIP of exactly those?"""
    monkeypatch.setattr(bulk, "BATCH_SIZE", 1)
    operator = client_for(app, staff["operator_a"])
    page_url = f"/admin/sertifikat/unduh?program={world['program']}"
    page = operator.get(page_url).get_data(as_text=True)
    assert "3 sertifikat; PDF 0 di antaranya sudah dibuat." in page and "Unduh ZIP" not in page
    assert operator.get(f"/admin/sertifikat/unduh.zip?program={world['program']}").status_code == 302

    response = operator.post(page_url)
    assert response.status_code == 302 and "lanjut=" in response.location
    assert rendered_count(app, certificates["a"]) == 1
    page = operator.get(response.location).get_data(as_text=True)  # the continuation renders the next batch
    assert rendered_count(app, certificates["a"]) == 2
    refresh = re.search(r'<meta http-equiv="refresh" content="1;url=([^"]+)">', page)
    assert refresh and "3 sertifikat; PDF 2" in page
    page = operator.get(unescape(refresh.group(1))).get_data(as_text=True)
    assert "3 sertifikat; PDF 3" in page and "Unduh ZIP" in page and 'http-equiv="refresh"' not in page
    assert rendered_count(app, certificates["b"] + certificates["revoked"] + certificates["other_program"]) == 0

    response = operator.get(f"/admin/sertifikat/unduh.zip?program={world['program']}")
    assert response.status_code == 200 and response.is_streamed and response.mimetype == "application/zip"
    assert "Content-Length" not in response.headers
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == expected_names(app, certificates["a"])
    with app.app_context():
        for certificate_id in certificates["a"]:
            certificate = db.session.get(Certificate, certificate_id)
            member = bulk.member_name(certificate)
            assert certificate.person.nip in member and member.startswith("sertifikat-800-")
            assert archive.read(member) == services.pdf_path(certificate).read_bytes()


def test_bulk_scope_by_role_and_unit(app, world, staff, certificates):
    """Do the counts follow the actor's scope and the chosen unit, revoked certificates left out?"""
    program, tree = world["program"], world["tree"]
    cases = [("operator_a", "", 3), ("operator_a", f"&unit={tree['a1'].id}", 2), ("operator_b", "", 1),
             ("admin", "", 4), ("superadmin", f"&unit={tree['b'].id}", 1)]
    for actor, unit, total in cases:
        page = client_for(app, staff[actor]).get(f"/admin/sertifikat/unduh?program={program}{unit}")
        assert f"{total} sertifikat; PDF 0" in page.get_data(as_text=True), actor


def test_continuation_needs_a_token_from_the_post(app, world, staff, certificates, monkeypatch):
    """Can a plain, forged or borrowed GET make the server render PDFs? (No: only the follow-up of one's own POST.)"""
    monkeypatch.setattr(bulk, "BATCH_SIZE", 1)
    url = f"/admin/sertifikat/unduh?program={world['program']}"
    operator = client_for(app, staff["operator_a"])
    for forged in ["", "abc", "WzEsMiwwXQ.forged.sig"]:
        page = operator.get(f"{url}&lanjut={forged}")
        assert page.status_code == 200 and 'http-equiv="refresh"' not in page.get_data(as_text=True)
    assert rendered_count(app, certificates["a"]) == 0
    admin_token = client_for(app, staff["admin"]).post(url).location.split("lanjut=")[1]
    every = [i for group in certificates.values() for i in group]
    before = rendered_count(app, every)
    operator.get(f"{url}&lanjut={admin_token}")
    assert rendered_count(app, every) == before == 1
