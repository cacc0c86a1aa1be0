"""Tindak lanjut: who has not completed and where they stopped; filters, pages, exports, reminders."""
from __future__ import annotations

import csv
import io
import smtplib

import pytest
from openpyxl import load_workbook

from netral_learn.accounts.models import Jenis, Unit
from netral_learn.core.audit import AuditEvent
from netral_learn.courses.models import Program
from netral_learn.extensions import db
from netral_learn.reports import followup

from .conftest import add_journey


@pytest.fixture
def stages(app, world, factory):
    """One person at every stage in Dinas Pendidikan › Sekretariat, one finished, a PPPK in Dinas Kesehatan."""
    tree, program = world["tree"], world["program"]
    pact_version = factory.pact_template()
    people = {name: factory.person(tree["a1"], password=None, name=name, email=f"{name.split()[0].lower()}@contoh.go.id")
              for name in ("Ani Belum", "Budi Modul", "Citra Kuis", "Dodi Pakta", "Eka Saksi", "Fajar Tunggu",
                           "Gita Dicabut", "Hadi Selesai")}
    people["Joko Tanpa Email"] = factory.person(tree["a1"], password=None, name="Joko Tanpa Email")
    people["Lina PPPK"] = factory.person(tree["b1"], password=None, name="Lina PPPK", jenis=Jenis.PPPK,
                                         email="lina@contoh.go.id")
    with app.test_request_context():
        add_journey(people["Budi Modul"].id, program, modules=2)
        add_journey(people["Joko Tanpa Email"].id, program, modules=1)
        add_journey(people["Citra Kuis"].id, program, modules=3, score=40)
        add_journey(people["Dodi Pakta"].id, program, modules=3, quiz=True, score=80)
        add_journey(people["Eka Saksi"].id, program, modules=3, quiz=True, awaiting_witness=True,
                    pact_version_id=pact_version)
        add_journey(people["Fajar Tunggu"].id, program, modules=3, quiz=True, pact=True)
        add_journey(people["Gita Dicabut"].id, program, modules=3, quiz=True, pact=True, certificate="revoked")
        add_journey(people["Hadi Selesai"].id, program, modules=3, quiz=True, pact=True, certificate="valid")
        db.session.commit()
    return people


def _rows(app, world, unit_key="a1", **filters):
    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        unit = db.session.get(Unit, world["tree"][unit_key].id)
        modules = followup.module_count(program)
        return {row.name: followup.where_stopped(row, modules)
                for row in followup.iter_rows(followup.followup_query(program, unit, **filters))}


def test_each_person_is_listed_where_they_stopped(app, world, stages):
    """Does the list name the step of each unfinished person, and leave out the one who finished?"""
    rows = _rows(app, world)
    assert rows == {
        "Ani Belum": "Belum mulai", "Budi Modul": "Modul 2 dari 3", "Citra Kuis": "Kuis", "Dodi Pakta": "Pakta",
        "Eka Saksi": "Menunggu saksi", "Fajar Tunggu": "Menunggu sertifikat", "Gita Dicabut": "Sertifikat dicabut",
        "Joko Tanpa Email": "Modul 1 dari 3", "Peserta Biasa": "Belum mulai",
    }


def test_filters_by_stage_jenis_and_unit(app, world, stages):
    """Do the stage, jenis and unit filters narrow the list, in SQL?"""
    assert set(_rows(app, world, stage=followup.Stage.MODULES)) == {"Budi Modul", "Joko Tanpa Email"}
    assert set(_rows(app, world, unit_key="root", jenis=Jenis.PPPK)) == {"Lina PPPK"}
    assert "Lina PPPK" not in _rows(app, world, unit_key="a")
    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        counts = followup.stage_counts(program, db.session.get(Unit, world["tree"]["a1"].id))
    assert counts[followup.Stage.NOT_STARTED] == 2 and counts[followup.Stage.WITNESS] == 1
    assert sum(counts.values()) == 9


def test_page_lists_filters_and_pages(app, world, stages, client_for, monkeypatch):
    """Does the page show the stopping step, keep filters across pages, and split long lists?"""
    monkeypatch.setitem(app.config, "PER_PAGE", 4)
    client = client_for(world["staff"]["operator_a"])
    url = f"/laporan/tindak-lanjut?program={world['program']}&unit={world['tree']['a1'].id}"
    first = client.get(url).get_data(as_text=True)
    assert "Ani Belum" in first and "Belum mulai" in first and "Halaman 1 dari 3" in first
    assert "Hadi Selesai" not in first
    assert f'href="/laporan/tindak-lanjut?program={world["program"]}&amp;unit={world["tree"]["a1"].id}&amp;page=2"' in first
    third = client.get(url + "&page=3").get_data(as_text=True)
    assert "Peserta Biasa" in third and "Ani Belum" not in third
    only_witness = client.get(url + "&step=saksi").get_data(as_text=True)
    assert "Eka Saksi" in only_witness and "Budi Modul" not in only_witness
    assert "Dinas Kesehatan" not in client.get(f"/laporan/tindak-lanjut?program={world['program']}").get_data(as_text=True)


