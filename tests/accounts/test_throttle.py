"""Login anti-automation: per-address guess limit, locks per (account, address) and per account,
one answer for unknown, wrong and locked, wrong current passwords counted."""
import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from netral_learn.accounts.models import Person
from netral_learn.accounts.throttle import address_key
from netral_learn.core import clock
from netral_learn.extensions import db

from ..factories import Factory, make_nip

ATTACKER = "10.9.9.9"
HOME = "10.1.2.3"


def attempt(app, nip, password, address):
    return app.test_client().post("/masuk", data={"nip": nip, "password": password},
                                  environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def verifications(monkeypatch):
    """How many argon2 verifications ran (each login path must run exactly one)."""
    calls = []
    real = PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(hash_)
        return real(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


def test_unknown_wrong_and_locked_get_the_same_answer_and_the_same_work(app, factory, verifications):
    """Do an unknown NIP, a wrong password and a locked account get the same status, the same page and
    exactly one argon2 verification each (so neither the text nor the timing tells them apart)?"""
    unit = factory.unit()
    known = factory.person(unit)
    locked = factory.person(unit)
    first_password = factory.person(unit, password=None)
    for _ in range(5):
        attempt(app, locked.nip, "keliru-sekali", ATTACKER)
    answers = {}
    for case, nip, password in [("unknown", make_nip(990), "keliru-sekali"), ("wrong", known.nip, "keliru-sekali"),
                                ("locked", locked.nip, Factory.PASSWORD), ("first", first_password.nip, "keliru")]:
        verifications.clear()
        response = attempt(app, nip, password, ATTACKER)
        assert len(verifications) == 1, case
        page = re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
        answers[case] = (response.status_code, page.replace(nip, "NIP"))
    assert answers["unknown"] == answers["wrong"] == answers["locked"] == answers["first"]
    assert answers["unknown"][0] == 401
    assert "kata sandi salah" in answers["unknown"][1] and "dikunci" in answers["unknown"][1]


def test_a_lock_caused_from_one_address_does_not_keep_the_owner_out_elsewhere(app, factory):
    """When someone locks an account by guessing from one address, can the owner still log in from another?"""
    person = factory.person(factory.unit())
    for _ in range(5):
        assert attempt(app, person.nip, "tebakan-salah", ATTACKER).status_code == 401
    assert attempt(app, person.nip, Factory.PASSWORD, ATTACKER).status_code == 401
    assert attempt(app, person.nip, Factory.PASSWORD, HOME).status_code == 302
    # the owner's login does not free the guesser's address
    assert attempt(app, person.nip, Factory.PASSWORD, ATTACKER).status_code == 401


def test_attempts_during_a_lock_do_not_lengthen_it(app, factory):
    """Do attempts refused by a lock leave it as it was (15 minutes), so hammering cannot extend it?"""
    person = factory.person(factory.unit())
    for _ in range(5):
        attempt(app, person.nip, "tebakan-salah", ATTACKER)
    for _ in range(10):
        assert attempt(app, person.nip, "tebakan-salah", ATTACKER).status_code == 401
    clock.freeze(clock.now_utc() + timedelta(minutes=16))
    assert attempt(app, person.nip, Factory.PASSWORD, ATTACKER).status_code == 302


def test_guesses_from_many_addresses_lock_the_account_briefly(app, factory):
    """Do failures spread over many addresses lock the account for everyone — and only for 15 minutes?"""
    person = factory.person(factory.unit())
    for n in range(20):
        attempt(app, person.nip, "tebakan-salah", f"10.7.0.{n + 1}")
    assert attempt(app, person.nip, Factory.PASSWORD, HOME).status_code == 401
    clock.freeze(clock.now_utc() + timedelta(minutes=16))
    assert attempt(app, person.nip, Factory.PASSWORD, HOME).status_code == 302


def test_an_ipv6_guesser_cannot_dodge_the_lock_inside_its_network(app, factory):
    """Are failures from addresses of one IPv6 /64 counted together?"""
    person = factory.person(factory.unit())
    for n in range(5):
        attempt(app, person.nip, "tebakan-salah", f"2001:db8:1:2::{n + 1:x}")
    assert attempt(app, person.nip, Factory.PASSWORD, "2001:db8:1:2::ff").status_code == 401
    assert attempt(app, person.nip, Factory.PASSWORD, "2001:db8:1:3::1").status_code == 302
    assert address_key("::ffff:10.1.2.3") == "10.1.2.3" and address_key(None) == "unknown"


def test_password_spraying_from_one_address_is_stopped(app, factory, monkeypatch):
    """Are failed logins from one address across many NIPs cut off at the per-address limit (429),
    while another address is unaffected?"""
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_FAILURE_LIMIT", "10/minute")
    person = factory.person(factory.unit())
    for n in range(10):
        assert attempt(app, make_nip(2000 + n), "Password123", ATTACKER).status_code == 401
    blocked = attempt(app, make_nip(2100), "Password123", ATTACKER)
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan" in blocked.get_data(as_text=True)
    assert attempt(app, person.nip, Factory.PASSWORD, HOME).status_code == 302


def test_default_limit_keeps_a_spraying_rate_far_below_fifty_a_second(app):
    """Does the default per-address limit allow at most a few guesses a second?"""
    from limits import parse_many

    limits = parse_many(app.config["LOGIN_ADDRESS_FAILURE_LIMIT"])
    per_hour = min(limit.amount * 3600 / limit.get_expiry() for limit in limits)
    assert per_hour <= 1000


def test_five_hundred_colleagues_behind_one_nat_all_log_in(app, factory):
    """Can a whole OPD of 500 log in from one NAT address, one in ten mistyping first, without meeting
    the per-address limit?"""
    unit = factory.unit("Dinas Pendidikan")
    with app.app_context():
        hashed = db.session.get(Person, factory.person(unit).id).password_hash
        people = [Person(nip=make_nip(5000 + n), name=f"Guru {n}", jenis="PNS", unit_id=unit.id,
                         password_hash=hashed, must_change_password=False) for n in range(500)]
        db.session.add_all(people)
        db.session.commit()
        nips = [p.nip for p in people]
    client = app.test_client()
    for n, nip in enumerate(nips):
        if n % 10 == 0:
            assert client.post("/masuk", data={"nip": nip, "password": "salah-ketik"},
                               environ_base={"REMOTE_ADDR": "10.5.5.5"}).status_code == 401
        response = client.post("/masuk", data={"nip": nip, "password": Factory.PASSWORD},
                               environ_base={"REMOTE_ADDR": "10.5.5.5"})
        assert response.status_code == 302, n
        client.post("/keluar")


def test_wrong_current_passwords_on_the_change_page_lock_the_account(app, client, factory, login_as):
    """Do wrong current passwords on the password-change page count towards the lock?"""
    person = factory.person(factory.unit())
    login_as(person)
    new = "Pohon-Mangga-Berbuah-7"
    for _ in range(5):
        page = client.post("/kata-sandi", data={"current": "tebakan-salah", "new": new, "confirm": new})
        assert "Kata sandi saat ini salah" in page.get_data(as_text=True)
    refused = client.post("/kata-sandi", data={"current": Factory.PASSWORD, "new": new, "confirm": new})
    assert "dikunci" in refused.get_data(as_text=True)
    assert factory.get(Person, person.id).password_changed_at is None
    assert attempt(app, person.nip, Factory.PASSWORD, "127.0.0.1").status_code == 401
    assert attempt(app, person.nip, Factory.PASSWORD, HOME).status_code == 302


def test_operator_unlock_lifts_every_lock(app, factory):
    """Does an operator's unlock free the account from every address at once?"""
    tree = factory.tree()
    person = factory.person(tree["a1"])
    operator = factory.person(tree["a"], role="operator", scope=tree["a"])
    for n in range(20):
        attempt(app, person.nip, "tebakan-salah", f"10.8.0.{n % 4 + 1}")
    assert attempt(app, person.nip, Factory.PASSWORD, "10.8.0.1").status_code == 401
    staff = app.test_client()
    staff.post("/masuk", data={"nip": operator.nip, "password": Factory.PASSWORD})
    assert staff.post(f"/admin/pegawai/{person.id}/buka-kunci").status_code == 302
    assert attempt(app, person.nip, Factory.PASSWORD, "10.8.0.1").status_code == 302


def test_operator_sees_a_lock_from_one_address(app, factory):
    """Does the operator see a person locked out from one address (status, filter, unlock button)?"""
    tree = factory.tree()
    person = factory.person(tree["a1"], name="Rina Terkunci")
    factory.person(tree["a1"], name="Budi Bebas")
    operator = factory.person(tree["a"], role="operator", scope=tree["a"])
    for _ in range(5):
        attempt(app, person.nip, "tebakan-salah", ATTACKER)
    staff = app.test_client()
    staff.post("/masuk", data={"nip": operator.nip, "password": Factory.PASSWORD})
    page = staff.get(f"/admin/pegawai/{person.id}").get_data(as_text=True)
    assert "Terkunci sampai" in page and f"/admin/pegawai/{person.id}/buka-kunci" in page
    listing = staff.get("/admin/pegawai?status=locked").get_data(as_text=True)
    assert "Rina Terkunci" in listing and "Budi Bebas" not in listing


def test_behind_a_trusted_proxy_the_client_address_is_counted(tmp_root):
    """With TRUSTED_PROXY_COUNT=1, is the address counted the client's from X-Forwarded-For, not the proxy's?"""
    from flask import request

    from ..conftest import make_app

    proxied = make_app(tmp_root, env={"TRUSTED_PROXY_COUNT": "1"})
    seen = {}

    @proxied.get("/_alamat")
    def _address():
        seen["addr"] = request.remote_addr
        return "ok"

    proxied.test_client().get("/_alamat", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                              headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.7"})
    assert seen["addr"] == "203.0.113.7"
