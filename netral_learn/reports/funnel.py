"""The completion funnel of one program over one unit subtree, aggregated in SQL.

The population (the denominator) is every active person, not a witness, of a jenis the program
targets, whose unit lies inside one of the program's target subtrees and inside the chosen unit's
subtree. Each step is counted from the enrollment's timestamps; a certificate counts while it is
not revoked. One GROUP BY over (path prefix of the chosen unit's direct child, jenis, golongan)
gives a few hundred cells at most, which are summed into the three breakdowns and the total
(the children and the unit itself partition the subtree); one more query over a CTE gives the
daily counts of each step. No person is ever loaded into Python.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, literal_column, select, union_all
from sqlalchemy.orm import aliased

from ..accounts.models import Jenis, Person, Role, Unit
from ..certificates.models import Certificate
from ..core.i18n import DEFAULT_ZONE
from ..accounts.scope import subtree_clause
from ..courses.models import Enrollment, Program, ProgramTarget
from ..courses.services import targeted_people_clause
from ..core.transactions import on_postgresql
from ..extensions import db

#: The steps of the journey in order, as counted by the funnel.
STEPS = ("started", "modules", "quiz", "pact", "certificate")
STEP_LABELS = {
    "started": _l("Mulai belajar"),
    "modules": _l("Modul selesai"),
    "quiz": _l("Lulus kuis"),
    "pact": _l("Pakta ditandatangani"),
    "certificate": _l("Sertifikat terbit"),
}
#: Score bands of the best post-test score: (lower bound inclusive, upper bound exclusive, label).
SCORE_BANDS = ((0, 50, "0–49"), (50, 70, "50–69"), (70, 80, "70–79"), (80, 90, "80–89"), (90, None, "90–100"))
JENIS_LABELS = {Jenis.PNS: "PNS", Jenis.PPPK: "PPPK", Jenis.NON_ASN: _l("Non-ASN")}


@dataclass
class FunnelRow:
    """Counts of one group (a child unit, a jenis, a golongan or the total), with score sums."""

    key: object
    label: str
    targeted: int = 0
    started: int = 0
    modules: int = 0
    quiz: int = 0
    pact: int = 0
    certificate: int = 0
    #: People with a best post-test score, their sum, and how many fall in each of SCORE_BANDS.
    scored: int = 0
    score_sum: float = 0.0
    bands: tuple[int, ...] = (0, 0, 0, 0, 0)
    #: People with both a pre-test and a post-test score, and the sums of each.
    paired: int = 0
    pre_sum: float = 0.0
    post_sum: float = 0.0

    def count(self, step: str) -> int:
        return getattr(self, step)

    def percent(self, step: str) -> float:
        """Share of the targeted people who reached ``step``, 0–100 with one decimal."""
        return round(100 * self.count(step) / self.targeted, 1) if self.targeted else 0.0

    @property
    def average_score(self) -> float | None:
        return round(self.score_sum / self.scored, 1) if self.scored else None

    @property
    def average_pre(self) -> float | None:
        return round(self.pre_sum / self.paired, 1) if self.paired else None

    @property
    def average_post(self) -> float | None:
        return round(self.post_sum / self.paired, 1) if self.paired else None

    @property
    def average_gain(self) -> float | None:
        return round((self.post_sum - self.pre_sum) / self.paired, 1) if self.paired else None


def combine(rows: list[FunnelRow], key, label: str) -> FunnelRow:
    """The sum of several rows (counts and sums add up; averages follow from them)."""
    total = FunnelRow(key, label)
    for row in rows:
        for item in fields(FunnelRow):
            if item.name in ("key", "label"):
                continue
            if item.name == "bands":
                total.bands = tuple(a + b for a, b in zip(total.bands, row.bands))
            else:
                setattr(total, item.name, getattr(total, item.name) + getattr(row, item.name))
    return total


@dataclass
class FunnelReport:
    """Everything the dashboard and the exports show for one program and one unit."""

    program: Program
    unit: Unit
    as_of: datetime
    zone: str
    total: FunnelRow
    children: list[FunnelRow]
    by_jenis: list[FunnelRow]
    by_golongan: list[FunnelRow]
    #: Days from the program's start (or the first event) to today (or its end), and per step the
    #: number of people who had reached it by the end of each day.
    days: list[date] = field(default_factory=list)
    cumulative: dict[str, list[int]] = field(default_factory=dict)


# --- SQL -----------------------------------------------------------------------------------

def path_upper(path_column):
    """SQL for the exclusive upper bound of the subtree under ``path_column`` (see subtree_clause)."""
    return func.substr(path_column, 1, func.length(path_column) - 1).concat(literal("0"))


def counted_people(program: Program) -> tuple:
    """Conditions on Person: active, not a witness, of a jenis the program targets."""
    return Person.active.is_(True), Person.role != Role.WITNESS, Person.jenis.in_(sorted(program.jenis_set))


def people_of(program: Program, *columns):
    """SELECT ``columns`` FROM the program's :func:`counted_people`, each outer-joined to their
    enrollment (one row per person); callers add which units count."""
    return (
        select(*columns).select_from(Person)
        .outerjoin(Enrollment, and_(Enrollment.person_id == Person.id, Enrollment.program_id == program.id))
        .where(*counted_people(program))
    )


def journeys(program: Program, *columns):
    """:func:`people_of`, each also outer-joined to their valid certificate."""
    return people_of(program, *columns).outerjoin(
        Certificate, and_(Certificate.person_id == Person.id, Certificate.program_id == program.id,
                          Certificate.revoked_at.is_(None)))


def population(program: Program, unit: Unit, *columns, unit_ids: list[int] | None = None):
    """:func:`journeys` of the people the program targets inside ``unit``'s subtree; with
    ``unit_ids`` (:func:`targeted_unit_ids` of the same program and unit), by those ids instead of
    the path conditions."""
    query = journeys(program, *columns).join(Unit, Unit.id == Person.unit_id)
    if unit_ids is not None:
        return query.where(Person.unit_id.in_(unit_ids))
    return query.where(subtree_clause(Unit.path, unit.path), targeted_people_clause(program.id))


def targeted_unit_ids(program: Program, within: Unit | None = None) -> list[int]:
    """Ids of the units inside the program's target subtrees (and inside ``within``'s subtree): a
    few thousand at most. PostgreSQL estimates the people of an id list well, where it takes the
    people under path-range conditions for a handful and plans a big read accordingly."""
    target = aliased(Unit)
    query = (select(Unit.id).distinct()
             .join(ProgramTarget, ProgramTarget.program_id == program.id)
             .join(target, target.id == ProgramTarget.unit_id)
             .where(Unit.path >= target.path, Unit.path < path_upper(target.path)))
    if within is not None:
        query = query.where(subtree_clause(Unit.path, within.path))
    return db.session.scalars(query).all()


def measures_sql(certificate=Certificate.id) -> list:
    """The aggregate columns of a funnel row, in FunnelRow's field order; ``certificate`` is the
    column whose non-null values count as certificates issued."""
    best, pre = Enrollment.quiz_best_score, Enrollment.pretest_score
    paired = and_(best.is_not(None), pre.is_not(None))
    bands = [func.count().filter(and_(best >= low, best < high) if high else best >= low)
             for low, high, _label in SCORE_BANDS]
    return [
        func.count(Person.id), func.count(Enrollment.id), func.count(Enrollment.modules_completed_at),
        func.count(Enrollment.quiz_passed_at), func.count(Enrollment.pact_signed_at), func.count(certificate),
        func.count(best), func.coalesce(func.sum(best), 0), *bands,
        func.count().filter(paired), func.coalesce(func.sum(pre).filter(best.is_not(None)), 0),
        func.coalesce(func.sum(best).filter(pre.is_not(None)), 0),
    ]


def _row(key, label, values) -> FunnelRow:
    values = list(values)
    counts, (scored, score_sum), bands, (paired, pre_sum, post_sum) = (
        values[:6], values[6:8], values[8:8 + len(SCORE_BANDS)], values[8 + len(SCORE_BANDS):])
    return FunnelRow(key, label, *(int(v) for v in counts), scored=int(scored), score_sum=float(score_sum),
                     bands=tuple(int(b) for b in bands), paired=int(paired), pre_sum=float(pre_sum),
                     post_sum=float(post_sum))


def child_prefix(unit: Unit):
    """SQL: the path of the direct child of ``unit`` holding the person's unit ("/1/7/42/" for a
    person in "/1/7/42/99/" under "/1/7/"), or ``unit``'s own path for people placed in it."""
    rest = func.substr(Unit.path, len(unit.path) + 1)
    slash = (func.strpos if on_postgresql() else func.instr)(rest, "/")
    return func.substr(Unit.path, 1, len(unit.path) + slash)


