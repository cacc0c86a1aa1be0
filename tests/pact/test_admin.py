"""Pact administration: templates and versions, a program's pact and witnesses, the admin pages."""
import re

import pytest

from netral_learn.accounts import passwords
from netral_learn.accounts.models import Jenis, Person, Role
from netral_learn.core import audit, clock
from netral_learn.core.errors import InvalidInput, NotAllowed, OutOfScope
from netral_learn.courses.models import Program
from netral_learn.extensions import db
from netral_learn.pact import services
from netral_learn.pact import templates_admin as admin
from netral_learn.pact.models import PactSignature, PactTemplateVersion, ProgramPact, SignatureStatus

from ..factories import Factory
from .test_signing import pass_quiz

PASSWORD = Factory.PASSWORD
CLAUSES = [{"text": "Menjaga netralitas sebagai {jabatan} di {unit}.", "requires_agreement": True},
           {"text": "Pakta ini untuk {program}.", "requires_agreement": False}]
FIRST_PASSWORD = re.compile(r"\b[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}\b")


@pytest.fixture
def world(factory):
    """One program of 'Pemerintah Kabupaten Uji' with the default pact; actors of every role."""
    tree = factory.tree()
    version = factory.course(modules=1)
    program = factory.program(tree["root"], version)
    factory.bank(version, count=6)
    factory.quiz_settings(program, question_count=3)
    default_version = factory.pact_template()
    actors = {
        "participant": factory.person(tree["a1"]),
        "witness": factory.person(tree["root"], role=Role.WITNESS, jenis="NON_ASN"),
        "operator": factory.person(tree["a"], role=Role.OPERATOR, scope=tree["a"]),
        "admin": factory.person(tree["root"], role=Role.ADMIN, scope=tree["root"]),
        "admin_other": factory.person(tree["other"], role=Role.ADMIN, scope=tree["other"]),
        "superadmin": factory.person(tree["root"], role=Role.SUPERADMIN),
    }
    learner = factory.person(tree["a1"], name="Dewi Lestari, S.Pd.", jabatan="Guru Ahli Muda")
    return {"tree": tree, "program": program, "default_version": default_version, "actors": actors,
            "learner": learner}


def load(model, id_):
    return db.session.get(model, id_)


def instansi_draft(world, title="Pakta Netralitas Kabupaten Uji", **kwargs):
    """A new template of the world's instansi, as its admin; returns (admin, draft version)."""
    actor = load(Person, world["actors"]["admin"].id)
    template = admin.create_template(actor, load(type(world["tree"]["root"]), world["tree"]["root"].id), title,
                                     **kwargs)
    return actor, template.versions[0]


def fill_draft(actor, version, clauses=CLAUSES, **overrides):
    values = {"title": "Pakta Netralitas Kabupaten Uji", "opening": "Saya, {nama}, NIP {nip}:",
              "clauses": clauses, "closing": "{tempat}, {tanggal}", "legal_footer": "PP 94/2021.", **overrides}
    return admin.update_draft(actor, version, **values)


def published_instansi_version(world) -> int:
    actor, draft = instansi_draft(world)
    fill_draft(actor, draft)
    admin.publish(actor, draft)
    db.session.commit()
    return draft.id


# --- services ------------------------------------------------------------------------------

def test_unknown_placeholder_is_refused_by_name(ctx, world):
    """Is a typo like {nama_lengkap} refused with its name, while the known placeholders are accepted?"""
    actor, draft = instansi_draft(world)
    with pytest.raises(InvalidInput, match=r"\{nama_lengkap\}") as refused:
        fill_draft(actor, draft, opening="Saya, {nama_lengkap}, NIP {nip}:")
    assert "{nama}" in str(refused.value.message) and "{nip}" not in str(refused.value.message).split(".")[0]
    with pytest.raises(InvalidInput, match=r"\{Unit\}"):
        fill_draft(actor, draft, clauses=[{"text": "Bekerja di {Unit}.", "requires_agreement": True}])
    saved = fill_draft(actor, draft)
    assert [c["text"] for c in saved.clauses] == [c["text"] for c in CLAUSES]


