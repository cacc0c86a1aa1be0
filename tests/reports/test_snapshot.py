"""Report figures come from per-unit snapshots: never more than a minute old, recounted off the
learner's path and off the report page (a GET writes nothing), and the same as counting the people
themselves."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from netral_learn.core import clock
from netral_learn.core.clock import now_utc
from netral_learn.courses.models import Program
from netral_learn.extensions import db
from netral_learn.reports import snapshot
from netral_learn.reports.models import FunnelCell, FunnelSnapshot

from ..quiz.test_races import run_concurrently
from .conftest import add_journey


@pytest.fixture
def frozen():
    """A clock the test moves by hand."""
    moments = {"now": now_utc()}
    clock.freeze(moments["now"])

    def advance(seconds: float):
        moments["now"] += timedelta(seconds=seconds)
        clock.freeze(moments["now"])

    yield advance
    clock.freeze(None)


def _certificates(app, world, unit_key="a1") -> int:
    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        return snapshot.current_report(program, world["tree"][unit_key]).total.certificate


def _complete_one(app, world, factory, name: str) -> None:
    with app.test_request_context():
        person = factory.person(world["tree"]["a1"], password=None, name=name)
        add_journey(person.id, world["program"], modules=3, quiz=True, pact=True, certificate="valid", score=80)
        db.session.commit()


def _refresh(app, world) -> None:
    """The worker's recount (or the recount button)."""
    with app.test_request_context():
        snapshot.refresh(db.session.get(Program, world["program"]))


def test_figures_are_reused_then_queued_then_counted_live_after_a_minute(app, world, factory, frozen, monkeypatch):
    """Within 30 s the same figures are shown; past 30 s too, with a recount queued for the worker;
    past 60 s without a recount the view counts the people itself, and writes nothing."""
    queued = []
    monkeypatch.setattr(snapshot, "_queue_refresh", queued.append)
    _complete_one(app, world, factory, "Pertama")
    _refresh(app, world)
    assert _certificates(app, world) == 1
    _complete_one(app, world, factory, "Kedua")
    frozen(29)
    assert _certificates(app, world) == 1 and queued == []  # counted 29 s ago: still shown as is
    frozen(2)
    assert _certificates(app, world) == 1 and queued == [world["program"]]  # 31 s: as is, recount queued
    _refresh(app, world)  # the worker runs it
    assert _certificates(app, world) == 2
    _complete_one(app, world, factory, "Ketiga")
    frozen(61)
    with app.app_context():
        counted_at = db.session.get(FunnelSnapshot, world["program"]).counted_at
    assert _certificates(app, world) == 3  # nobody recounted for a minute: counted live for this view
    with app.app_context():
        assert db.session.get(FunnelSnapshot, world["program"]).counted_at == counted_at


def test_a_report_page_writes_nothing(app, world, factory, client_for, redis_cache):
    """Does opening the report (never counted, then stale) send no INSERT, UPDATE or DELETE, and
    queue the recount for the worker instead?"""
    from ..conftest import statements

    _complete_one(app, world, factory, "Dilihat")
    client = client_for(world["staff"]["admin"])
    with statements(app) as seen:
        page = client.get(f"/laporan?program={world['program']}")
    assert page.status_code == 200
    assert not [sql for sql in seen if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(redis_cache.lrange("rq:queue:" + _queue_name(), 0, -1)) == 1
    with app.app_context():
        assert db.session.get(FunnelSnapshot, world["program"]) is None


def _queue_name() -> str:
    from netral_learn.core.jobs import QUEUE_NAME

    return QUEUE_NAME


def test_report_says_when_it_was_counted(app, world, frozen, client_for):
    """Does the dashboard show the time of the count, not the time of the page?"""
    client = client_for(world["staff"]["admin"])
    _refresh(app, world)
    client.get(f"/laporan?program={world['program']}")
    with app.app_context():
        counted_at = db.session.get(FunnelSnapshot, world["program"]).counted_at
    frozen(20)
    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        assert snapshot.current_report(program, world["tree"]["root"]).as_of == counted_at


def test_recount_button_counts_now(app, world, factory, frozen, client_for):
    """Does 'Hitung ulang sekarang' show a completion at once, and refuse a GET?"""
    client = client_for(world["staff"]["operator_a"])
    url = f"/laporan?program={world['program']}&unit={world['tree']['a1'].id}"
    client.get(url)
    _complete_one(app, world, factory, "Baru Selesai")
    frozen(6)
    response = client.post(f"/laporan/hitung-ulang?program={world['program']}&unit={world['tree']['a1'].id}",
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Angka laporan sudah dihitung ulang." in page
    assert _certificates(app, world) == 1


def test_completions_never_write_report_rows(app, world, factory):
    """Does finishing the journey leave the snapshot tables alone (no row every completion waits on)?"""
    _refresh(app, world)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(FunnelCell))
        counted_at = db.session.get(FunnelSnapshot, world["program"]).counted_at
    _complete_one(app, world, factory, "Tidak Menyentuh")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FunnelCell)) == before
        assert db.session.get(FunnelSnapshot, world["program"]).counted_at == counted_at