@dataclass
class Breakdown:
    """The population of one report split three ways; each list sums to the same total."""

    children: list[FunnelRow]
    by_jenis: list[FunnelRow]
    by_golongan: list[FunnelRow]


def exact_cells(program: Program, unit: Unit):
    """Subquery (prefix, jenis, golongan, m0…) counted from the people themselves."""
    prefix = child_prefix(unit)
    measures = [column.label(f"m{i}") for i, column in enumerate(measures_sql())]
    return (population(program, unit, prefix.label("prefix"), Person.jenis.label("jenis"),
                       Person.golongan.label("golongan"), *measures)
            .group_by(prefix, Person.jenis, Person.golongan).subquery())


def breakdown(program: Program, unit: Unit, cells=None) -> Breakdown:
    """Counts per direct child of ``unit`` (its whole subtree; people placed in ``unit`` itself
    last), per jenis and per golongan, from one GROUP BY over (child path prefix, jenis, golongan):
    :func:`exact_cells` unless another source of the same columns is given."""
    cells = exact_cells(program, unit) if cells is None else cells
    child = aliased(Unit)
    measure_columns = [column for column in cells.c if column.name.startswith("m")]
    query = (select(child.id, child.name, cells.c.jenis, cells.c.golongan, *measure_columns)
             .select_from(cells).outerjoin(child, and_(child.path == cells.c.prefix, child.parent_id == unit.id)))
    by_child, by_jenis, by_golongan, names = {}, {}, {}, {}
    for child_id, name, jenis, golongan, *values in db.session.execute(query):
        cell = _row(None, "", values)
        names[child_id] = name
        for groups, key in ((by_child, child_id), (by_jenis, Jenis(jenis)), (by_golongan, golongan)):
            groups.setdefault(key, []).append(cell)
    children = sorted((combine(rows, key, names[key]) for key, rows in by_child.items() if key is not None),
                      key=lambda row: row.label.lower())
    if None in by_child:
        children.append(combine(by_child[None], None, str(_l("Langsung di %(unit)s", unit=unit.name))))
    jenis_rows = [combine(by_jenis[j], j.value, str(JENIS_LABELS[j])) for j in Jenis if j in by_jenis]
    golongan_rows = sorted((combine(rows, g, g or str(_l("Tanpa golongan"))) for g, rows in by_golongan.items()),
                           key=lambda row: golongan_sort_key(row.key))
    return Breakdown(children, jenis_rows, golongan_rows)


