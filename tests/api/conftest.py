"""API fixtures: the report world (two instansi, a program, staff), tokens issued through the service,
and a GET helper that sends a bearer token."""
from __future__ import annotations

import pytest

from netral_learn.accounts.models import Person, Unit
from netral_learn.api import services
from netral_learn.core.clock import now_utc
from netral_learn.extensions import db

from ..reports.conftest import add_journey, client_for, world  # noqa: F401  (fixtures shared with reports)


@pytest.fixture
def issue_token(app, world):
    """Issue a token scoped to ``unit`` (by the instansi's admin unless ``by`` says otherwise);
    returns (client id, token)."""

    def _issue(unit: Unit, *, by: str = "admin", name: str = "SIMPEG", expires_at=None) -> tuple[int, str]:
        with app.test_request_context():
            actor = db.session.get(Person, world["staff"][by].id)
            client, token = services.create_client(actor, name, db.session.get(Unit, unit.id), expires_at, now_utc())
            db.session.commit()
            return client.id, token

    return _issue


@pytest.fixture
def api_get(client):
    """GET an API path with ``token`` as bearer (None sends no Authorization header)."""

    def _get(path: str, token: str | None, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.get(f"/api/v1{path}", headers=headers, query_string=params)

    return _get


@pytest.fixture
def journeys(app, world, factory):
    """People at every step: four in Dinas Pendidikan › Sekretariat, two in Dinas Kesehatan › Sekretariat
    (one PPPK), one in the other instansi; keyed by name."""
    from netral_learn.accounts.models import Jenis

    tree, program = world["tree"], world["program"]
    people = {name: factory.person(tree[unit], password=None, name=name, jenis=jenis, golongan=golongan)
              for name, unit, jenis, golongan in (
                  ("Ani Mulai", "a1", Jenis.PNS, "III/a"), ("Budi Kuis", "a1", Jenis.PNS, "III/b"),
                  ("Citra Pakta", "a1", Jenis.PNS, "III/a"), ("Dodi Selesai", "a1", Jenis.PNS, "IV/a"),
                  ("Eka Dicabut", "b1", Jenis.PNS, None), ("Fajar PPPK", "b1", Jenis.PPPK, "IX"),
                  ("Gita Kota", "other_opd", Jenis.PNS, "II/c"))}
    with app.test_request_context():
        add_journey(people["Ani Mulai"].id, program, modules=1, pretest=40)
        add_journey(people["Budi Kuis"].id, program, modules=3, score=55, pretest=30)
        add_journey(people["Citra Pakta"].id, program, modules=3, quiz=True, pact=True, score=85)
        add_journey(people["Dodi Selesai"].id, program, modules=3, quiz=True, pact=True, certificate="valid",
                    score=95, pretest=60)
        add_journey(people["Eka Dicabut"].id, program, modules=3, quiz=True, pact=True, certificate="revoked",
                    score=75)
        add_journey(people["Gita Kota"].id, world["other_program"], modules=1, quiz=True, score=100)
        db.session.commit()
    return people
