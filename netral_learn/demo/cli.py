"""``flask demo seed``: a ready-to-explore regency, with its logins printed."""
from __future__ import annotations

import random
from datetime import date, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..accounts import passwords
from ..accounts.models import Jenis, Person, Role, Unit
from ..accounts.units import create_unit
from ..extensions import db
from . import data

demo_cli = AppGroup("demo", help="Data contoh.")

DEMO_LOGINS = {
    "admin": "Admin#Netral2026",
    "operator": "Operator#Netral2026",
    "peserta": "Peserta#Netral2026",
}


def _nip(rng: random.Random, jenis: str, seq: int) -> str:
    born = date(rng.randint(1968, 2000), rng.randint(1, 12), rng.randint(1, 28))
    gender = rng.choice("12")
    if jenis == "PNS":
        year = rng.randint(born.year + 20, min(born.year + 35, 2024))
        return f"{born:%Y%m%d}{year}{rng.randint(1, 12):02d}{gender}{seq % 999 + 1:03d}"
    year = rng.randint(max(born.year + 20, 2019), 2025)
    return f"{born:%Y%m%d}{year}21{gender}{seq % 999 + 1:03d}"


def _add_units(actor, parent: Unit, tree: dict, into: list[Unit]) -> None:
    for name, children in tree.items():
        unit = create_unit(actor, parent, name)
        into.append(unit)
        _add_units(actor, unit, children, into)


def seed_demo(people: int = 300, seed: int = 2026) -> dict:
    """Create the demo regency if it does not exist; returns the demo logins."""
    existing = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None), Unit.name == data.INSTANSI))
    if existing is not None:
        return _logins()
    rng = random.Random(seed)
    root = create_unit(None, None, data.INSTANSI, timezone=data.TIMEZONE)
    units: list[Unit] = []
    _add_units(None, root, data.UNITS, units)
    by_name = {u.name: u for u in units}
    bkpsdm = by_name["Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"]
    dinas_pendidikan = by_name["Dinas Pendidikan"]

    def person(name, jenis, unit, nip, role=Role.PARTICIPANT, scope=None, password=None):
        p = Person(nip=nip, name=name, jenis=jenis, unit_id=unit.id, role=role,
                   scope_unit_id=scope.id if scope else None,
                   golongan=rng.choice(data.PNS_GOLONGAN) if jenis == Jenis.PNS else
                   (rng.choice(data.PPPK_GOLONGAN) if jenis == Jenis.PPPK else None),
                   jabatan=rng.choice(data.JABATAN[jenis.value]))
        if password:
            p.password_hash = passwords.hash_password(password)
            p.must_change_password = False
        else:
            p.initial_password_enc = passwords.encrypt_initial(passwords.generate_initial_password())
        db.session.add(p)
        return p

    person("Hj. Rahmawati Syamsuddin, S.Sos., M.Si.", Jenis.PNS, bkpsdm, "197805122003122002",
           Role.ADMIN, root, DEMO_LOGINS["admin"])
    person("Andi Baharuddin, S.Kom.", Jenis.PNS, dinas_pendidikan, "198903152014031001",
           Role.OPERATOR, dinas_pendidikan, DEMO_LOGINS["operator"])
    person("Dewi Lestari, S.Pd.", Jenis.PNS, by_name["SD Negeri 001 Tanah Grogot"], "199204102019032011",
           password=DEMO_LOGINS["peserta"])
    seen = {"197805122003122002", "198903152014031001", "199204102019032011"}
    for index in range(people - 3):
        jenis = rng.choices([Jenis.PNS, Jenis.PPPK, Jenis.NON_ASN], weights=[60, 25, 15])[0]
        female = rng.random() < 0.5
        first = rng.choice(data.FIRST_NAMES_F if female else data.FIRST_NAMES_M)
        title = rng.choice(data.TITLES)
        name = f"{first} {rng.choice(data.LAST_NAMES)}" + (f", {title}" if title else "")
        if jenis == Jenis.NON_ASN:
            nip = f"TKK-PSR-{index + 1:04d}"
        else:
            nip = _nip(rng, jenis.value, index)
            while nip in seen:
                nip = _nip(rng, jenis.value, index + 7)
        seen.add(nip)
        person(name, jenis, rng.choice(units), nip)
    db.session.flush()
    _demo_program(root)
    return _logins()


def _ensure_signing_key() -> None:
    """Demo documents are signed with a local development CA (created once in instance/keys)."""
    from pathlib import Path

    from ..pact import keys

    folder = Path(current_app.instance_path) / "keys"
    if not current_app.config.get("SIGNING_PKCS12_PATH") and not (folder / "signing.p12").exists():
        keys.create_local_ca(folder, data.INSTANSI, "BKPSDM Kabupaten Paser")


def _demo_program(root: Unit) -> None:
    """Install the bundled course and open a program for the whole regency."""
    _ensure_signing_key()
    from ..core.i18n import local_today
    from ..courses import content
    from ..courses.programs import create_program

    results, _ = content.load_bundled()
    if not results:
        return
    from ..certificates.models import CertificateSettings

    db.session.add(CertificateSettings(
        instansi_id=root.id, number_pattern="800/{nomor:04d}/NETRAL/BKPSDM/{tahun}", place="Tanah Grogot",
        agency_name="Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", signer_title="Kepala BKPSDM",
        signer_name="Drs. H. Contoh Pimpinan, M.Si.", signer_nip="197001011995031001",
        signer_rank="Pembina Utama Muda (IV/c)", jp=2))
    today = local_today()
    create_program(
        None, root, title=data.PROGRAM_TITLE, description=data.PROGRAM_DESCRIPTION,
        version=results[0].version, starts_on=today - timedelta(days=7), ends_on=today + timedelta(days=60),
        targets=[root], jenis=set(Jenis), published=True,
    )


def _logins() -> dict:
    return {
        "admin": ("197805122003122002", DEMO_LOGINS["admin"]),
        "operator": ("198903152014031001", DEMO_LOGINS["operator"]),
        "peserta": ("199204102019032011", DEMO_LOGINS["peserta"]),
    }


@demo_cli.command("seed")
@click.option("--people", default=300, show_default=True, help="Jumlah pegawai contoh.")
def seed_command(people: int):
    """Buat instansi contoh dengan OPD, ~300 pegawai, admin dan operator."""
    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException("Data contoh tidak boleh dibuat di mode production.")
    logins = seed_demo(people)
    db.session.commit()
    site = current_app.config["SITE_URL"]
    click.echo(f"\nData contoh siap di {site}")
    click.echo(f"  Admin BKPSDM : NIP {logins['admin'][0]}  kata sandi {logins['admin'][1]}")
    click.echo(f"  Operator OPD : NIP {logins['operator'][0]}  kata sandi {logins['operator'][1]}")
    click.echo(f"  Peserta      : NIP {logins['peserta'][0]}  kata sandi {logins['peserta'][1]}\n")


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