def child_rows(program: Program, unit: Unit) -> list[FunnelRow]:
    """The per-child rows of :func:`breakdown` alone (one query)."""
    return breakdown(program, unit).children


_ROMAN = {"I": 1, "V": 5, "X": 10}


def _roman(text: str) -> int | None:
    if not text or any(c not in _ROMAN for c in text):
        return None
    total = 0
    for current, following in zip(text, text[1:] + " "):
        value = _ROMAN[current]
        total += -value if following in _ROMAN and _ROMAN[following] > value else value
    return total


def golongan_sort_key(golongan: str | None) -> tuple:
    """'II/c' before 'III/a' before 'IV/a'; unknown spellings after, alphabetically; none last."""
    if not golongan:
        return (2, 0, "")
    match = re.fullmatch(r"\s*([IVX]+)\s*(?:/\s*([a-eA-E]))?\s*", golongan)
    number = _roman(match.group(1)) if match else None
    if number is None:
        return (1, 0, golongan.lower())
    return (0, number, (match.group(2) or "").lower())


def local_day(column, zone: str):
    """SQL: the calendar day of a UTC timestamp in ``zone`` (Indonesia keeps no summer time)."""
    if on_postgresql():
        return func.date(func.timezone(zone, column))
    offset = datetime.now(ZoneInfo(zone)).utcoffset() or timedelta(0)
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def step_times() -> dict:
    """The column holding when each step was reached."""
    return {"started": Enrollment.started_at, "modules": Enrollment.modules_completed_at,
            "quiz": Enrollment.quiz_passed_at, "pact": Enrollment.pact_signed_at, "certificate": Certificate.issued_at}


