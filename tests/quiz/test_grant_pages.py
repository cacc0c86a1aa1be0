"""The follow-up list's 'perlu bantuan' and the grant page, through HTTP."""
from netral_learn.core import clock
from netral_learn.accounts.models import Person
from netral_learn.extensions import db

from .test_grants import fail_all, world  # noqa: F401 - the fixture


def login(app, person):
    client = app.test_client()
    assert client.post("/masuk", data={"nip": person.nip, "password": "Kuat#Sandi-2026"}).status_code == 302
    return client


def test_operator_finds_a_stuck_learner_and_grants_an_attempt(app, world, factory):
    """Does the follow-up list show a learner out of attempts as 'perlu bantuan' with the grant action,
    and does the grant page give the attempt once, even when the form is sent twice?"""
    with app.test_request_context():
        fail_all(world["learner"].id, world["program"])
        locked = factory.person(world["tree"]["a1"], name="Terkunci Sekali")
        row = db.session.get(Person, locked.id)
        row.locked_until = clock.now_utc().replace(year=2099)
        db.session.commit()
    client = login(app, world["operator_a"])
    program, learner = world["program"], world["learner"]
    page = client.get(f"/laporan/tindak-lanjut?program={program}&bantuan=y").get_data(as_text=True)
    assert "Rina Peserta" in page and "Percobaan kuis habis" in page and "Perlu bantuan: <strong>2</strong>" in page
    assert "Terkunci Sekali" in page and "Buka kunci akun" in page
    url = f"/laporan/tindak-lanjut/{program}/pegawai/{learner.id}/percobaan"
    assert url in page
    form = client.get(url).get_data(as_text=True)
    assert "2 dipakai dari 2" in form and "Paling banyak 2 lagi" in form
    data = {"extra": "1", "reason": "Sudah dibimbing ulang", "seen_extra": "0"}
    response = client.post(url, data=data)
    assert response.status_code == 302 and "bantuan=y" in response.headers["Location"]
    again = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "sudah diberikan sejak halaman dibuka" in again
    assert "3 dipakai dari 3" not in again and "2 dipakai dari 3" in again
    page = client.get(f"/laporan/tindak-lanjut?program={program}&bantuan=y").get_data(as_text=True)
    assert "Rina Peserta" not in page


def test_grant_page_answers_by_scope_and_role(app, world):
    """Is the grant page 404 for an operator of another OPD and 403 for a participant?"""
    with app.test_request_context():
        fail_all(world["learner"].id, world["program"])
    url = f"/laporan/tindak-lanjut/{world['program']}/pegawai/{world['learner'].id}/percobaan"
    assert login(app, world["operator_b"]).get(url).status_code == 404
    assert login(app, world["learner"]).get(url).status_code == 403
    assert login(app, world["admin"]).get(url).status_code == 200
    assert app.test_client().get(url).status_code == 302
    bad = login(app, world["admin"]).post(url, data={"extra": "1", "reason": "x", "seen_extra": "0"},
                                          follow_redirects=True)
    assert "Tuliskan alasan" in bad.get_data(as_text=True)


def test_a_first_password_that_expired_is_a_reason_for_help(app, world, factory):
    """Is someone who never logged in and whose slip's first password expired listed under 'perlu bantuan'
    with the action to give a new one, while someone with a fresh first password is not?"""
    from datetime import timedelta

    from netral_learn.accounts import passwords

    with app.test_request_context():
        stale = factory.person(world["tree"]["a1"], name="Slip Kedaluwarsa", password=None)
        fresh = factory.person(world["tree"]["a1"], name="Slip Masih Berlaku", password=None)
        for person, age in ((stale, 20), (fresh, 2)):
            row = db.session.get(Person, person.id)
            row.initial_password_enc = passwords.encrypt_initial(passwords.generate_initial_password())
            row.initial_password_at = clock.now_utc() - timedelta(days=age)
        db.session.commit()
    page = login(app, world["operator_a"]).get(
        f"/laporan/tindak-lanjut?program={world['program']}&bantuan=y").get_data(as_text=True)
    assert "Slip Kedaluwarsa" in page and "Kata sandi awal kedaluwarsa" in page and "Buat kata sandi awal baru" in page
    assert "Slip Masih Berlaku" not in page
