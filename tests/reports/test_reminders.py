"""Reminders that reach people: phone and WhatsApp link in the follow-up list, recorded once per click,
'terakhir diingatkan', the printable call list, and e-mail batches that a double click sends once."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import re

import pytest

from netral_learn.core.phone import whatsapp_link, whatsapp_number
from netral_learn.extensions import db
from netral_learn.reports.models import ReminderChannel, SentReminder

from ..conftest import make_app
from ..factories import Factory
from .conftest import add_journey
from .test_followup import KEY, smtp  # noqa: F401 - the fixture


@pytest.mark.parametrize("typed, expected", [
    ("0812-3456-7890", "6281234567890"), ("+62 812 3456 7890", "6281234567890"), ("6281234567890", "6281234567890"),
    ("(0812) 5500 1234", "6281255001234"), ("812 3456 7890", "6281234567890"),
    ("0541-123456", None), ("08123", None), ("bukan nomor", None), ("", None), (None, None)])
def test_indonesian_numbers_become_wa_me_numbers(typed, expected):
    """Are Indonesian mobile numbers typed every usual way turned into 628…, and landlines or typos refused?"""
    assert whatsapp_number(typed) == expected


def test_wa_me_link_carries_the_message():
    """Does the click-to-chat link carry the whole message, encoded?"""
    link = whatsapp_link("0812-3456-7890", "Yth. Ani,\nmasuk ke https://netral.example/ & selesaikan")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281234567890")
    assert parse_qs(parts.query)["text"] == ["Yth. Ani,\nmasuk ke https://netral.example/ & selesaikan"]


@pytest.fixture
def reachable(app, world, factory):
    """Two unfinished people of Dinas Pendidikan › Sekretariat: one with a mobile number, one with a landline."""
    tree, program = world["tree"], world["program"]
    ani = factory.person(tree["a1"], name="Ani Ponsel", phone="0812-3456-7890", email="ani@contoh.go.id")
    budi = factory.person(tree["a1"], name="Budi Kantor", phone="0541-21234")
    with app.test_request_context():
        add_journey(ani.id, program, modules=1)
        db.session.commit()
    return {"ani": ani, "budi": budi}


def test_whatsapp_reminder_is_recorded_once_and_opens_the_chat(app, world, reachable, client_for):
    """Does the WhatsApp button record who reminded whom and open wa.me with the message (site address, what is
    left), count a double click once, and show 'terakhir diingatkan' in the list?"""
    operator = world["staff"]["operator_a"]
    client = client_for(operator)
    program, ani = world["program"], reachable["ani"]
    page = client.get(f"/laporan/tindak-lanjut?program={program}").get_data(as_text=True)
    assert "0812-3456-7890" in page and "Terakhir diingatkan" in page and "belum pernah" in page
    url = f"/laporan/tindak-lanjut/{program}/pegawai/{ani.id}/whatsapp"
    assert url in page
    assert f"/laporan/tindak-lanjut/{program}/pegawai/{reachable['budi'].id}/whatsapp" not in page  # a landline
    for _click in range(2):
        response = client.post(url, data={"key": KEY})
        assert response.status_code == 303
        target = urlsplit(response.headers["Location"])
        assert (target.netloc, target.path) == ("wa.me", "/6281234567890")
        text = parse_qs(target.query)["text"][0]
        assert "http://127.0.0.1:5000" in text and "Modul 1 dari 3" in text and "Ani Ponsel" in text
    with app.app_context():
        [sent] = db.session.query(SentReminder).all()
        assert (sent.person_id, sent.sent_by_id, sent.channel) == (ani.id, operator.id, ReminderChannel.WHATSAPP)
    client.post(url, data={"key": "another-page-key-1234"})  # a reload within two minutes: still one
    with app.app_context():
        assert db.session.query(SentReminder).count() == 1
    page = client.get(f"/laporan/tindak-lanjut?program={program}").get_data(as_text=True)
    assert "WhatsApp</td>" in page.replace(" · WhatsApp</td>", "WhatsApp</td>")


def test_whatsapp_button_is_csrf_protected_and_scoped(tmp_root, app, world, reachable, client_for):
    """Is the WhatsApp POST refused without a CSRF token (nothing recorded, no redirect to wa.me), and 404 for
    someone outside the operator's OPD?"""
    csrf_app = make_app(tmp_root, WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    login_page = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/masuk", data={"nip": world["staff"]["operator_a"].nip, "password": Factory.PASSWORD,
                                "csrf_token": token})
    url = f"/laporan/tindak-lanjut/{world['program']}/pegawai/{reachable['ani'].id}/whatsapp"
    response = client.post(url, data={"key": KEY})
    assert response.status_code == 400 and "wa.me" not in response.headers.get("Location", "")
    page = client.get(f"/laporan/tindak-lanjut?program={world['program']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert "wa.me" in client.post(url, data={"key": KEY, "csrf_token": token}).headers["Location"]
    with app.app_context():
        db.session.query(SentReminder).delete()
        db.session.commit()
    other = client_for(world["staff"]["operator_b"])
    assert other.post(f"/laporan/tindak-lanjut/{world['program']}/pegawai/{reachable['ani'].id}/whatsapp",
                      data={"key": KEY}).status_code == 404
    with app.app_context():
        assert db.session.query(SentReminder).count() == 0


def test_call_list_prints_phones_filters_and_date(app, world, reachable, client_for):
    """Does the printable call list name the program, unit, filters and 'data per' in local time, with phones?"""
    client = client_for(world["staff"]["operator_a"])
    page = client.get(f"/laporan/tindak-lanjut/daftar-telepon?program={world['program']}&step=modul")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Daftar Telepon Tindak Lanjut" in text and "Sosialisasi Netralitas Pilkada" in text
    assert "Ani Ponsel" in text and "0812-3456-7890" in text and "Budi Kantor" not in text  # filtered: modules
    assert "Membaca modul" in text and "WITA" in text and "Catatan" in text


def test_email_batch_sent_twice_sends_once(app, world, reachable, client_for, smtp):  # noqa: F811
    """Does a second click on 'Kirim' with the same page key send nothing more, and record each e-mail sent?"""
    client = client_for(world["staff"]["admin"])
    filters = f"program={world['program']}&unit={world['tree']['a1'].id}"
    client.post(f"/laporan/tindak-lanjut/pengingat?{filters}", data={"key": KEY})
    first = sum(len(c.messages) for c in smtp.instances)
    again = client.post(f"/laporan/tindak-lanjut/pengingat?{filters}", data={"key": KEY}, follow_redirects=True)
    assert sum(len(c.messages) for c in smtp.instances) == first >= 1
    assert "dilewati karena baru saja diingatkan" in again.get_data(as_text=True)
    with app.app_context():
        rows = db.session.query(SentReminder).filter_by(channel=ReminderChannel.EMAIL).all()
        assert len(rows) == first and {r.idempotency_key for r in rows} == {KEY}


@pytest.fixture
def mail_server(app, monkeypatch):
    """A real SMTP server (aiosmtpd) on a free local port, collecting what it receives."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_USER": "", "SMTP_PASSWORD": "",
                       "SMTP_FROM": "BKPSDM <noreply@contoh.go.id>", "SMTP_TLS": "none"}.items():
        monkeypatch.setitem(app.config, key, value)
    try:
        yield received
    finally:
        controller.stop()


def test_email_reminders_reach_a_real_smtp_server_once(app, world, reachable, client_for, mail_server):
    """Through a real SMTP server: is each reminder delivered once per page key, recorded as e-mail, and shown as
    'terakhir diingatkan'?"""
    client = client_for(world["staff"]["operator_a"])
    filters = f"program={world['program']}&unit={world['tree']['a1'].id}&step=modul"
    page = client.get(f"/laporan/tindak-lanjut/pengingat?{filters}").get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    client.post(f"/laporan/tindak-lanjut/pengingat?{filters}", data={"key": key})
    client.post(f"/laporan/tindak-lanjut/pengingat?{filters}", data={"key": key})
    assert [m["To"] for m in mail_server] == ["Ani Ponsel <ani@contoh.go.id>"]
    assert "Modul 1 dari 3" in mail_server[0].get_payload(decode=True).decode("utf-8")
    listing = client.get(f"/laporan/tindak-lanjut?{filters}").get_data(as_text=True)
    assert "belum pernah" not in listing.split("Ani Ponsel")[1].split("</tr>")[0]
    with app.app_context():
        [sent] = db.session.query(SentReminder).all()
        assert sent.channel == ReminderChannel.EMAIL and sent.sent_by_id == world["staff"]["operator_a"].id


@pytest.mark.parametrize("role, expected", [("participant", 403), ("operator_a", 200), ("admin", 200),
                                            ("superadmin", 200), ("admin_other", 404)])
def test_call_list_answers_by_role(app, world, client_for, role, expected):
    """Is the call list for staff only, and 'not found' for an admin of another instansi?"""
    client = client_for(world["staff"][role])
    assert client.get(f"/laporan/tindak-lanjut/daftar-telepon?program={world['program']}").status_code == expected
    assert app.test_client().get("/laporan/tindak-lanjut/daftar-telepon").status_code == 302
