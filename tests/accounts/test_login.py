"""Login, throttling per account, forced password change, logout, argon2 parameters."""
from datetime import timedelta

from argon2 import extract_parameters

from netral_learn.accounts.models import LoginSession, Person
from netral_learn.core import clock
from netral_learn.extensions import db

from ..factories import Factory


def test_login_with_nip_and_password_reaches_beranda(client, factory):
    """Can a participant log in with NIP (spaces allowed) and see their home page?"""
    unit = factory.unit("Pemkab")
    person = factory.person(unit, name="Dewi Lestari")
    nip_with_spaces = f"{person.nip[:8]} {person.nip[8:14]} {person.nip[14]} {person.nip[15:]}"
    response = client.post("/masuk", data={"nip": nip_with_spaces, "password": Factory.PASSWORD})
    assert response.status_code == 302
    assert "Dewi Lestari" in client.get("/").get_data(as_text=True)


def test_wrong_password_is_refused_with_a_clear_message(client, factory):
    """Does a wrong password get an Indonesian message and no session?"""
    person = factory.person(factory.unit())
    response = client.post("/masuk", data={"nip": person.nip, "password": "salah-sekali"})
    assert response.status_code == 401
    assert "kata sandi salah" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_account_looks_like_a_wrong_password(client):
    """Does an unknown NIP give the same answer as a wrong password (no account probing)?"""
    response = client.post("/masuk", data={"nip": "198609262015051001", "password": "x"})
    assert response.status_code == 401
    assert "kata sandi salah" in response.get_data(as_text=True)


def test_stored_hash_meets_owasp_minimum(app, client, factory):
    """Are stored password hashes argon2id with at least OWASP's parameters?"""
    person = factory.person(factory.unit())
    stored = factory.get(Person, person.id).password_hash
    params = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert params.memory_cost >= 19456 and params.time_cost >= 2 and params.parallelism >= 1


def test_account_locks_after_repeated_failures_and_operator_can_unlock(app, client, factory, login_as):
    """After 5 failures is the account locked (even with the right password), and can an operator unlock it?"""
    tree = factory.tree()
    person = factory.person(tree["a1"])
    operator = factory.person(tree["a"], role="operator", scope=tree["a"])
    for _ in range(5):
        client.post("/masuk", data={"nip": person.nip, "password": "keliru-123"})
    response = client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD})
    assert response.status_code == 401
    assert "dikunci" in response.get_data(as_text=True)

    operator_client = app.test_client()
    operator_client.post("/masuk", data={"nip": operator.nip, "password": Factory.PASSWORD})
    assert operator_client.post(f"/admin/pegawai/{person.id}/buka-kunci").status_code == 302
    response = client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD})
    assert response.status_code == 302


def test_lock_is_per_account_not_per_address(app, factory):
    """Can 30 colleagues behind one NAT address all log in while one account is locked?"""
    unit = factory.unit()
    victim = factory.person(unit)
    colleagues = [factory.person(unit, password=None) for _ in range(3)]
    client = app.test_client()
    for _ in range(6):
        client.post("/masuk", data={"nip": victim.nip, "password": "keliru"},
                    environ_base={"REMOTE_ADDR": "10.1.1.1"})
    with app.test_request_context():
        from netral_learn.accounts.passwords import decrypt_initial
        initial = {p.id: decrypt_initial(db.session.get(Person, p.id).initial_password_enc) for p in colleagues}
    for person in colleagues * 10:
        c = app.test_client()
        response = c.post("/masuk", data={"nip": person.nip, "password": initial[person.id]},
                          environ_base={"REMOTE_ADDR": "10.1.1.1"})
        assert response.status_code == 302


def test_lock_expires_by_itself(app, client, factory):
    """Does a lock lift after its period without anyone's help?"""
    person = factory.person(factory.unit())
    for _ in range(5):
        client.post("/masuk", data={"nip": person.nip, "password": "keliru"})
    clock.freeze(clock.now_utc() + timedelta(minutes=16))
    response = client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD})
    assert response.status_code == 302


def test_first_login_forces_password_change(app, client, factory):
    """Is a person on a generated password sent to change it before anything else?"""
    person = factory.person(factory.unit(), password=None)
    with app.test_request_context():
        from netral_learn.accounts.passwords import decrypt_initial
        initial = decrypt_initial(db.session.get(Person, person.id).initial_password_enc)
    response = client.post("/masuk", data={"nip": person.nip, "password": initial})
    assert response.headers["Location"].endswith("/kata-sandi")
    assert client.get("/").headers["Location"].endswith("/kata-sandi")
    weak = client.post("/kata-sandi", data={"current": initial, "new": "12345678", "confirm": "12345678"})
    assert "terlalu umum" in weak.get_data(as_text=True)
    new = "Pohon-Mangga-Berbuah-7"
    response = client.post("/kata-sandi", data={"current": initial, "new": new, "confirm": new})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    stored = factory.get(Person, person.id)
    assert stored.initial_password_enc is None and not stored.must_change_password
    assert stored.password_hash.startswith("$argon2id$")


def test_logout_really_ends_the_session(app, client, factory):
    """Is a session cookie replayed after logout refused?"""
    person = factory.person(factory.unit())
    client.post("/masuk", data={"nip": person.nip, "password": Factory.PASSWORD})
    cookie = client.get_cookie("netral_session").value
    assert client.get("/").status_code == 200
    client.post("/keluar")
    replay = app.test_client()
    replay.set_cookie("netral_session", cookie)
    assert replay.get("/").status_code == 302
    with app.app_context():
        assert db.session.query(LoginSession).count() == 0


def test_remember_me_is_off_by_default(client):
    """Is 'remember me' unticked on the login form?"""
    page = client.get("/masuk").get_data(as_text=True)
    assert 'name="remember"' in page and "checked" not in page.split('name="remember"')[1].split(">")[0]


def test_next_parameter_cannot_redirect_off_site(client, factory):
    """Is an open redirect through ?next= refused?"""
    person = factory.person(factory.unit())
    response = client.post("/masuk?next=https://evil.example/", data={"nip": person.nip, "password": Factory.PASSWORD})
    assert response.headers["Location"] == "/"


def test_non_asn_identifier_with_dots_logs_in(client, factory):
    """Can a non-ASN person whose agency ID contains dots log in with it as imported?"""
    factory.person(factory.unit(), jenis="NON_ASN", nip="TKK.2026.001")
    response = client.post("/masuk", data={"nip": "tkk.2026.001", "password": Factory.PASSWORD})
    assert response.status_code == 302
