"""The access rule, enumerated: every route of the app × every role → the answer it gets.

One world: the instansi "Kabupaten Uji" (Dinas Pendidikan › Sekretariat, Dinas Kesehatan ›
Sekretariat) and "Kota Lain"; a program of the Kabupaten for everyone in it, on a bundled course
(read-only for admins); a learner ("peserta", in Dinas Pendidikan › Sekretariat) with the modules
done and a quiz attempt under way; a colleague of theirs ("target") with a pact awaiting witnesses
and a certificate; an operator of Dinas
Pendidikan, an admin of the Kabupaten and a superadmin. Two more columns check scope: an operator
of Dinas Kesehatan and an admin of Kota Lain, acting on the same objects.

A GET is checked for its exact status. A POST-only route is checked for its exact refusal for
the roles without permission (302 to the login page, 403, 404); ``ok`` means "not refused": the
role may act (its answer then depends on the form, which is empty here).

Adding a route: add its row to MATRIX (``test_every_route_is_in_the_matrix`` fails until then).
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from netral_learn.accounts.models import Person, Role
from netral_learn.api import services as api_services
from netral_learn.certificates import credential
from netral_learn.certificates.models import Certificate
from netral_learn.core import clock
from netral_learn.core.storage import storage_root
from netral_learn.courses import attachments
from netral_learn.courses.models import Attachment, CourseVersion, Module, Program
from netral_learn.extensions import db
from netral_learn.pact.models import PactSignature, SignatureStatus
from netral_learn.pledge import services as pledge_services
from netral_learn.quiz import services as quiz_services
from netral_learn.quiz.models import AttemptKind, Question

from .factories import Factory
from .quiz.test_attempts import finish_modules
from .reports.conftest import add_certificate

ROLES = ["anonymous", "peserta", "operator", "admin", "superadmin"]
#: Scope columns: the same objects, acted on by staff of another OPD and of another instansi.
OUTSIDE = ["operator_other", "admin_other"]
OK = "ok"


def row(method: str, url: str, statuses: str, outside: str | None = None):
    """``statuses``: one per ROLES, space separated; ``outside``: one per OUTSIDE (None: not checked)."""
    expected = dict(zip(ROLES, statuses.split(), strict=True))
    if outside is not None:
        expected.update(zip(OUTSIDE, outside.split(), strict=True))
    return method, url, {role: value if value == OK else int(value) for role, value in expected.items()}


#: endpoint → (method, url template, expected). Placeholders: the ``ids`` of the ``world`` fixture.
MATRIX: dict[str, tuple] = {
    "accounts.activate": row("POST", "/admin/pegawai/{person}/aktifkan", "302 403 ok ok ok", "404 404"),
    "accounts.activate_account": row("GET", "/aktivasi/tautan-yang-tidak-ada", "404 404 404 404 404", "404 404"),
    "accounts.change_password": row("GET", "/kata-sandi", "302 200 200 200 200", "200 200"),
    "accounts.create_unit": row("GET", "/admin/unit/baru", "302 403 403 200 200", "403 200"),
    "accounts.deactivate": row("POST", "/admin/pegawai/{person}/nonaktifkan", "302 403 ok ok ok", "404 404"),
    "accounts.edit_unit": row("GET", "/admin/unit/{unit}", "302 403 403 200 200", "403 404"),
    "accounts.instansi_list": row("GET", "/admin/instansi", "302 403 403 403 200", "403 403"),
    "accounts.instansi_new": row("GET", "/admin/instansi/baru", "302 403 403 403 200", "403 403"),
    "accounts.login": row("GET", "/masuk", "200 302 302 302 302", "302 302"),
    "accounts.logout": row("POST", "/keluar", "302 302 302 302 302", "302 302"),
    # SSO is off in this world (no SSO_ISSUER): its two addresses do not exist. With SSO on, the
    # start answers 302 to everyone (anonymous: to the provider; logged in: home) and the callback
    # without a login under way 400 (tests/browser/test_sso.py, tests/sso/test_sso.py).
    "accounts.sso_callback": row("GET", "/masuk/sso/kembali", "404 404 404 404 404", "404 404"),
    "accounts.sso_login": row("GET", "/masuk/sso", "404 404 404 404 404", "404 404"),
    "accounts.unit_sso_required": row("POST", "/admin/unit/{instansi}/wajib-sso", "302 403 403 404 404", "403 404"),
    "accounts.people": row("GET", "/admin/pegawai", "302 403 200 200 200", "200 200"),
    "accounts.person_detail": row("GET", "/admin/pegawai/{person}", "302 403 200 200 200", "404 404"),
    "accounts.person_edit": row("GET", "/admin/pegawai/{person}/ubah", "302 403 200 200 200", "404 404"),
    "accounts.person_new": row("GET", "/admin/pegawai/baru", "302 403 200 200 200", "200 200"),
    "accounts.person_slip": row("GET", "/admin/pegawai/{person}/slip.pdf", "302 403 302 302 302", "404 404"),
    "accounts.renew_expired": row("POST", "/admin/slip-login/perbarui", "302 403 ok ok ok", "ok ok"),
    "accounts.reset_password": row("POST", "/admin/pegawai/{person}/reset-sandi", "302 403 ok ok ok", "404 404"),
    "accounts.roster_apply": row("POST", "/admin/impor/tidak-ada/terapkan", "302 403 403 ok ok", "403 ok"),
    "accounts.roster_changes": row("GET", "/admin/impor/tidak-ada/perubahan.csv", "302 403 403 404 404", "403 404"),
    "accounts.roster_operator_permission": row("POST", "/admin/impor/izin-operator/{instansi}", "302 403 403 ok ok",
                                               "403 404"),
    "accounts.roster_errors": row("GET", "/admin/impor/tidak-ada/kesalahan.csv", "302 403 403 404 404", "403 404"),
    "accounts.roster_preview": row("GET", "/admin/impor/tidak-ada", "302 403 403 404 404", "403 404"),
    "accounts.roster_template": row("GET", "/admin/impor/templat.xlsx", "302 403 403 200 200", "403 200"),
    "accounts.roster_upload": row("GET", "/admin/impor", "302 403 403 200 200", "403 200"),
    "accounts.set_password_in_person": row("POST", "/admin/pegawai/{person}/atur-sandi", "302 403 ok ok ok",
                                           "404 404"),
    "accounts.set_role": row("POST", "/admin/pegawai/{person}/peran", "302 403 403 ok ok", "403 404"),
    "accounts.set_unit_status": row("POST", "/admin/unit/{unit}/status", "302 403 403 ok ok", "403 404"),
    "accounts.slips_page": row("GET", "/admin/slip-login", "302 403 200 200 200", "200 200"),
    "accounts.slips_pdf": row("GET", "/admin/slip-login.pdf?unit={unit}", "302 403 302 302 302", "302 302"),
    "accounts.units": row("GET", "/admin/unit", "302 403 403 200 200", "403 200"),
    "accounts.unlock": row("POST", "/admin/pegawai/{person}/buka-kunci", "302 403 ok ok ok", "404 404"),
    "api.certificates": row("GET", "/api/v1/programs/{program}/certificates", "401 401 401 401 401", "401 401"),
    "api.funnel": row("GET", "/api/v1/programs/{program}/funnel", "401 401 401 401 401", "401 401"),
    "api.openapi_document": row("GET", "/api/v1/openapi.json", "200 200 200 200 200", "200 200"),
    "api.people": row("GET", "/api/v1/programs/{program}/people", "401 401 401 401 401", "401 401"),
    "api.program": row("GET", "/api/v1/programs/{program}", "401 401 401 401 401", "401 401"),
    "api.programs": row("GET", "/api/v1/programs", "401 401 401 401 401", "401 401"),
    "api_admin.clients": row("GET", "/admin/api", "302 403 403 200 200", "403 200"),
    "api_admin.docs": row("GET", "/admin/api/dokumentasi", "302 403 403 200 200", "403 200"),
    "api_admin.new_client": row("GET", "/admin/api/baru", "302 403 403 200 200", "403 200"),
    "api_admin.revoke_client": row("GET", "/admin/api/{api_client}/cabut", "302 403 403 200 200", "403 404"),
    "auditlog.index": row("GET", "/admin/audit", "302 403 403 200 200", "403 200"),
    "certificates.bulk_page": row("GET", "/admin/sertifikat/unduh?program={program}", "302 403 200 200 200", "200 404"),
    "certificates.bulk_zip": row("GET", "/admin/sertifikat/unduh.zip?program={program}",
                                   "302 403 302 302 302", "302 404"),
    "certificates.jwks": row("GET", "/.well-known/jwks.json", "200 200 200 200 200", "200 200"),
    "certificates.credential_key": row("GET", "/kredensial/kunci/{thumbprint}", "200 200 200 200 200", "200 200"),
    "certificates.status_list_credential": row("GET", "/kredensial/status/{instansi}", "200 200 200 200 200",
                                               "200 200"),
    "certificates.mine": row("GET", "/program/{program}/sertifikat", "302 403 403 403 403", "403 404"),
    "certificates.my_credential_jwt": row("GET", "/program/{program}/sertifikat/kredensial.jwt",
                                            "302 403 403 403 403", "403 404"),
    "certificates.my_pdf": row("GET", "/program/{program}/sertifikat.pdf", "302 403 403 403 403", "403 404"),
    "certificates.reissue": row("POST", "/admin/sertifikat/{certificate}/terbitkan-ulang",
                                  "302 403 403 ok ok", "403 404"),
    "certificates.revoke": row("POST", "/admin/sertifikat/{certificate}/cabut", "302 403 403 ok ok", "403 404"),
    "certificates.settings_page": row("GET", "/admin/sertifikat/pengaturan", "302 403 403 200 200", "403 200"),
    "certificates.staff_pdf": row("GET", "/admin/sertifikat/{certificate}.pdf", "302 403 200 200 200", "404 404"),
    "certificates.staff_view": row("GET", "/admin/sertifikat/{certificate}", "302 403 200 200 200", "404 404"),
    "certificates.template_post": row("POST", "/admin/sertifikat/pengaturan/templat", "302 403 403 ok ok", "403 ok"),
    "certificates.template_reset": row("POST", "/admin/sertifikat/pengaturan/templat/bawaan",
                                         "302 403 403 ok ok", "403 ok"),
    "courses.admin_attachment_upload": row("POST", "/admin/kursus/modul/{module}/lampiran",
                                             "302 403 403 ok ok", "403 ok"),
    "courses.admin_course": row("GET", "/admin/kursus/{course}", "302 403 403 302 302", "403 302"),
    "courses.admin_course_new": row("GET", "/admin/kursus/baru", "302 403 403 200 200", "403 200"),
    "courses.admin_courses": row("GET", "/admin/kursus", "302 403 403 200 200", "403 200"),
    "courses.admin_module": row("GET", "/admin/kursus/modul/{module}", "302 403 403 200 200", "403 200"),
    "courses.admin_module_action": row("POST", "/admin/kursus/modul/{module}/naik", "302 403 403 403 ok", "403 403"),
    "courses.admin_program": row("GET", "/admin/program/{program}", "302 403 403 200 200", "403 404"),
    "courses.admin_program_new": row("GET", "/admin/program/baru", "302 403 403 200 200", "403 200"),
    "courses.admin_program_publish": row("POST", "/admin/program/{program}/terbitkan", "302 403 403 ok ok", "403 404"),
    "courses.admin_programs": row("GET", "/admin/program", "302 403 403 200 200", "403 200"),
    "courses.admin_version": row("GET", "/admin/kursus/versi/{version}", "302 403 403 200 200", "403 200"),
    "courses.admin_version_action": row("POST", "/admin/kursus/versi/{version}/versi-baru",
                                          "302 403 403 403 ok", "403 403"),
    "courses.admin_version_post": row("POST", "/admin/kursus/versi/{version}/tinjauan", "302 403 403 ok ok", "403 ok"),
    "courses.attachment": row("GET", "/lampiran/{attachment}/lampiran.txt", "302 200 200 200 200", "200 200"),
    "courses.complete": row("POST", "/program/{program}/modul/1/selesai", "302 ok 403 403 403", "403 404"),
    "courses.module": row("GET", "/program/{program}/modul/1", "302 200 200 200 200", "200 404"),
    "courses.program": row("GET", "/program/{program}", "302 200 200 200 200", "200 404"),
    "main.health": row("GET", "/healthz", "200 200 200 200 200", "200 200"),
    "main.home": row("GET", "/", "302 200 200 200 200", "200 200"),
    "main.ready": row("GET", "/readyz", "200 200 200 200 200", "200 200"),
    "main.set_language": row("POST", "/bahasa/en", "ok ok ok ok ok", "ok ok"),
    "pact.admin_new_witness": row("POST", "/admin/program/{program}/pakta/saksi-baru", "302 403 403 ok ok", "403 404"),
    "pact.admin_preview": row("GET", "/admin/pakta/versi/{pact_version}/pratinjau", "302 403 403 200 200", "403 200"),
    "pact.admin_program_pact": row("GET", "/admin/program/{program}/pakta", "302 403 403 200 200", "403 404"),
    "pact.admin_template_new": row("POST", "/admin/pakta/baru", "302 403 403 ok ok", "403 ok"),
    "pact.admin_templates": row("GET", "/admin/pakta", "302 403 403 200 200", "403 200"),
    "pact.admin_version": row("GET", "/admin/pakta/versi/{pact_version}", "302 403 403 200 200", "403 200"),
    "pact.admin_version_action": row("POST", "/admin/pakta/versi/{pact_version}/versi-baru",
                                       "302 403 403 403 403", "403 403"),
    "pact.my_pdf": row("GET", "/program/{program}/pakta.pdf", "302 404 404 404 404", "404 404"),
    "pact.revoke": row("GET", "/admin/pakta/{signature}/cabut", "302 403 403 200 200", "403 404"),
    "pact.reopen": row("GET", "/admin/pakta/{signature}/buka-ulang", "302 403 403 200 200", "403 404"),
    "pact.sign": row("GET", "/program/{program}/pakta", "302 403 403 403 403", "403 404"),
    "pact.staff_pdf": row("GET", "/admin/pakta/{signature}.pdf", "302 403 200 200 200", "404 404"),
    "pact.witness_list": row("GET", "/saksi", "302 403 403 403 403", "403 403"),
    "pact.witness_sign": row("GET", "/saksi/{signature}", "302 404 404 404 404", "404 404"),
    "pledge.manage": row("GET", "/admin/ikrar", "302 403 403 200 200", "403 200"),
    "pledge.screen": row("GET", "/ikrar/{pledge}", "200 200 200 200 200", "200 200"),
    "main.dashboard": row("GET", "/admin", "302 403 200 200 200", "200 200"),
    "privacy.admin_notice": row("GET", "/admin/privasi", "302 403 403 200 200", "403 200"),
    "privacy.my_data": row("GET", "/akun/data-saya", "302 200 200 200 200", "200 200"),
    "privacy.my_data_json": row("GET", "/akun/data-saya.json", "302 200 200 200 200", "200 200"),
    "privacy.my_data_pdf": row("GET", "/akun/data-saya.pdf", "302 200 200 200 200", "200 200"),
    "privacy.notice": row("GET", "/privasi", "200 200 200 200 200", "200 200"),
    "quiz.admin_index": row("GET", "/admin/soal", "302 403 403 200 200", "403 200"),
    "quiz.attempt": row("GET", "/program/{program}/kuis/{attempt}", "302 200 404 404 404", "404 404"),
    "quiz.bank_export": row("GET", "/admin/kursus/{course}/soal/ekspor.xlsx", "302 403 403 200 200", "403 200"),
    "quiz.bank_import": row("GET", "/admin/kursus/{course}/soal/impor", "302 403 403 403 200", "403 403"),
    "quiz.bank_import_apply": row("POST", "/admin/kursus/{course}/soal/impor/tidak-ada/terapkan",
                                    "302 403 403 ok ok", "403 ok"),
    "quiz.bank_import_errors": row("GET", "/admin/kursus/{course}/soal/impor/tidak-ada/kesalahan.csv",
                                     "302 403 403 403 404", "403 403"),
    "quiz.bank_import_preview": row("GET", "/admin/kursus/{course}/soal/impor/tidak-ada",
                                      "302 403 403 403 404", "403 403"),
    "quiz.bank_list": row("GET", "/admin/kursus/{course}/soal", "302 403 403 200 200", "403 200"),
    "quiz.bank_template": row("GET", "/admin/soal/templat.csv", "302 403 403 200 200", "403 200"),
    "quiz.overview": row("GET", "/program/{program}/kuis", "302 200 200 200 200", "200 404"),
    "quiz.program_settings": row("GET", "/admin/program/{program}/kuis", "302 403 403 200 200", "403 404"),
    "quiz.question_edit": row("GET", "/admin/kursus/{course}/soal/{question}", "302 403 403 200 200", "403 200"),
    "quiz.question_new": row("GET", "/admin/kursus/{course}/soal/baru", "302 403 403 403 200", "403 403"),
    "quiz.question_status": row("POST", "/admin/kursus/{course}/soal/{question}/status",
                                  "302 403 403 403 ok", "403 403"),
    "quiz.result": row("GET", "/program/{program}/kuis/{attempt}/hasil", "302 302 404 404 404", "404 404"),
    "quiz.save": row("POST", "/program/{program}/kuis/{attempt}/simpan", "302 ok 404 404 404", "404 404"),
    "quiz.start": row("POST", "/program/{program}/kuis/mulai", "302 ok 403 403 403", "403 404"),
    "quiz.submit": row("POST", "/program/{program}/kuis/{attempt}/kirim", "302 ok 404 404 404", "404 404"),
    "reports.call_list": row("GET", "/laporan/tindak-lanjut/daftar-telepon?program={program}&unit={unit_a}",
                             "302 403 200 200 200", "404 404"),
    "reports.grant_attempts": row("GET", "/laporan/tindak-lanjut/{program}/pegawai/{person}/percobaan",
                                  "302 403 200 200 200", "404 404"),
    "reports.remind_whatsapp": row("POST", "/laporan/tindak-lanjut/{program}/pegawai/{person}/whatsapp",
                                   "302 403 ok ok ok", "404 404"),
    "reports.dashboard": row("GET", "/laporan?program={program}&unit={unit_a}", "302 403 200 200 200", "404 404"),
    "reports.export": row("GET", "/laporan/ekspor.csv?program={program}&unit={unit_a}",
                            "302 403 200 200 200", "404 404"),
    "reports.followup_export": row("GET", "/laporan/tindak-lanjut.csv?program={program}&unit={unit_a}",
                                     "302 403 200 200 200", "404 404"),
    "reports.followup_list": row("GET", "/laporan/tindak-lanjut?program={program}&unit={unit_a}",
                                   "302 403 200 200 200", "404 404"),
    "reports.recount": row("POST", "/laporan/hitung-ulang?program={program}&unit={unit_a}",
                             "302 403 ok ok ok", "404 404"),
    "reports.reminder_page": row("GET", "/laporan/tindak-lanjut/pengingat?program={program}&unit={unit_a}",
                                   "302 403 200 200 200", "404 404"),
    "static": row("GET", "/static/css/app.css", "200 200 200 200 200", "200 200"),
    "verify.index": row("GET", "/verifikasi", "200 200 200 200 200", "200 200"),
    "verify.show": row("GET", "/verifikasi/{verify_code}", "404 404 404 404 404", "404 404"),
}


@pytest.fixture
def world(app, factory):
    tree = factory.tree()
    version = factory.course(modules=2)
    program = factory.program(tree["root"], version, title="Sosialisasi Netralitas Uji")
    factory.bank(version, count=6)
    factory.quiz_settings(program, question_count=3)
    pact_version = factory.pact_template()
    people = {
        "peserta": factory.person(tree["a1"], name="Peserta Biasa"),
        "operator": factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"]),
        "admin": factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"]),
        "superadmin": factory.person(tree["root"], role=Role.SUPERADMIN),
        "operator_other": factory.person(tree["b"], role=Role.OPERATOR, scope=tree["b"]),
        "admin_other": factory.person(tree["other"], role=Role.ADMIN, scope=tree["other"]),
    }
    target = factory.person(tree["a1"], name="Target Orang")
    with app.test_request_context():
        _, program_row = finish_modules(target.id, program)
        person, program_row = finish_modules(people["peserta"].id, program)
        attempt = quiz_services.start_attempt(person, program_row, AttemptKind.POST, clock.now_utc())
        db.session.commit()
        signed_at = clock.now_utc() - timedelta(days=1)
        db.session.add(PactSignature(
            program_id=program, person_id=target.id, template_version_id=pact_version,
            status=SignatureStatus.AWAITING_WITNESSES, text="Pakta", text_sha256="0" * 64, typed_name="Target Orang",
            signed_at=signed_at, verify_code="W000000000000001", pdf_history=[]))
        add_certificate(target.id, program_row, signed_at)
        module = db.session.scalars(db.select(Module).where(Module.version_id == version)
                                    .order_by(Module.position)).first()
        folder = storage_root() / attachments.AREA
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "matrix.txt").write_bytes(b"Lampiran uji")
        attachment = Attachment(module_id=module.id, filename="lampiran.txt", stored_name="matrix.txt",
                                mime="text/plain", size=12, sha256="0" * 64)
        db.session.add(attachment)
        admin = db.session.get(Person, people["admin"].id)
        client, token = api_services.create_client(admin, "Sistem Kepegawaian", admin.unit, None, clock.now_utc())
        event = pledge_services.open_event(admin, db.session.get(Program, program), "Apel Ikrar",
                                           clock.now_utc() - timedelta(hours=1), clock.now_utc() + timedelta(hours=1))
        db.session.commit()
        certificate = db.session.scalars(db.select(Certificate).where(Certificate.person_id == target.id)).one()
        ids = {
            "program": program, "course": db.session.get(CourseVersion, version).course_id, "version": version,
            "module": module.id, "question": db.session.scalars(db.select(Question.id)).first(),
            "attempt": attempt.id, "person": target.id, "unit": tree["a1"].id, "unit_a": tree["a"].id,
            "pact_version": pact_version, "certificate": certificate.id, "verify_code": certificate.verify_code,
            "signature": db.session.scalars(db.select(PactSignature.id)).one(), "attachment": attachment.id,
            "api_client": client.id, "pledge": event.code, "instansi": tree["root"].id,
            "thumbprint": credential.thumbprint(),
        }
    return {"people": people, "ids": ids, "token": token}


def _client(app, person: Person | None):
    client = app.test_client()
    if person is not None:
        assert client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD}).status_code == 302
    return client


#: Routes whose 302 for an anonymous visitor is not the way to the login page.
_ANONYMOUS_REDIRECTS = {"main.set_language", "accounts.logout"}


def _answer(response) -> int | str:
    refused = response.status_code in (401, 403, 404, 405) or (
        response.status_code == 302 and "/masuk" in response.headers.get("Location", ""))
    return response.status_code if refused else OK


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access_matrix(app, world, endpoint):
    """Does each role get exactly the answer the matrix says on this route?"""
    method, url, expected = MATRIX[endpoint]
    url = url.format(**world["ids"])
    for role, status in expected.items():
        response = _client(app, world["people"].get(role)).open(url, method=method, data={})
        got = _answer(response) if status == OK else response.status_code
        assert got == status, f"{role} {method} {url}: {response.status_code} != {status}"
        if role == "anonymous" and status == 302 and endpoint not in _ANONYMOUS_REDIRECTS:
            assert "/masuk" in response.headers["Location"], f"anonymous {method} {url}: not to the login page"


def test_every_route_is_in_the_matrix(app):
    """Is every route of the app (and nothing else) in the matrix, with a method it answers to?"""
    routes = {rule.endpoint: rule.methods for rule in app.url_map.iter_rules()}
    assert sorted(set(routes) - set(MATRIX)) == [], "routes missing from tests/test_route_matrix.py"
    assert sorted(set(MATRIX) - set(routes)) == [], "rows for routes that no longer exist"
    for endpoint, (method, _url, _expected) in MATRIX.items():
        assert method in routes[endpoint], endpoint