def test_a_pact_needs_at_least_one_clause(ctx, world):
    """Are blank clause rows dropped, and is a pact without any clause refused (also at publishing)?"""
    actor, draft = instansi_draft(world)
    with pytest.raises(InvalidInput, match="paling sedikit satu butir"):
        fill_draft(actor, draft, clauses=[{"text": "  ", "requires_agreement": True}])
    with pytest.raises(InvalidInput, match="paling sedikit satu butir"):
        admin.publish(actor, draft)
    saved = fill_draft(actor, draft, clauses=[{"text": "", "requires_agreement": True}, *CLAUSES])
    assert len(saved.clauses) == 2 and saved.clauses[1]["requires_agreement"] is False


def test_publishing_freezes_and_a_new_version_copies(ctx, world):
    """Once published, is a version refused any edit, and does 'new version' copy its text into draft 2?"""
    actor, draft = instansi_draft(world, copy_default=True)
    default = load(PactTemplateVersion, world["default_version"])
    assert draft.clauses == default.clauses and draft.title == "Pakta Netralitas Kabupaten Uji"
    admin.publish(actor, draft)
    assert draft.published and draft.published_at is not None
    with pytest.raises(InvalidInput, match="sudah terbit"):
        fill_draft(actor, draft)
    with pytest.raises(InvalidInput, match="sudah terbit"):
        admin.publish(actor, draft)
    second = admin.new_draft_from(actor, draft)
    assert (second.number, second.published, second.clauses) == (2, False, draft.clauses)
    with pytest.raises(InvalidInput, match="Masih ada draf versi 2"):
        admin.new_draft_from(actor, draft)
    fill_draft(actor, second, clauses=[{"text": "Butir baru.", "requires_agreement": True}])
    assert draft.clauses == default.clauses  # the published text did not move
    actions = [e.action for e in db.session.query(audit.AuditEvent).order_by(audit.AuditEvent.seq)
               if e.action.startswith("pact")]
    assert actions == ["pact_template.create", "pact_version.publish", "pact_version.new_draft", "pact_version.update"]


def test_bundled_default_is_read_only_and_other_instansi_cannot_see_ours(ctx, world):
    """May an admin edit the bundled default (no) or another instansi's template (not even see it)?"""
    actor, draft = instansi_draft(world)
    default = load(PactTemplateVersion, world["default_version"])
    with pytest.raises(NotAllowed):
        fill_draft(actor, default)
    with pytest.raises(NotAllowed):
        admin.new_draft_from(actor, default)
    stranger = load(Person, world["actors"]["admin_other"].id)
    with pytest.raises(OutOfScope):
        admin.get_version_for(stranger, draft.id)
    assert admin.get_version_for(stranger, default.id) is default
    assert [t.id for t in admin.templates_for(stranger)] == [default.template_id]
    with pytest.raises(OutOfScope):
        admin.create_template(stranger, load(type(world["tree"]["root"]), world["tree"]["root"].id), "Pakta")


def test_preview_fills_a_sample_person(ctx, world):
    """Does the preview fill every placeholder for a sample person of the template's instansi?"""
    actor, draft = instansi_draft(world)
    fill_draft(actor, draft)
    pact = admin.preview(draft, load(type(world["tree"]["root"]), world["tree"]["root"].id), clock.now_utc())
    text = pact.canonical_text()
    assert "Dewi Lestari, S.Pd." in text and "Kabupaten Uji, " in text and "{" not in text
    assert "Guru Ahli Muda di Dinas Pendidikan" in text