def test_followup_exports_read_back(app, world, stages, client_for):
    """Do the CSV (with BOM) and XLSX exports carry the filtered people and where they stopped?"""
    client = client_for(world["staff"]["admin"])
    base = f"program={world['program']}&unit={world['tree']['a1'].id}&step=modul"
    response = client.get(f"/laporan/tindak-lanjut.csv?{base}")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Nama" and rows[0][6] == "Berhenti di"
    assert [(r[0], r[6]) for r in rows[1:]] == [("Budi Modul", "Modul 2 dari 3"), ("Joko Tanpa Email", "Modul 1 dari 3")]
    book = load_workbook(io.BytesIO(client.get(f"/laporan/tindak-lanjut.xlsx?{base}").data))
    sheet = book["Tindak Lanjut"]
    assert sheet["A1"].font.bold and [c.value for c in sheet["A"]][1:] == ["Budi Modul", "Joko Tanpa Email"]


def test_reminder_dry_run_shows_who_gets_what_and_sends_nothing(app, world, stages, client_for, monkeypatch):
    """Does the preview list every recipient with their message, flag missing addresses, and send nothing?"""
    sent = []
    monkeypatch.setattr(smtplib, "SMTP", lambda *a, **k: sent.append(a))
    client = client_for(world["staff"]["operator_a"])
    page = client.get(f"/laporan/tindak-lanjut/pengingat?program={world['program']}&unit={world['tree']['a1'].id}"
                      "&step=modul").get_data(as_text=True)
    assert "budi@contoh.go.id" in page and "Posisi Anda saat ini: Modul 2 dari 3" in page
    assert "Joko Tanpa Email" in page and "tanpa email" in page
    assert "Pengiriman email belum diatur" in page
    assert sent == []


KEY = "k" * 24


class FakeSMTP:
    """Stands in for smtplib.SMTP: records the conversation and refuses one address."""

    instances: list = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port, self.calls, self.messages = host, port, [], []
        FakeSMTP.instances.append(self)

    def starttls(self, context=None):
        self.calls.append("starttls")

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message):
        if message["To"].endswith("<dodi@contoh.go.id>"):
            raise smtplib.SMTPRecipientsRefused({"dodi@contoh.go.id": (550, b"no such user")})
        self.messages.append(message)

    def quit(self):
        self.calls.append("quit")


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.instances = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": 2525, "SMTP_USER": "bkpsdm", "SMTP_PASSWORD": "rahasia",
                       "SMTP_FROM": "BKPSDM <noreply@contoh.go.id>", "SMTP_TLS": "starttls"}.items():
        monkeypatch.setitem(app.config, key, value)
    return FakeSMTP


def test_sending_reminders_uses_smtp_settings_and_is_audited(app, world, stages, client_for, smtp):
    """Are reminders sent over one STARTTLS connection with login, in Indonesian, and the batch audit-logged?"""
    client = client_for(world["staff"]["admin"])
    filters = f"program={world['program']}&unit={world['tree']['a1'].id}"
    response = client.post(f"/laporan/tindak-lanjut/pengingat?{filters}", data={"key": KEY})
    assert response.status_code == 302 and "/laporan/tindak-lanjut?" in response.headers["Location"]
    [connection] = smtp.instances
    assert (connection.host, connection.port) == ("127.0.0.1", 2525)
    assert connection.calls == ["starttls", ("login", "bkpsdm", "rahasia"), "quit"]
    recipients = sorted(m["To"] for m in connection.messages)
    assert len(recipients) == 6  # seven of the nine unfinished have an address; Dodi's is refused
    assert "Ani Belum <ani@contoh.go.id>" in recipients
    budi = next(m for m in connection.messages if "budi@" in m["To"])
    assert budi["Subject"] == "Pengingat: selesaikan Sosialisasi Netralitas Pilkada"
    assert "Modul 2 dari 3" in budi.get_content() and budi["From"] == "BKPSDM <noreply@contoh.go.id>"
    assert "6 email pengingat terkirim; 1 alamat ditolak" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="report.reminders").one()
        assert '"sent":6' in event.details and '"refused":1' in event.details


def test_a_broken_smtp_server_is_reported_not_crashed(app, world, stages, client_for, smtp, monkeypatch):
    """Does a refused connection end with a clear message and an audit entry, not a server error?"""
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(smtplib, "SMTP", refuse)
    client = client_for(world["staff"]["admin"])
    response = client.post(f"/laporan/tindak-lanjut/pengingat?program={world['program']}", data={"key": KEY},
                           follow_redirects=True)
    assert response.status_code == 200 and "Pengiriman terhenti setelah 0 email" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="report.reminders").count() == 1


@pytest.mark.parametrize("value, expected", [(None, "starttls"), ("true", "starttls"), ("ssl", "ssl"), ("none", "none")])
def test_smtp_tls_setting(tmp_path, value, expected):
    """Is SMTP_TLS read as starttls (default), ssl or none, and a typo refused at start-up?"""
    from netral_learn.config import ConfigError, load_settings

    env = {"APP_ENV": "testing", "SECRET_KEY": "x" * 40, "SMTP_HOST": "mail.contoh.go.id"}
    if value is not None:
        env["SMTP_TLS"] = value
    assert load_settings(tmp_path, env=env)["SMTP_TLS"] == expected
    with pytest.raises(ConfigError, match="SMTP_TLS"):
        load_settings(tmp_path, env={**env, "SMTP_TLS": "startls"})
