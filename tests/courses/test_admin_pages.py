"""Course authoring and program pages through the client: the whole admin journey, scope, uploads."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from netral_learn.accounts.models import Role
from netral_learn.core.clock import now_utc
from netral_learn.courses.models import Attachment, CourseVersion, Module, Program, VersionStatus
from netral_learn.extensions import db

from ..conftest import make_app
from ..factories import Factory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def world(factory):
    tree = factory.tree()
    people = {
        "admin": factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"]),
        "admin_other": factory.person(tree["other"], role=Role.ADMIN, scope=tree["other"]),
        "operator": factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"]),
        "participant": factory.person(tree["a1"], name="Peserta Sasaran"),
        "outsider": factory.person(tree["b1"], name="Peserta Lain"),
    }
    return {"tree": tree, **people}


@pytest.fixture
def client_for(app):
    """A fresh client logged in as ``person`` (several people act in one test)."""

    def _client(person):
        client = app.test_client()
        response = client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD})
        assert response.status_code == 302
        return client

    return _client


def location_id(response, kind: str) -> int:
    """The id in a redirect such as /admin/kursus/versi/7."""
    assert response.status_code == 302, response.status_code
    return int(re.search(rf"/{kind}/(\d+)", response.headers["Location"]).group(1))


def make_course(admin_client, instansi_id, title="Netralitas ASN Pilkada 2026") -> int:
    response = admin_client.post("/admin/kursus/baru", data={"instansi": instansi_id, "title": title,
                                                             "summary": "Aturan netralitas."})
    return location_id(response, "versi")


def add_module(admin_client, version_id, title="Larangan kampanye") -> int:
    return location_id(admin_client.post(f"/admin/kursus/versi/{version_id}/modul",
                                         data={"module-title": title}), "modul")


def save_module(admin_client, module_id, body, title="Larangan kampanye"):
    response = admin_client.post(f"/admin/kursus/modul/{module_id}",
                                 data={"title": title, "body_md": body, "minutes": "", "save": "Simpan"})
    assert response.status_code == 302
    return response


def upload(admin_client, module_id, data: bytes, name: str):
    return admin_client.post(f"/admin/kursus/modul/{module_id}/lampiran",
                             data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def program_form(world, version_id, **changes):
    today = now_utc().date()
    data = {"instansi": world["tree"]["root"].id, "title": "Sosialisasi Netralitas Pilkada 2026",
            "description": "Wajib bagi seluruh ASN.", "version": version_id,
            "starts_on": (today - timedelta(days=1)).isoformat(), "ends_on": (today + timedelta(days=30)).isoformat(),
            "targets": [world["tree"]["a"].id], "jenis": ["PNS", "PPPK", "NON_ASN"]}
    data.update(changes)
    return data


def published_course(admin_client, world, body="## Bagian\n\nIsi.") -> tuple[int, int]:
    """A course of the admin's instansi with one module, published: (version id, module id)."""
    version_id = make_course(admin_client, world["tree"]["root"].id)
    module_id = add_module(admin_client, version_id)
    save_module(admin_client, module_id, body)
    publish(admin_client, version_id)
    return version_id, module_id


def publish(admin_client, version_id):
    response = admin_client.post(f"/admin/kursus/versi/{version_id}/terbitkan", data={"tanpa_tinjauan": "1"})
    assert response.status_code == 302
    return response


def open_program(admin_client, world, version_id) -> int:
    program_id = location_id(admin_client.post("/admin/program/baru", data=program_form(world, version_id)),
                             "program")
    admin_client.post(f"/admin/program/{program_id}/terbitkan", data={"published": "1"})
    return program_id