def test_program_pact_only_published_and_frozen_after_a_signature(ctx, world, factory):
    """Is only a published version accepted, and are version and witnesses locked once someone signed?"""
    version_id = published_instansi_version(world)
    actor = load(Person, world["actors"]["admin"].id)
    program = load(Program, world["program"])
    witness = load(Person, world["actors"]["witness"].id)
    _, draft = instansi_draft(world, title="Draf lain")
    with pytest.raises(InvalidInput, match="sudah terbit"):
        admin.set_program_pact(actor, program, draft, [])
    with pytest.raises(InvalidInput, match="kapasitas"):
        admin.set_program_pact(actor, program, load(PactTemplateVersion, version_id), [(witness, " ")])
    db.session.rollback()
    version = load(PactTemplateVersion, version_id)
    admin.set_program_pact(actor, load(Program, world["program"]), version,
                           [(load(Person, witness.id), "Perwakilan Bawaslu")])
    db.session.commit()
    person, program = pass_quiz(world["learner"].id, world["program"])
    signature = services.sign_pact(person, program, services.SignRequest({0}, "Dewi Lestari", PASSWORD, None, None,
                                                                         None), clock.now_utc())
    db.session.commit()
    assert signature.status == SignatureStatus.AWAITING_WITNESSES
    assert "Guru Ahli Muda di Sekretariat" in signature.text
    actor = load(Person, world["actors"]["admin"].id)
    witness = load(Person, witness.id)
    default = load(PactTemplateVersion, world["default_version"])
    with pytest.raises(InvalidInput, match="sudah ditandatangani 1 pegawai"):
        admin.set_program_pact(actor, program, default, [(witness, "Perwakilan Bawaslu")])
    with pytest.raises(InvalidInput, match="sudah ditandatangani"):
        admin.set_program_pact(actor, program, load(PactTemplateVersion, version_id), [])
    unchanged = admin.set_program_pact(actor, program, load(PactTemplateVersion, version_id),
                                       [(witness, "Perwakilan Bawaslu")])
    assert unchanged.template_version_id == version_id


def test_program_pact_refuses_another_instansi_template(ctx, world, factory):
    """Can a program use a template that belongs to another instansi? (No.)"""
    other_admin = load(Person, world["actors"]["admin_other"].id)
    template = admin.create_template(other_admin, load(type(world["tree"]["other"]), world["tree"]["other"].id),
                                     "Pakta Kota Lain", copy_default=True)
    admin.publish(other_admin, template.versions[0])
    superadmin = load(Person, world["actors"]["superadmin"].id)
    with pytest.raises(InvalidInput, match="instansi lain"):
        admin.set_program_pact(superadmin, load(Program, world["program"]), template.versions[0], [])
    with pytest.raises(OutOfScope):
        admin.set_program_pact(other_admin, load(Program, world["program"]), template.versions[0], [])


def test_witness_account_is_a_witness_who_must_change_the_password(ctx, world):
    """Does a new witness account get the witness role in the instansi root, non-ASN, a usable first password
    that must be changed, and is a taken ID refused?"""
    actor = load(Person, world["actors"]["admin"].id)
    root = load(type(world["tree"]["root"]), world["tree"]["root"].id)
    person, password = admin.create_witness_account(actor, root, "Rahmat Hidayat", "bwsl-uji 01",
                                                    "Perwakilan Bawaslu")
    assert (person.role, person.jenis, person.unit_id) == (Role.WITNESS, Jenis.NON_ASN, root.id)
    assert person.nip == "BWSL-UJI01" and person.must_change_password and person.password_hash is None
    assert passwords.matches_initial(person.initial_password_enc, password)
    assert db.session.query(audit.AuditEvent).filter_by(action="witness.create").count() == 1
    with pytest.raises(InvalidInput, match="sudah dipakai"):
        admin.create_witness_account(actor, root, "Orang Lain", "BWSL-UJI01")
    with pytest.raises(InvalidInput):
        admin.create_witness_account(actor, root, "Orang Lain", "x")
    with pytest.raises(OutOfScope):
        admin.create_witness_account(load(Person, world["actors"]["admin_other"].id), root, "Orang", "ABC-1")


# --- pages ---------------------------------------------------------------------------------

ACTORS = ["anonymous", "participant", "witness", "operator", "admin", "admin_other", "superadmin"]
PAGES = [
    ("/admin/pakta", [302, 403, 403, 403, 200, 200, 200]),
    ("/admin/pakta/versi/{draft}", [302, 403, 403, 403, 200, 404, 200]),
    ("/admin/pakta/versi/{draft}/pratinjau", [302, 403, 403, 403, 200, 404, 200]),
    ("/admin/pakta/versi/{default}", [302, 403, 403, 403, 200, 200, 200]),
    ("/admin/program/{program}/pakta", [302, 403, 403, 403, 200, 404, 200]),
]