def test_history_is_recounted_when_due_and_the_line_ends_at_the_fresh_total(app, world, factory, frozen):
    """Is the day-by-day history kept between recounts, and the line's last point the current total?"""
    _complete_one(app, world, factory, "Sejarah")
    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        first = snapshot.refresh(program)
        history_at = first.history_at
        _complete_one(app, world, factory, "Hari Ini")
        frozen(120)
        second = snapshot.refresh(program)
        assert second.history_at == history_at  # not due yet
        report = snapshot.current_report(program, world["tree"]["root"])
        assert report.cumulative["certificate"][-1] == report.total.certificate == 2
        frozen(app.config.get("REPORT_HISTORY_MAX_AGE", 600))
        assert snapshot.refresh(program).history_at > history_at


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
def test_concurrent_recounts_do_not_collide(app, world, factory):
    """Do eight recounts of one program at the same instant all succeed, leaving one set of cells?"""
    _complete_one(app, world, factory, "Serentak")

    def work(_index):
        program = db.session.get(Program, world["program"])
        return snapshot.refresh(program).counted_at

    results, errors = run_concurrently(app, work)
    assert not errors
    assert _certificates(app, world) == 1
    with app.app_context():
        cells = db.session.scalars(select(FunnelCell).where(FunnelCell.program_id == world["program"])).all()
        keys = [(c.unit_id, c.jenis, c.golongan) for c in cells]
        assert len(keys) == len(set(keys)) and sum(c.certificate for c in cells) == 1


def test_a_viewer_past_the_history_age_gets_fresh_figures_and_queues_the_recount(app, world, factory, frozen,
                                                                                monkeypatch):
    """After a long quiet spell the figures are counted for the page, and the recount (with the
    day-by-day history, seconds at a million people) is left to the queue."""
    queued = []
    monkeypatch.setattr(snapshot, "_queue_refresh", queued.append)
    _complete_one(app, world, factory, "Sebelum")
    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        history_at = snapshot.refresh(program).history_at
    _complete_one(app, world, factory, "Sesudah")
    frozen(app.config["REPORT_HISTORY_MAX_AGE"] + 1)
    assert _certificates(app, world) == 2
    with app.app_context():
        assert db.session.get(FunnelSnapshot, world["program"]).history_at == history_at
    assert queued == [world["program"]]


def test_cells_keep_every_golongan_and_subtract_revoked_certificates_in_their_own_cell(app, world, factory):
    """Do the written cells carry a golongan with COPY's special characters unchanged, and count a
    revoked certificate nowhere (subtracted in its own cell only, never in a neighbour's)?"""
    odd = "II\\c\tb"
    with app.test_request_context():
        for index, (golongan, certificate) in enumerate([(odd, "valid"), (odd, "revoked"), ("III/a", "valid"),
                                                         (None, "revoked"), (None, None)]):
            person = factory.person(world["tree"]["a1"], password=None, name=f"Sel {index}", golongan=golongan)
            add_journey(person.id, world["program"], modules=3, quiz=True, pact=True, certificate=certificate,
                        score=75.5)
        db.session.commit()
        program = db.session.get(Program, world["program"])
        snapshot.refresh(program, history=True)
        written = select(FunnelCell).where(FunnelCell.program_id == program.id,
                                           FunnelCell.unit_id == world["tree"]["a1"].id)
        cells = {(c.golongan, c.targeted, c.certificate, c.score_sum) for c in db.session.scalars(written)}
        assert {(odd, 2, 1, 151.0), ("III/a", 1, 1, 75.5)} <= cells
        assert ("", 3, 0, 151.0) in cells  # the two without golongan and the world's participant (no journey)


def test_recount_follows_people_changed_after_they_enrolled(app, world, factory):
    """The recount groups enrollments by the copy of their person's cell that database triggers keep:
    after people enrolled are moved, re-typed, re-graded, deactivated or made a witness — through
    the ORM or one bulk UPDATE — do the recounted cells still equal counting the people themselves?"""
    from sqlalchemy import update

    from netral_learn.accounts.models import Jenis, Person, Role
    from netral_learn.courses.models import Enrollment
    from netral_learn.reports import funnel

    with app.test_request_context():
        tree = world["tree"]
        people = [factory.person(tree["a1"], password=None, name=f"Pindah {i}", golongan="III/a") for i in range(6)]
        for person in people:
            add_journey(person.id, world["program"], modules=3, quiz=True, pact=True, certificate="valid", score=82)
        db.session.commit()
        moved, retyped, regraded, left, witness, bulk = (db.session.get(Person, p.id) for p in people)
        moved.unit_id = tree["b1"].id
        retyped.jenis = Jenis.PPPK
        regraded.golongan = None
        left.active = False
        witness.role = Role.WITNESS
        db.session.commit()
        db.session.execute(update(Person).where(Person.id == bulk.id).values(unit_id=tree["b"].id, golongan="IV/b"))
        db.session.commit()

        enrolled = select(Enrollment).where(Enrollment.person_id.in_([p.id for p in people]))
        copies = {row.person_id: (row.person_unit_id, row.person_jenis, row.person_golongan, bool(row.person_counted))
                  for row in db.session.scalars(enrolled)}
        assert copies[moved.id] == (tree["b1"].id, "PNS", "III/a", True)
        assert copies[retyped.id][1] == "PPPK" and copies[regraded.id][2] is None
        assert copies[left.id][3] is False and copies[witness.id][3] is False
        assert copies[bulk.id] == (tree["b"].id, "PNS", "IV/b", True)

        program = db.session.get(Program, world["program"])
        snapshot.refresh(program, history=False)
        root = tree["root"]
        exact = funnel.breakdown(program, root)
        counted = funnel.breakdown(program, root, cells=snapshot.snapshot_cells(program, root))
        for name in ("children", "by_jenis", "by_golongan"):
            assert getattr(counted, name) == getattr(exact, name)
        assert sum(row.certificate for row in counted.children) == 4
