"""The funnel: SQL aggregation checked against a brute-force count on generated data (hypothesis)."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netral_learn.accounts.models import Jenis, Person, Role, Unit
from netral_learn.accounts.units import create_unit
from netral_learn.core.clock import now_utc
from netral_learn.courses.models import (
    Course,
    CourseVersion,
    Enrollment,
    Module,
    Program,
    ProgramTarget,
    VersionStatus,
)
from netral_learn.extensions import db
from netral_learn.reports import funnel, snapshot
from netral_learn.reports.funnel import SCORE_BANDS, STEPS

from .conftest import START, add_certificate, add_journey

ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
GOLONGAN = [None, "II/c", "III/a", "III/b", "IV/a", "IX", "V"]
SCORES = st.none() | st.sampled_from([0.0, 49.99, 50.0, 69.99, 70.0, 79.5, 80.0, 89.99, 90.0, 100.0]) | \
    st.integers(0, 10000).map(lambda n: n / 100)
MINUTES = st.integers(0, 6 * 24 * 60)

person_strategy = st.fixed_dictionaries({
    "unit": st.integers(0, 1000),
    "other_instansi": st.integers(0, 9).map(lambda n: n == 0),
    "jenis": st.sampled_from(list(Jenis)),
    "golongan": st.sampled_from(GOLONGAN),
    "role": st.sampled_from([Role.PARTICIPANT, Role.PARTICIPANT, Role.WITNESS, Role.OPERATOR]),
    "active": st.integers(0, 5).map(lambda n: n != 0),
    "journey": st.none() | st.fixed_dictionaries({
        "started": MINUTES,
        "modules": st.none() | MINUTES, "quiz": st.none() | MINUTES, "pact": st.none() | MINUTES,
        "certificate": st.none() | st.tuples(MINUTES, st.booleans()),
        "best": SCORES, "pre": SCORES,
    }),
})
world_strategy = st.fixed_dictionaries({
    "zone": st.sampled_from(ZONES),
    "parents": st.lists(st.integers(0, 1000), max_size=7),
    "people": st.lists(person_strategy, max_size=25),
    "targets": st.lists(st.integers(0, 1000), min_size=1, max_size=3),
    "jenis": st.sets(st.sampled_from(list(Jenis)), min_size=1),
    "chosen": st.integers(0, 1000),
})


def wipe(app) -> None:
    """Empty every table (between hypothesis examples, as the autouse fixture does between tests)."""
    db.session.rollback()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


def _at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def build(spec: dict) -> dict:
    """Write the generated world to the database; return what the brute force needs."""
    root = create_unit(None, None, "Kabupaten Acak", timezone=spec["zone"])
    units = [root]
    for index, parent in enumerate(spec["parents"], start=1):
        units.append(create_unit(None, units[parent % index], f"Unit {index}"))
    other = create_unit(None, None, "Kota Lain", timezone="Asia/Jakarta")
    course = Course(slug="acak")
    course.versions.append(CourseVersion(number=1, status=VersionStatus.PUBLISHED, title="Acak",
                                         modules=[Module(position=0, slug="m0", title="M0")]))
    db.session.add(course)
    db.session.flush()
    targets = {units[t % len(units)].id: units[t % len(units)] for t in spec["targets"]}
    program = Program(instansi_id=root.id, title="Program Acak", course_version_id=course.versions[0].id,
                      starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 30), published=True,
                      target_jenis=",".join(sorted(j.value for j in spec["jenis"])))
    program.targets = [ProgramTarget(unit_id=unit_id) for unit_id in targets]
    db.session.add(program)
    db.session.flush()
    people = []
    for number, item in enumerate(spec["people"]):
        unit = other if item["other_instansi"] else units[item["unit"] % len(units)]
        person = Person(nip=f"ACAK{number:05d}", name=f"Pegawai {number}", jenis=item["jenis"], golongan=item["golongan"],
                        unit_id=unit.id, role=item["role"], active=item["active"])
        db.session.add(person)
        db.session.flush()
        people.append((person.id, unit, item))
        journey = item["journey"]
        if journey is None:
            continue
        db.session.add(Enrollment(
            program_id=program.id, person_id=person.id, started_at=_at(journey["started"]),
            modules_completed_at=_at(journey["modules"]) if journey["modules"] is not None else None,
            quiz_passed_at=_at(journey["quiz"]) if journey["quiz"] is not None else None,
            pact_signed_at=_at(journey["pact"]) if journey["pact"] is not None else None,
            # issued in the transaction that completes the enrollment, as the app does
            completed_at=_at(journey["certificate"][0]) if journey["certificate"] is not None else None,
            quiz_best_score=journey["best"], pretest_score=journey["pre"]))
        if journey["certificate"] is not None:
            minutes, revoked = journey["certificate"]
            add_certificate(person.id, program, _at(minutes), revoked=revoked)
    db.session.flush()
    chosen = units[spec["chosen"] % len(units)]
    return {"program": program, "chosen": chosen, "units": units, "targets": list(targets.values()), "people": people}


def brute_force(world: dict, spec: dict):
    """Count everything person by person, the obvious way."""
    chosen, units = world["chosen"], world["units"]
    children = [u for u in units if u.parent_id == chosen.id]
    zone = ZoneInfo(spec["zone"])
    groups = {"children": defaultdict(list), "jenis": defaultdict(list), "golongan": defaultdict(list)}
    daily = {step: Counter() for step in STEPS}
    for _person_id, unit, item in world["people"]:
        if not (item["active"] and item["role"] != Role.WITNESS and item["jenis"] in spec["jenis"]
                and unit.path.startswith(chosen.path) and any(unit.path.startswith(t.path) for t in world["targets"])):
            continue
        child = next((c.id for c in children if unit.path.startswith(c.path)), None)
        groups["children"][child].append(item)
        groups["jenis"][item["jenis"].value].append(item)
        groups["golongan"][item["golongan"]].append(item)
        journey = item["journey"]
        if journey is None:
            continue
        reached = _reached(journey)
        for step in STEPS:
            if reached[step] is not None:
                daily[step][_at(reached[step]).astimezone(zone).date()] += 1
    summary = {name: {key: _expected(items) for key, items in buckets.items()} for name, buckets in groups.items()}
    return summary, {step: dict(counter) for step, counter in daily.items()}


def _reached(journey: dict) -> dict:
    certificate = journey["certificate"]
    return {"started": journey["started"], "modules": journey["modules"], "quiz": journey["quiz"],
            "pact": journey["pact"],
            "certificate": certificate[0] if certificate is not None and not certificate[1] else None}


def _expected(items: list[dict]) -> dict:
    journeys = [i["journey"] for i in items if i["journey"] is not None]
    counts = {"targeted": len(items)}
    for step in STEPS:
        counts[step] = sum(1 for j in journeys if _reached(j)[step] is not None)
    best = [j["best"] for j in journeys if j["best"] is not None]
    pairs = [(j["pre"], j["best"]) for j in journeys if j["best"] is not None and j["pre"] is not None]
    counts["scored"] = len(best)
    counts["score_sum"] = pytest.approx(sum(best), abs=1e-6)
    counts["bands"] = tuple(sum(1 for s in best if s >= low and (high is None or s < high))
                            for low, high, _label in SCORE_BANDS)
    counts["paired"] = len(pairs)
    counts["pre_sum"] = pytest.approx(sum(p for p, _ in pairs), abs=1e-6)
    counts["post_sum"] = pytest.approx(sum(b for _, b in pairs), abs=1e-6)
    return counts


def _actual(rows) -> dict:
    return {row.key: {"targeted": row.targeted, **{step: row.count(step) for step in STEPS}, "scored": row.scored,
                      "score_sum": row.score_sum, "bands": row.bands, "paired": row.paired, "pre_sum": row.pre_sum,
                      "post_sum": row.post_sum} for row in rows}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world_strategy)
def test_funnel_matches_a_brute_force_count(app, spec):
    """Do the SQL counts per child unit, jenis and golongan, the score bands, the pre/post sums and the
    daily step counts equal a person-by-person count, for any tree, targets, people and journeys?"""
    with app.test_request_context():
        try:
            world = build(spec)
            expected, expected_daily = brute_force(world, spec)
            program, chosen = world["program"], world["chosen"]
            parts = funnel.breakdown(program, chosen)
            assert _actual(parts.children) == expected["children"]
            assert _actual(parts.by_jenis) == expected["jenis"]
            assert _actual(parts.by_golongan) == expected["golongan"]
            assert funnel.daily_counts(program, chosen, spec["zone"]) == expected_daily
            report = funnel.build_report(program, chosen, datetime(2026, 11, 20, tzinfo=timezone.utc))
            assert report.total.targeted == sum(item["targeted"] for item in expected["children"].values())
            for step in STEPS:
                assert report.cumulative[step][-1] == sum(expected_daily[step].values())
            # The snapshot (per-unit cells and history, summed per subtree) gives the same figures.
            snapshot.refresh(program, history=True)
            counted = funnel.breakdown(program, chosen, cells=snapshot.snapshot_cells(program, chosen))
            assert _actual(counted.children) == expected["children"]
            assert _actual(counted.by_jenis) == expected["jenis"]
            assert _actual(counted.by_golongan) == expected["golongan"]
            assert snapshot.snapshot_daily(program, chosen) == expected_daily
        finally:
            wipe(app)


def test_witnesses_inactive_untargeted_jenis_and_revoked_certificates_do_not_count(app, factory, world):
    """Are witnesses, inactive people, an untargeted jenis and a revoked certificate left out?"""
    tree = world["tree"]
    version = factory.course(modules=1)
    program_id = factory.program(tree["root"], version, jenis={Jenis.PNS, Jenis.PPPK}, targets=[tree["a"]])
    counted = factory.person(tree["a1"], password=None, name="Dihitung")
    revoked = factory.person(tree["a1"], password=None, name="Dicabut")
    factory.person(tree["a1"], password=None, role=Role.WITNESS, name="Saksi Bawaslu")
    factory.person(tree["a1"], password=None, active=False, name="Pensiun")
    factory.person(tree["a1"], password=None, jenis=Jenis.NON_ASN, name="Honorer")
    factory.person(tree["b1"], password=None, name="Bukan Sasaran")
    with app.test_request_context():
        add_journey(counted.id, program_id, modules=1, quiz=True, pact=True, certificate="valid", score=85)
        add_journey(revoked.id, program_id, modules=1, quiz=True, pact=True, certificate="revoked", score=60)
        db.session.commit()
        program = db.session.get(Program, program_id)
        report = funnel.build_report(program, db.session.get(Unit, tree["root"].id), now_utc())
        # the two learners, plus the fixture's operator and participant of Dinas Pendidikan (staff count too)
        assert report.total.targeted == 4
        assert (report.total.started, report.total.pact, report.total.certificate) == (2, 2, 1)
        assert [row.label for row in report.children] == ["Dinas Pendidikan"]
        assert report.total.bands == (0, 1, 0, 1, 0) and report.total.average_score == 72.5


def test_sibling_whose_id_starts_with_another_id_is_not_inside_it(app, world):
    """Is unit 900001's subtree free of its siblings 9000010 and 9000012, whose paths begin alike?"""
    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        root = db.session.get(Unit, world["tree"]["root"].id)
        for unit_id in (900001, 9000010, 9000012):
            db.session.add(Unit(id=unit_id, parent_id=root.id, name=f"Kecamatan {unit_id}", path=f"{root.path}{unit_id}/",
                                depth=1))
            db.session.add(Person(nip=f"PREFIX{unit_id}", name="Pegawai Kecamatan", jenis=Jenis.PNS, unit_id=unit_id))
        db.session.add(Unit(id=9000011, parent_id=900001, name="Desa", path=f"{root.path}900001/9000011/", depth=2))
        db.session.add(Person(nip="PREFIX-DESA", name="Pegawai Desa", jenis=Jenis.PNS, unit_id=9000011))
        db.session.commit()
        inside = funnel.build_report(program, db.session.get(Unit, 900001), now_utc())
        whole = {row.key: row.targeted for row in funnel.build_report(program, root, now_utc()).children}
        assert inside.total.targeted == whole[900001] == 2
        assert whole[9000010] == whole[9000012] == 1