@pytest.mark.parametrize("url, expected", PAGES, ids=[u for u, _ in PAGES])
def test_access_per_role(app, world, url, expected):
    """Does each role get exactly the answer it should on each pact admin page (404 for another instansi)?"""
    with app.test_request_context():
        _, draft = instansi_draft(world)
        db.session.commit()
        url = url.format(draft=draft.id, default=world["default_version"], program=world["program"])
    for actor_name, status in zip(ACTORS, expected):
        client = app.test_client()
        if actor_name != "anonymous":
            client.post("/masuk", data={"nip": world["actors"][actor_name].nip, "password": PASSWORD})
        response = client.get(url)
        assert response.status_code == status, f"{actor_name} {url}: {response.status_code} != {status}"


def test_posts_out_of_scope_answer_404(app, world, client, login_as):
    """Can another instansi's admin publish our draft or set our program's pact by posting? (404.)"""
    with app.test_request_context():
        _, draft = instansi_draft(world)
        fill_draft(load(Person, world["actors"]["admin"].id), draft)
        db.session.commit()
        draft_id = draft.id
    login_as(world["actors"]["admin_other"])
    assert client.post(f"/admin/pakta/versi/{draft_id}/terbitkan").status_code == 404
    assert client.post(f"/admin/pakta/versi/{draft_id}", data={"title": "X"}).status_code == 404
    assert client.post(f"/admin/program/{world['program']}/pakta/saksi-baru",
                       data={"new-name": "A", "new-identifier": "ABC-1", "new-capacity": "B"}).status_code == 404
    with app.app_context():
        assert not load(PactTemplateVersion, draft_id).published
        assert db.session.query(Person).filter_by(nip="ABC-1").count() == 0


def test_editor_adds_rows_saves_refuses_typos_and_publishes(app, world, client, login_as):
    """Without JavaScript, can an admin create a template, add a clause row, save, see a typo refused, preview
    the filled text and publish?"""
    login_as(world["actors"]["admin"])
    response = client.post("/admin/pakta/baru", data={"instansi": world["tree"]["root"].id,
                                                      "title": "Pakta Dinas", "copy_default": ""})
    assert response.status_code == 302
    editor = response.headers["Location"]
    page = client.get(editor).get_data(as_text=True)
    assert 'name="clauses-0-text"' in page and 'name="clauses-1-text"' not in page
    form = {"title": "Pakta Dinas", "opening": "Saya, {nama}:", "closing": "{tempat}, {tanggal}",
            "legal_footer": "", "clauses-0-text": "Netral sebagai {jabatan}.", "clauses-0-requires_agreement": "y"}
    page = client.post(editor, data={**form, "add_clause": "Tambah butir"}).get_data(as_text=True)
    assert 'name="clauses-1-text"' in page and "Netral sebagai {jabatan}." in page
    page = client.post(editor, data={**form, "clauses-1-text": "Untuk {programm}.", "save": "Simpan"}).get_data(
        as_text=True)
    assert "Placeholder tidak dikenal: {programm}" in page
    assert client.post(editor, data={**form, "clauses-1-text": "Untuk {program}.", "save": "Simpan"}).status_code == 302
    version_id = int(editor.rstrip("/").split("/")[-1])
    with app.app_context():
        clauses = load(PactTemplateVersion, version_id).clauses
    assert clauses == [{"text": "Netral sebagai {jabatan}.", "requires_agreement": True},
                       {"text": "Untuk {program}.", "requires_agreement": False}]
    preview = client.get(f"/admin/pakta/versi/{version_id}/pratinjau").get_data(as_text=True)
    assert "Saya, Dewi Lestari, S.Pd.:" in preview and "Netral sebagai Guru Ahli Muda." in preview
    assert "Kabupaten Uji" in preview and "{" not in preview.split('class="pact-text"')[1].split("</article>")[0]
    assert client.post(f"/admin/pakta/versi/{version_id}/terbitkan").status_code == 302
    page = client.get(editor).get_data(as_text=True)
    assert "clauses-0-text" not in page and "Buat versi baru" in page
    assert client.post(editor, data={**form, "save": "Simpan"}).status_code == 403


