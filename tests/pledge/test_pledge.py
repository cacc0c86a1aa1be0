"""Ikrar serentak: admins open an event; the public screen shows signed / targeted per OPD, cached."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from netral_learn.accounts.models import Role
from netral_learn.core import clock
from netral_learn.extensions import db
from netral_learn.pledge import services
from netral_learn.pledge.models import PledgeEvent

from ..certificates.test_certificates import sign
from ..pact.test_signing import world  # noqa: F401 - fixture


def open_event(app, client, factory, world):
    admin = factory.person(world["tree"]["root"], role=Role.ADMIN, scope=world["tree"]["root"])
    client.post("/masuk", data={"nip": admin.nip, "password": "Kuat#Sandi-2026"})
    now = clock.now_utc().astimezone(ZoneInfo("Asia/Makassar"))
    start = (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    end = (now + timedelta(minutes=55)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/admin/ikrar", data={"program": world["program"], "title": "Ikrar Netralitas ASN",
                                                 "starts_at": start, "ends_at": end})
    assert response.status_code == 302
    with app.app_context():
        return db.session.query(PledgeEvent).one().code


def test_big_screen_shows_signed_out_of_targeted_per_opd(app, client, factory, world):
    """Does the public screen show per OPD how many signed out of how many, refreshing by itself?"""
    for index in range(2):
        factory.person(world["tree"]["b1"], name=f"Perawat {index}")
    with app.test_request_context():
        sign(world["learner"].id, world["program"])
    code = open_event(app, client, factory, world)
    screen = app.test_client().get(f"/ikrar/{code}")
    page = screen.get_data(as_text=True)
    assert screen.status_code == 200 and 'http-equiv="refresh"' in page
    assert "Sedang berlangsung" in page and "Dinas Pendidikan" in page and "Dinas Kesehatan" in page
    assert "public" in screen.headers["Cache-Control"] and "Set-Cookie" not in screen.headers
    row = page.split("Dinas Pendidikan")[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row
    assert app.test_client().get("/ikrar/tidak-ada").status_code == 404


def test_tally_is_cached_between_refreshes(app, client, factory, world):
    """Do hundreds of screens cost one computation per refresh period?"""
    code = open_event(app, client, factory, world)
    calls = []
    with app.test_request_context():
        event = services.find_event(code)
        import netral_learn.pledge.services as module
        original = module.child_rows
        module.child_rows = lambda *a: calls.append(1) or original(*a)
        try:
            for _ in range(50):
                services.tally(event)
        finally:
            module.child_rows = original
    assert len(calls) <= 1


def test_only_admins_open_events_and_times_are_checked(app, client, factory, world):
    """Is opening an event admin-only, and an end before the start refused?"""
    operator = factory.person(world["tree"]["a"], role=Role.OPERATOR, scope=world["tree"]["a"])
    client.post("/masuk", data={"nip": operator.nip, "password": "Kuat#Sandi-2026"})
    assert client.get("/admin/ikrar").status_code == 403
    admin_client = app.test_client()
    admin = factory.person(world["tree"]["root"], role=Role.ADMIN, scope=world["tree"]["root"])
    admin_client.post("/masuk", data={"nip": admin.nip, "password": "Kuat#Sandi-2026"})
    response = admin_client.post("/admin/ikrar", data={"program": world["program"], "title": "Ikrar",
                                                       "starts_at": "2026-12-01T09:00", "ends_at": "2026-12-01T08:00"})
    assert "setelah waktu mulai" in response.get_data(as_text=True)