def test_people_placed_in_the_chosen_unit_itself_get_their_own_row(app, factory, world):
    """Does a person placed directly in an OPD (not a sub-unit) show as 'Langsung di …' and add up?"""
    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        a = db.session.get(Unit, world["tree"]["a"].id)
        report = funnel.build_report(program, a, now_utc())
        labels = {row.label: row.targeted for row in report.children}
        assert labels == {"Sekretariat": 1, "Langsung di Dinas Pendidikan": 1}
        assert report.total.targeted == 2


@pytest.mark.parametrize("values, ordered", [
    (["IV/a", None, "III/b", "II/c", "III/a", "IX", "V", "lain"], ["II/c", "III/a", "III/b", "IV/a", "V", "IX", "lain", None]),
])
def test_golongan_sort_in_rank_order(values, ordered):
    """Are golongan listed by rank (II/c < III/a < IV/a; PPPK V < IX), unknown spellings and none last?"""
    assert sorted(values, key=funnel.golongan_sort_key) == ordered


def test_cumulative_series_runs_from_program_start_to_today(app, world):
    """Does the progress line start on the program's first day and add up day by day?"""
    with app.test_request_context():
        program = db.session.get(Program, world["program"])
        program.starts_on = date(2026, 11, 1)
        day = date(2026, 11, 3)
        days, series = funnel.cumulative_series(program, {"started": {day: 2, day + timedelta(days=2): 1},
                                                          "modules": {}, "quiz": {}, "pact": {}, "certificate": {}},
                                                date(2026, 11, 6))
        assert days[0] == date(2026, 11, 1) and days[-1] == date(2026, 11, 6)
        assert series["started"] == [0, 0, 2, 2, 3, 3] and series["certificate"] == [0] * 6
        db.session.rollback()


def test_report_runs_a_fixed_handful_of_queries_however_many_units(app, factory, world):
    """Is the whole dashboard report a fixed number of SQL statements (no query per unit or person)?"""
    from sqlalchemy import event

    def count_queries(unit_id: int) -> int:
        statements = []
        with app.test_request_context():
            program = db.session.get(Program, world["program"])
            unit = db.session.get(Unit, unit_id)
            program.instansi, program.jenis_set  # loaded before counting
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                funnel.build_report(program, unit, now_utc())
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    few = count_queries(world["tree"]["root"].id)
    for index in range(12):
        unit = factory.unit(f"Kecamatan {index}", world["tree"]["root"])
        factory.person(unit, password=None)
    assert count_queries(world["tree"]["root"].id) == few <= 2