def test_program_page_sets_the_version_and_witnesses(app, world, client, login_as):
    """Can an admin choose a published version and an existing witness account on the program page?"""
    with app.test_request_context():
        version_id = published_instansi_version(world)
    login_as(world["actors"]["admin"])
    url = f"/admin/program/{world['program']}/pakta"
    page = client.get(url).get_data(as_text=True)
    assert world["actors"]["witness"].name in page and "Pakta Netralitas Kabupaten Uji" in page
    response = client.post(url, data={"version": version_id, "witnesses-0-person": world["actors"]["witness"].id,
                                      "witnesses-0-capacity": "Kepala BKPSDM", "save": "Simpan"})
    assert response.status_code == 302
    with app.app_context():
        chosen = load(ProgramPact, world["program"])
        assert chosen.template_version_id == version_id
        assert [(w.person_id, w.capacity) for w in chosen.witnesses] == [(world["actors"]["witness"].id,
                                                                          "Kepala BKPSDM")]
    foreign = client.post(url, data={"version": version_id, "witnesses-0-person": world["actors"]["admin_other"].id,
                                     "witnesses-0-capacity": "Orang luar", "save": "Simpan"})
    assert foreign.status_code == 200
    with app.app_context():
        assert [w.capacity for w in load(ProgramPact, world["program"]).witnesses] == ["Kepala BKPSDM"]


def test_witness_flow_from_account_to_complete_signature(app, world, client, login_as):
    """Admin creates a witness → the witness logs in, changes the first password, lands on /saksi, countersigns
    → the signature is complete and the admin sees it so."""
    login_as(world["actors"]["admin"])
    url = f"/admin/program/{world['program']}/pakta"
    page = client.post(f"{url}/saksi-baru", data={"new-name": "Rahmat Hidayat", "new-identifier": "BWSL-001",
                                                 "new-capacity": "Perwakilan Bawaslu Kabupaten Uji"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    first_password = FIRST_PASSWORD.search(page.get_data(as_text=True)).group(0)
    html = page.get_data(as_text=True)
    assert "hanya ditampilkan sekali" in html and 'name="new-name" required type="text" value=""' in html
    assert re.search(r'<option selected value="\d+">Rahmat Hidayat · BWSL-001</option>', html)
    assert FIRST_PASSWORD.search(client.get(url).get_data(as_text=True)) is None
    with app.test_request_context():
        person, program = pass_quiz(world["learner"].id, world["program"])
        signature = services.sign_pact(person, program, services.SignRequest(
            {0, 1}, "Dewi Lestari", PASSWORD, None, None, None), clock.now_utc())
        db.session.commit()
        signature_id, text_sha256 = signature.id, signature.text_sha256
        assert signature.status == SignatureStatus.AWAITING_WITNESSES

    witness = app.test_client()
    response = witness.post("/masuk", data={"nip": "BWSL-001", "password": first_password})
    assert response.headers["Location"].endswith("/kata-sandi")
    new_password = "Saksi#Netral-2026"
    response = witness.post("/kata-sandi", data={"current": first_password, "new": new_password,
                                                 "confirm": new_password})
    assert response.status_code == 302
    response = witness.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/saksi")
    listing = witness.get("/saksi").get_data(as_text=True)
    assert "Dewi Lestari, S.Pd." in listing
    assert witness.get(f"/admin/program/{world['program']}/pakta").status_code == 403
    assert witness.get(f"/program/{world['program']}").status_code == 404
    response = witness.post(f"/saksi/{signature_id}", data={"text_sha256": text_sha256, "typed_name": "Rahmat Hidayat",
                                                            "password": new_password})
    assert response.status_code == 302
    with app.app_context():
        assert load(PactSignature, signature_id).status == SignatureStatus.COMPLETE
    page = client.get(url).get_data(as_text=True)
    assert "Dewi Lestari, S.Pd." in page and "Lengkap" in page and f"/admin/pakta/{signature_id}.pdf" in page
    assert "sudah ditandatangani 1 pegawai" in page