def test_admin_authors_a_course_and_a_targeted_participant_sees_the_program(app, world, client_for):
    """Course → module with a sanitized preview → publish → program for a unit → on the participant's beranda?"""
    admin = client_for(world["admin"])
    version_id = make_course(admin, world["tree"]["root"].id)
    module_id = add_module(admin, version_id)
    body = ("## Larangan\n\n<script>alert('xss')</script>\n\n"
            "> [!TIDAK BOLEH] Memasang spanduk calon di kantor.\n\n[tautan](javascript:alert(1))")
    preview = admin.post(f"/admin/kursus/modul/{module_id}",
                         data={"title": "Larangan kampanye", "body_md": body, "preview": "Pratinjau"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Pratinjau (belum disimpan)" in page
    assert "<h2>Larangan</h2>" in page and 'class="callout callout-tidak-boleh"' in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page  # shown as text, never run
    assert 'href="javascript:' not in page
    with app.app_context():
        assert db.session.get(Module, module_id).body_md == ""  # a preview saves nothing
    save_module(admin, module_id, body)
    page = admin.get(f"/admin/kursus/versi/{version_id}").get_data(as_text=True)
    assert "Larangan kampanye" in page and "Terbitkan versi ini" in page
    publish(admin, version_id)
    with app.app_context():
        assert db.session.get(CourseVersion, version_id).status == VersionStatus.PUBLISHED
    program_id = location_id(admin.post("/admin/program/baru", data=program_form(world, version_id)), "program")
    participant = client_for(world["participant"])
    assert "Sosialisasi Netralitas Pilkada 2026" not in participant.get("/").get_data(as_text=True)
    response = admin.post(f"/admin/program/{program_id}/terbitkan", data={"published": "1"})
    assert response.status_code == 302
    assert "Dibuka" in admin.get("/admin/program").get_data(as_text=True)
    home = participant.get("/").get_data(as_text=True)
    assert "Sosialisasi Netralitas Pilkada 2026" in home and "Mulai Modul 1" in home
    assert "Sosialisasi Netralitas Pilkada 2026" not in client_for(world["outsider"]).get("/").get_data(as_text=True)


def test_published_version_refuses_edits_and_a_new_version_can_be_made(app, world, client_for):
    """Does editing a published version say 'buat versi baru', and does the button make version 2?"""
    admin = client_for(world["admin"])
    version_id, module_id = published_course(admin, world)
    response = admin.post(f"/admin/kursus/modul/{module_id}",
                          data={"title": "Ubah", "body_md": "Teks lain", "save": "Simpan"})
    assert response.status_code == 200 and "buat versi baru" in response.get_data(as_text=True)
    assert "Isi (Markdown)" not in admin.get(f"/admin/kursus/modul/{module_id}").get_data(as_text=True)
    new_id = location_id(admin.post(f"/admin/kursus/versi/{version_id}/versi-baru"), "versi")
    page = admin.get(f"/admin/kursus/versi/{new_id}").get_data(as_text=True)
    assert "Versi 2" in page and "Larangan kampanye" in page and "Terbitkan versi ini" in page


def test_modules_reorder_with_plain_buttons(app, world, client_for):
    """Do the 'Naik' and 'Turun' buttons reorder modules without JavaScript?"""
    admin = client_for(world["admin"])
    version_id = make_course(admin, world["tree"]["root"].id)
    first, second = add_module(admin, version_id, "Modul Pertama"), add_module(admin, version_id, "Modul Kedua")
    response = admin.post(f"/admin/kursus/modul/{second}/naik")
    assert response.headers["Location"].endswith(f"/admin/kursus/versi/{version_id}#modul")
    page = admin.get(f"/admin/kursus/versi/{version_id}").get_data(as_text=True)
    assert page.index("Modul Kedua") < page.index("Modul Pertama")
    admin.post(f"/admin/kursus/modul/{second}/hapus")
    with app.app_context():
        assert [(m.id, m.position) for m in db.session.get(CourseVersion, version_id).modules] == [(first, 0)]


def test_an_unreviewed_version_shows_a_banner_and_asks_for_an_acknowledgement(app, world, client_for):
    """Does an unreviewed draft carry the 'belum ditinjau' banner and refuse to publish without the
    checkbox, and do the banner and checkbox go once a review with its sources is recorded?"""
    admin = client_for(world["admin"])
    version_id = make_course(admin, world["tree"]["root"].id)
    save_module(admin, add_module(admin, version_id), "## Bagian\n\nIsi.")
    page = admin.get(f"/admin/kursus/versi/{version_id}").get_data(as_text=True)
    assert "Versi ini belum ditinjau secara hukum." in page and 'name="tanpa_tinjauan"' in page
    refused = admin.post(f"/admin/kursus/versi/{version_id}/terbitkan", follow_redirects=True).get_data(as_text=True)
    assert "Catat peninjauannya dahulu" in refused and "Draf" in refused
    admin.post(f"/admin/kursus/versi/{version_id}/tinjauan",
               data={"review-reviewed_on": "2026-01-05", "review-reviewer": "Bagian Hukum Setda",
                     "review-sources": "UU 20/2023 https://peraturan.bpk.go.id/Details/269470\nSKB 2022 tanpa tautan"})
    page = admin.get(f"/admin/kursus/versi/{version_id}").get_data(as_text=True)
    assert "Versi ini belum ditinjau secara hukum." in page  # the line without a link refused the review
    admin.post(f"/admin/kursus/versi/{version_id}/tinjauan",
               data={"review-reviewed_on": "2026-01-05", "review-reviewer": "Bagian Hukum Setda",
                     "review-sources": "UU 20/2023 https://peraturan.bpk.go.id/Details/269470"})
    page = admin.get(f"/admin/kursus/versi/{version_id}").get_data(as_text=True)
    assert "Versi ini belum ditinjau secara hukum." not in page and 'name="tanpa_tinjauan"' not in page
    assert '<a href="https://peraturan.bpk.go.id/Details/269470" rel="noopener noreferrer">UU 20/2023</a>' in page
    assert admin.post(f"/admin/kursus/versi/{version_id}/terbitkan").status_code == 302
    assert "Terbit" in admin.get(f"/admin/kursus/versi/{version_id}").get_data(as_text=True)


def test_review_is_recorded_and_shown_to_learners(app, world, client_for):

    """Is a recorded legal review the 'ditinjau <reviewer>, <date>' line on the participant's program page?"""
    admin = client_for(world["admin"])
    version_id, _ = published_course(admin, world)
    response = admin.post(f"/admin/kursus/versi/{version_id}/tinjauan",
                          data={"review-reviewed_on": "2026-01-05", "review-reviewer": "Bagian Hukum Setda",
                                "review-sources": "PP 94/2021 https://peraturan.bpk.go.id/Details/180495"})
    assert response.status_code == 302
    bad = admin.post(f"/admin/kursus/versi/{version_id}/tinjauan", data={"review-reviewer": "Tanpa Tanggal"})
    assert bad.status_code == 200 and "Isi tanggal peninjauan" in bad.get_data(as_text=True)
    program_id = open_program(admin, world, version_id)
    page = client_for(world["participant"]).get(f"/program/{program_id}").get_data(as_text=True)
    assert "ditinjau Bagian Hukum Setda, 5 Januari 2026" in page


def test_program_edit_is_prefilled_and_saved(app, world, client_for):
    """Does the program page show the saved targets and jenis, and save changed targets?"""
    admin = client_for(world["admin"])
    version_id, _ = published_course(admin, world)
    program_id = open_program(admin, world, version_id)
    page = admin.get(f"/admin/program/{program_id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{world["tree"]["a"].id}"', page)
    assert re.search(r'checked[^>]*value="PPPK"|value="PPPK"[^>]*checked', page)
    data = program_form(world, version_id, targets=[world["tree"]["b"].id], jenis=["PNS"])
    del data["instansi"]
    assert admin.post(f"/admin/program/{program_id}", data=data).status_code == 302
    with app.app_context():
        program = db.session.get(Program, program_id)
        assert [t.unit_id for t in program.targets] == [world["tree"]["b"].id] and program.target_jenis == "PNS"
    refused = admin.post(f"/admin/program/{program_id}", data=program_form(
        world, version_id, targets=[world["tree"]["other_opd"].id]))
    assert refused.status_code == 200  # another instansi's unit is not even a choice
    with app.app_context():
        assert [t.unit_id for t in db.session.get(Program, program_id).targets] == [world["tree"]["b"].id]


# expected per actor: anonymous, participant, operator, admin, admin_other
ACTORS = ["anonymous", "participant", "operator", "admin", "admin_other"]
MATRIX = [
    ("GET", "/admin/kursus/{course}", [302, 403, 403, 302, 404]),
    ("GET", "/admin/kursus/versi/{version}", [302, 403, 403, 200, 404]),
    ("POST", "/admin/kursus/versi/{version}/ubah", [302, 403, 403, 302, 404]),
    ("POST", "/admin/kursus/versi/{version}/terbitkan", [302, 403, 403, 302, 404]),
    ("POST", "/admin/kursus/versi/{version}/tinjauan", [302, 403, 403, 200, 404]),
    ("GET", "/admin/kursus/modul/{module}", [302, 403, 403, 200, 404]),
    ("POST", "/admin/kursus/modul/{module}/naik", [302, 403, 403, 302, 404]),
    ("POST", "/admin/kursus/modul/{module}/lampiran", [302, 403, 403, 302, 404]),
    ("GET", "/admin/program/{program}", [302, 403, 403, 200, 404]),
    ("POST", "/admin/program/{program}/terbitkan", [302, 403, 403, 302, 404]),
]


@pytest.mark.parametrize("method, url, expected", MATRIX, ids=[f"{m} {u}" for m, u, _ in MATRIX])
def test_access_to_an_instansi_course(app, world, client_for, factory, method, url, expected):
    """On a course an admin made (the route matrix uses a bundled one), does each role get exactly
    the answer it should, with 404 for another instansi's objects?"""
    admin = client_for(world["admin"])
    version_id = make_course(admin, world["tree"]["root"].id)
    module_id = add_module(admin, version_id)
    bundled = factory.course(modules=1)
    program_id = factory.program(world["tree"]["root"], bundled)
    with app.app_context():
        course_id = db.session.get(CourseVersion, version_id).course_id
    url = url.format(course=course_id, version=version_id, module=module_id, program=program_id)
    for actor, status in zip(ACTORS, expected):
        client = app.test_client() if actor == "anonymous" else client_for(world[actor])
        response = client.open(url, method=method, data={})
        assert response.status_code == status, f"{actor} {method} {url}: {response.status_code} != {status}"


def test_bundled_course_is_readable_and_copyable_but_not_editable(app, world, client_for, factory):
    """Can an admin read a bundled course and copy it for their instansi, but not publish or edit it?"""
    bundled = factory.course(modules=2)
    admin = client_for(world["admin"])
    page = admin.get(f"/admin/kursus/versi/{bundled}").get_data(as_text=True)
    assert "hanya dapat diubah superadmin" in page and "Salin untuk siklus berikutnya" in page
    assert admin.post(f"/admin/kursus/versi/{bundled}/versi-baru").status_code == 403
    response = admin.post(f"/admin/kursus/versi/{bundled}/salin",
                          data={"copy-instansi": world["tree"]["root"].id, "copy-title": "Netralitas Pemilu 2029"})
    copy_id = location_id(response, "versi")
    page = admin.get(f"/admin/kursus/versi/{copy_id}").get_data(as_text=True)
    assert "Netralitas Pemilu 2029" in page and "Modul Uji 2" in page and "Terbitkan versi ini" in page
    assert "Materi bawaan" in admin.get("/admin/kursus").get_data(as_text=True)
    assert "Netralitas Pemilu 2029" not in client_for(world["admin_other"]).get("/admin/kursus").get_data(as_text=True)


def test_next_cycle_copy_brings_the_bank_shows_a_checklist_and_carries_settings(app, world, client_for, factory):
    """After 'Salin untuk siklus berikutnya', does the copy have the old questions and a checklist, and
    does a program made with 'Salin pengaturan … dari' get the earlier program's quiz settings?"""
    from netral_learn.quiz.models import Question, QuizSettings

    bundled = factory.course(modules=2)
    factory.bank(bundled, count=6)
    earlier = factory.program(world["tree"]["root"], bundled, title="Pilkada 2024")
    factory.quiz_settings(earlier, question_count=4, pass_mark=85)
    admin = client_for(world["admin"])
    copy_id = location_id(admin.post(f"/admin/kursus/versi/{bundled}/salin", data={
        "copy-instansi": world["tree"]["root"].id, "copy-title": "Netralitas Pemilu 2029"}), "versi")
    page = " ".join(admin.get(f"/admin/kursus/versi/{copy_id}").get_data(as_text=True).split())
    assert "Daftar periksa membuka siklus" in page and "6 soal aktif" in page
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<section" not in title and "Daftar periksa" not in title  # the checklist is in the page, once
    assert page.count("Daftar periksa membuka siklus") == 1
    with app.app_context():
        course_id = db.session.get(CourseVersion, copy_id).course_id
        assert db.session.scalar(select(db.func.count(Question.id)).where(Question.course_id == course_id)) == 6
    assert admin.post(f"/admin/kursus/versi/{copy_id}/terbitkan", data={"tanpa_tinjauan": "1"}).status_code == 302
    form_page = admin.get(f"/admin/program/baru?versi={copy_id}&dari={earlier}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{earlier}">Pilkada 2024', form_page)
    program_id = location_id(admin.post("/admin/program/baru", data=program_form(
        world, copy_id, title="Pemilu 2029", earlier=earlier)), "program")
    with app.app_context():
        settings = db.session.get(QuizSettings, program_id)
        assert (settings.question_count, settings.pass_mark) == (4, 85)
    page = " ".join(admin.get(f"/admin/kursus/versi/{copy_id}").get_data(as_text=True).split())
    assert "Pengaturan kuis: Pemilu 2029" in page


def test_attachment_upload_sniffs_content_and_serves_only_targeted_people(app, world, client_for):

    """Is an .exe renamed .pdf refused, and a real PDF served as application/pdf to a targeted participant only?"""
    admin = client_for(world["admin"])
    version_id = make_course(admin, world["tree"]["root"].id)
    module_id = add_module(admin, version_id)
    refused = upload(admin, module_id, EXE, "PP-94-2021.pdf")
    assert refused.status_code == 302
    assert "Jenis berkas tidak didukung" in admin.get(f"/admin/kursus/modul/{module_id}").get_data(as_text=True)
    response = upload(admin, module_id, PDF, "PP 94 2021.pdf")
    assert response.status_code == 302
    page = admin.get(f"/admin/kursus/modul/{module_id}").get_data(as_text=True)
    assert "[PP-94-2021.pdf](lampiran:PP-94-2021.pdf)" in page
    with app.app_context():
        items = db.session.scalars(select(Attachment)).all()
        assert [a.filename for a in items] == ["PP-94-2021.pdf"]
        url = f"/lampiran/{items[0].id}/PP-94-2021.pdf"
    assert admin.get(url).status_code == 200  # the author previews a draft's file
    save_module(admin, module_id, "Baca [PP 94/2021](lampiran:PP-94-2021.pdf).")
    publish(admin, version_id)
    open_program(admin, world, version_id)
    served = client_for(world["participant"]).get(url)
    assert served.status_code == 200 and served.headers["Content-Type"] == "application/pdf"
    assert served.data == PDF
    assert client_for(world["outsider"]).get(url).status_code == 404
    assert client_for(world["admin_other"]).get(url).status_code == 404


def test_upload_limit_is_raised_for_attachments_only(app, world, client_for):
    """Is a 25 MB video accepted by the attachment upload although the app-wide limit is 20 MB?"""
    admin = client_for(world["admin"])
    module_id = add_module(admin, make_course(admin, world["tree"]["root"].id))
    video = b"\x1a\x45\xdf\xa3" + b"\x00" * (25 * 1024 * 1024)
    assert upload(admin, module_id, video, "kampanye.webm").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Attachment.size)).all() == [len(video)]
    too_big_elsewhere = admin.post("/admin/kursus/baru", data={"title": "x", "summary": "y" * (21 * 1024 * 1024)})
    assert too_big_elsewhere.status_code == 413


def test_upload_still_checks_the_csrf_token(tmp_root, app, world):
    """With CSRF on, is an upload without its token refused although the global check skips that view?"""
    client = make_app(tmp_root, WTF_CSRF_ENABLED=True).test_client()

    def token(url):
        page = client.get(url).get_data(as_text=True)
        return re.search(r'csrf_token"[^>]*value="([^"]+)"', page).group(1)

    client.post("/masuk", data={"nip": world["admin"].nip, "password": Factory.PASSWORD,
                                "csrf_token": token("/masuk")})
    response = client.post("/admin/kursus/baru", data={"instansi": world["tree"]["root"].id, "title": "Kursus",
                                                        "csrf_token": token("/admin/kursus/baru")})
    version_id = location_id(response, "versi")
    response = client.post(f"/admin/kursus/versi/{version_id}/modul", data={
        "module-title": "Modul", "module-csrf_token": token(f"/admin/kursus/versi/{version_id}")})
    module_id = location_id(response, "modul")
    url = f"/admin/kursus/modul/{module_id}/lampiran"

    def post_file(**fields):
        return client.post(url, data={"file": (io.BytesIO(PDF), "a.pdf"), **fields},
                           content_type="multipart/form-data")

    assert post_file().status_code == 400
    assert post_file(csrf_token=token(f"/admin/kursus/modul/{module_id}")).status_code == 302