def daily_counts(program: Program, unit: Unit, zone: str) -> dict[str, dict[date, int]]:
    """Per step, how many people of the population reached it on each local day (one statement:
    the population's step times in a CTE, read once per step)."""
    reached = population(program, unit, *(column.label(step) for step, column in step_times().items())
                         ).where(Enrollment.id.is_not(None)).cte("reached")
    parts = []
    for step in STEPS:
        day = local_day(reached.c[step], zone).label("day")
        parts.append(select(literal(step).label("step"), day, func.count().label("n"))
                     .where(reached.c[step].is_not(None)).group_by(literal_column("day")))
    result: dict[str, dict[date, int]] = {step: {} for step in STEPS}
    for step, day, count in db.session.execute(union_all(*parts)):
        day = date.fromisoformat(day) if isinstance(day, str) else day
        result[step][day] = int(count)
    return result


def cumulative_series(program: Program, daily: dict[str, dict[date, int]], today: date
                      ) -> tuple[list[date], dict[str, list[int]]]:
    """Days to plot and the running totals per step (a dozen-odd weeks of days, never people)."""
    seen = [day for counts in daily.values() for day in counts]
    first = min([program.starts_on, *seen])
    last = max([min(today, program.ends_on), *seen])
    if last < first:
        return [], {step: [] for step in STEPS}
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    series = {}
    for step in STEPS:
        running, values = 0, []
        for day in days:
            running += daily[step].get(day, 0)
            values.append(running)
        series[step] = values
    return days, series


def instansi_zone(program: Program) -> str:
    """The IANA zone of the program's instansi (days and 'data per' are local)."""
    return program.instansi.timezone or DEFAULT_ZONE


def assemble_report(program: Program, unit: Unit, as_of: datetime, parts: Breakdown,
                    daily: dict[str, dict[date, int]], now: datetime) -> FunnelReport:
    """The report from its breakdown and daily counts; the line ends at the totals (which a
    snapshot may have counted more recently than its day-by-day history)."""
    zone = instansi_zone(program)
    total = combine(parts.children, unit.id, unit.name)
    days, cumulative = cumulative_series(program, daily, now.astimezone(ZoneInfo(zone)).date())
    for step, values in cumulative.items():
        if values:
            values[-1] = total.count(step)
    return FunnelReport(program=program, unit=unit, as_of=as_of, zone=zone, total=total, children=parts.children,
                        by_jenis=parts.by_jenis, by_golongan=parts.by_golongan, days=days, cumulative=cumulative)


def build_report(program: Program, unit: Unit, now: datetime) -> FunnelReport:
    """The whole funnel of ``program`` under ``unit`` counted now, from the people themselves
    (the caller checked scope)."""
    daily = daily_counts(program, unit, instansi_zone(program))
    return assemble_report(program, unit, now, breakdown(program, unit), daily, now)
