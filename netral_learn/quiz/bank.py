"""A course's question bank for admins: author questions, import and export spreadsheets, and
the quiz settings of a program (checked against what the bank can supply).

Services flush and never commit; the views commit once. A question is identified inside its bank
by type and text (:func:`.content.question_key`), so importing the same file twice changes
nothing the second time, and two questions of one bank never share a type and text. Spreadsheet
import runs as a dry run (:func:`plan_import`, per-row errors) and is applied as a whole
(:func:`apply_import`) only when not a single row has an error.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts.models import Person
from ..core import audit
from ..core.errors import InvalidInput, OutOfScope
from ..core.spreadsheet import csv_bytes, looks_like_formula, xlsx_bytes
from ..core.tabular import (Column, ImportPlan, ImportResult, RowError, Table, TabularFileError, cell_errors,
                            read_table, visible)
from ..courses import programs as program_services
from ..courses.models import Course, Program
from ..extensions import db
from . import grading
from .content import question_key
from .draw import shortfalls
from .models import Question, QuestionOption, QuestionType, QuizSettings, ReviewMode
from .services import bank_by_tag, settings_for

LETTERS = "ABCDEF"
MAX_TEXT = 2000
MAX_IMPORT_ROWS = 5000


class FieldErrors(InvalidInput):
    """Input that breaks rules; ``problems`` lists (field, message) so a form can show each one."""

    def __init__(self, problems: list[tuple[str, object]]):
        self.problems = problems
        super().__init__(" ".join(str(message) for _, message in problems))


# --- authoring -----------------------------------------------------------------------------

@dataclass(frozen=True)
class QuestionSpec:
    """An authored question as plain values, from a form or a spreadsheet row."""

    type: str
    text: str
    options: tuple[tuple[str, bool], ...]
    tag: str = ""
    explanation: str = ""
    basis: str = ""

    @property
    def key(self) -> str:
        return question_key(self.type, self.text)


def make_spec(kind: str, text: str, options: Iterable[tuple[str, bool]], tag: str = "", explanation: str = "",
              basis: str = "") -> QuestionSpec:
    """A spec with surrounding spaces trimmed and blank options dropped."""
    return QuestionSpec(
        type=(kind or "").strip(), text=(text or "").strip(), tag=" ".join((tag or "").split()),
        explanation=(explanation or "").strip(), basis=" ".join((basis or "").split()),
        options=tuple((" ".join((t or "").split()), bool(c)) for t, c in options if (t or "").strip() or c),
    )


def check_question(spec: QuestionSpec) -> list[tuple[str, object]]:
    """Every rule the spec breaks as (field, message); the type's own rules come from the registry."""
    problems: list[tuple[str, object]] = []
    kind = grading.KINDS.get(spec.type)
    if kind is None:
        problems.append(("type", _l("Tipe soal \u201c%(value)s\u201d tidak dikenal; pilih single, multiple atau "
                                    "true_false.", value=spec.type)))
    if not spec.text:
        problems.append(("text", _l("Teks soal wajib diisi.")))
    elif len(spec.text) > MAX_TEXT:
        problems.append(("text", _l("Teks soal maksimal %(n)d karakter.", n=MAX_TEXT)))
    if len(spec.tag) > 80:
        problems.append(("tag", _l("Tag maksimal 80 karakter.")))
    if len(spec.basis) > 300:
        problems.append(("basis", _l("Dasar hukum maksimal 300 karakter.")))
    texts = [t for t, _ in spec.options]
    if any(not t for t in texts):
        problems.append(("options", _l("Pilihan yang ditandai benar harus diisi teksnya.")))
    if len(texts) > len(LETTERS):
        problems.append(("options", _l("Paling banyak %(n)d pilihan jawaban.", n=len(LETTERS))))
    if len({t.lower() for t in texts}) != len(texts):
        problems.append(("options", _l("Dua pilihan jawaban tidak boleh sama.")))
    if kind is not None:
        problems.extend(kind.check_key(texts, [c for _, c in spec.options]))
    return problems


def _same_key_in_bank(course_id: int, spec: QuestionSpec, but: int | None = None) -> Question | None:
    for question in db.session.scalars(select(Question).where(Question.course_id == course_id,
                                                              Question.text == spec.text)):
        if question.id != but and question_key(question.type.value, question.text) == spec.key:
            return question
    return None


def _validate(course_id: int, spec: QuestionSpec, but: int | None = None) -> None:
    problems = check_question(spec)
    if not problems and _same_key_in_bank(course_id, spec, but) is not None:
        problems.append(("text", _l("Soal dengan tipe dan teks yang sama sudah ada di bank soal ini.")))
    if problems:
        raise FieldErrors(problems)


def _fill(question: Question, spec: QuestionSpec) -> None:
    question.type = QuestionType(spec.type)
    question.text = spec.text
    question.tag = spec.tag
    question.explanation = spec.explanation
    question.basis = spec.basis
    if [(o.text, o.is_correct) for o in question.options] != list(spec.options):
        question.options = [QuestionOption(position=i, text=t, is_correct=c) for i, (t, c) in enumerate(spec.options)]


def create_question(actor: Person | None, course: Course, spec: QuestionSpec) -> Question:
    """Add a question to the course's bank."""
    _validate(course.id, spec)
    question = Question(course_id=course.id, active=True)
    _fill(question, spec)
    db.session.add(question)
    db.session.flush()
    audit.record(actor, "quiz.question.create", f"question:{question.id}", course=course.id)
    return question


def update_question(actor: Person | None, question: Question, spec: QuestionSpec) -> Question:
    """Change a question; attempts already drawn keep their frozen copy."""
    _validate(question.course_id, spec, but=question.id)
    _fill(question, spec)
    db.session.flush()
    audit.record(actor, "quiz.question.update", f"question:{question.id}")
    return question


def set_question_active(actor: Person | None, question: Question, active: bool) -> Question:
    """Deactivate a question (no longer drawn; kept for past attempts and statistics) or bring it back."""
    question.active = active
    db.session.flush()
    audit.record(actor, "quiz.question.activate" if active else "quiz.question.deactivate",
                 f"question:{question.id}")
    return question


def get_question(course: Course, question_id: int) -> Question:
    """A question of this course's bank; OutOfScope (404) for any other id."""
    question = db.session.get(Question, question_id)
    if question is None or question.course_id != course.id:
        raise OutOfScope()
    return question


def questions_query(course: Course, tag: str | None = None, kind: str | None = None, active: bool | None = True):
    """SELECT of the course's questions, filtered by tag, type and active (None: any)."""
    query = select(Question).where(Question.course_id == course.id).order_by(Question.id)
    if tag is not None:
        query = query.where(Question.tag == tag)
    if kind:
        query = query.where(Question.type == QuestionType(kind))
    if active is not None:
        query = query.where(Question.active.is_(active))
    return query


def tags_of(course: Course) -> list[str]:
    """The tags used in the course's bank, sorted."""
    return sorted(set(db.session.scalars(select(Question.tag).where(Question.course_id == course.id))))


def participant_view(spec: QuestionSpec) -> dict:
    """The question as a participant sees it: text and options, never which ones are correct."""
    return {"type": spec.type, "text": spec.text,
            "options": [{"id": i, "text": t} for i, (t, _) in enumerate(spec.options)]}


def spec_of(question: Question) -> QuestionSpec:
    """A stored question as plain values (to compare, preview or export it)."""
    return QuestionSpec(type=question.type.value, text=question.text, tag=question.tag or "",
                        explanation=question.explanation or "", basis=question.basis or "",
                        options=tuple((o.text, o.is_correct) for o in question.options))


# --- spreadsheet columns -------------------------------------------------------------------

COLUMNS: tuple[Column, ...] = (
    Column("type", "Tipe", ("tipe", "tipe soal", "jenis soal", "type"), True,
           "; ".join(f"{k.name} ({k.label}; juga ditulis: {', '.join(k.words)})" for k in grading.KINDS.values())
           + ". Jawaban ganda memerlukan dua atau lebih jawaban benar."),
    Column("tag", "Tag", ("tag", "topik", "modul"), False,
           "Topik atau modul; dipakai untuk mengambil soal per tag dan untuk statistik."),
    Column("text", "Soal", ("soal", "pertanyaan", "teks soal"), True, "Teks pertanyaan."),
    *(Column(f"option_{letter}", f"Pilihan {letter}", (f"pilihan {letter.lower()}", f"opsi {letter.lower()}"),
             letter in "AB", "Teks pilihan jawaban. Isi berurutan mulai dari A, paling sedikit A dan B; "
             "untuk true_false tulis Benar di A dan Salah di B.") for letter in LETTERS),
    Column("answer", "Jawaban", ("jawaban", "kunci", "kunci jawaban", "jawaban benar"), True,
           "Huruf pilihan yang benar, mis. A; untuk multiple pisahkan dengan koma, mis. A,C."),
    Column("explanation", "Penjelasan", ("penjelasan", "pembahasan"), False,
           "Pembahasan yang ditampilkan kepada peserta setelah kuis (opsional)."),
    Column("basis", "Dasar Hukum", ("dasar hukum", "dasar", "rujukan"), False,
           "Rujukan peraturan, mis. PP 94/2021 Pasal 5 (opsional)."),
)
_TITLE = {c.key: c.title for c in COLUMNS}
#: Which column a problem of :func:`check_question` points at.
_FIELD_COLUMN = {"type": "Tipe", "text": "Soal", "tag": "Tag", "basis": "Dasar Hukum", "options": "Pilihan",
                 "correct": "Jawaban", "explanation": "Penjelasan"}
_WIDTHS = (12, 14, 60, *(28,) * len(LETTERS), 10, 50, 28)


def _row_of(spec: QuestionSpec) -> list:
    options = [t for t, _ in spec.options] + [""] * (len(LETTERS) - len(spec.options))
    answer = ",".join(LETTERS[i] for i, (_, correct) in enumerate(spec.options) if correct)
    return [spec.type, spec.tag, spec.text, *options, answer, spec.explanation, spec.basis]


def export_rows(course: Course) -> list[list]:
    """The active questions of the bank, one row each in the import columns."""
    return [_row_of(spec_of(q)) for q in db.session.scalars(questions_query(course, active=True))]


def export_file(course: Course, fmt: str) -> bytes:
    """The bank as XLSX or CSV in the import columns (formula-looking text neutralized)."""
    return _write(fmt, _l("Bank Soal"), export_rows(course))


_EXAMPLES = (
    make_spec("single", "Seorang ASN mengunggah foto bersama calon kepala daerah dengan pose jari yang "
              "menunjukkan nomor urut. Bagaimana penilaiannya?",
              [("Melanggar netralitas", True), ("Boleh bila di luar jam kerja", False),
               ("Boleh bila akun pribadi", False)], "media-sosial",
              "Gestur yang menunjukkan keberpihakan dilarang, di dalam maupun di luar jam kerja.",
              "PP 94/2021 Pasal 5"),
    make_spec("multiple", "Manakah yang dilarang bagi ASN selama masa kampanye?",
              [("Menjadi pelaksana kampanye", True), ("Menghadiri deklarasi calon sebagai pendukung", True),
               ("Menggunakan hak pilih", False)], "kampanye", "", "UU 10/2016 Pasal 70"),
    make_spec("true_false", "ASN boleh memberikan like pada unggahan kampanye calon.",
              [("Benar", False), ("Salah", True)], "media-sosial"),
)


def template_file(fmt: str) -> bytes:
    """The downloadable template: the import columns, three example rows and (XLSX) a notes sheet."""
    return _write(fmt, _l("Soal"), [_row_of(s) for s in _EXAMPLES], notes=True)


def _write(fmt: str, title, rows: list[list], notes: bool = False) -> bytes:
    headers = [c.title for c in COLUMNS]
    if fmt == "csv":
        return csv_bytes(headers, rows)
    sheets = [(str(title), headers, rows, _WIDTHS)]
    if notes:
        sheets.append((str(_l("Petunjuk")), [str(_l("Kolom")), str(_l("Wajib")), str(_l("Nama lain")),
                                            str(_l("Keterangan"))],
                       [[c.title, str(_l("ya") if c.required else _l("tidak")), ", ".join(c.aliases), c.description]
                        for c in COLUMNS], (16, 8, 36, 80)))
    return xlsx_bytes(sheets)


# --- import --------------------------------------------------------------------------------

def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_row(cells: list, table: Table) -> tuple[QuestionSpec | None, list[tuple[str, str, object]]]:
    """A row → (spec, []) or (None, [(column, value, message)])."""
    errors: list[tuple[str, str, object]] = [(_TITLE.get(key, key), value, message)
                                             for key, value, message in cell_errors(cells, table)]
    raw: dict[str, str] = {}
    refused = {column for column, _, _ in errors}
    for key, index in table.positions.items():
        if _TITLE[key] in refused:
            raw[key] = ""
            continue
        text = _cell(cells[index] if index < len(cells) else None)
        if looks_like_formula(text):
            errors.append((_TITLE[key], text, _l(
                "Isi sel diawali karakter rumus (=, +, -, @) dan ditolak demi keamanan. Hapus karakter tersebut.")))
            text = ""
        raw[key] = text
    reported = {column for column, _, _ in errors}  # formula cells, already explained
    kind = grading.kind_named(raw.get("type", ""))
    if kind is None and "Tipe" not in reported:
        errors.append(("Tipe", raw.get("type", ""), _l(
            "Tipe soal \u201c%(value)s\u201d tidak dikenal; isi single, multiple atau true_false.",
            value=raw["type"]) if raw.get("type") else _l("Tipe soal wajib diisi.")))
    options = [raw.get(f"option_{letter}", "") for letter in LETTERS]
    filled = len(options) - next((i for i, t in enumerate(reversed(options)) if t), len(options))
    for i in range(filled):
        if not options[i] and f"Pilihan {LETTERS[i]}" not in reported:
            errors.append((f"Pilihan {LETTERS[i]}", "", _l(
                "Pilihan %(letter)s kosong padahal pilihan sesudahnya terisi; isi pilihan berurutan dari A.",
                letter=LETTERS[i])))
    chosen, answer_errors = _parse_answer(raw.get("answer", ""), filled)
    if "Jawaban" not in reported:
        errors.extend(("Jawaban", raw.get("answer", ""), message) for message in answer_errors)
    if errors:
        return None, errors
    spec = make_spec(kind.name, raw.get("text", ""), [(t, i in chosen) for i, t in enumerate(options[:filled])],
                     raw.get("tag", ""), raw.get("explanation", ""), raw.get("basis", ""))
    problems = check_question(spec)
    if problems:
        value = {"text": spec.text, "tag": spec.tag, "basis": spec.basis, "correct": raw.get("answer", "")}
        return None, [(_FIELD_COLUMN[f], value.get(f, ""), message) for f, message in problems]
    return spec, []


def _parse_answer(answer: str, filled: int) -> tuple[set[int], list[object]]:
    if not answer:
        return set(), [_l("Jawaban wajib diisi: huruf pilihan yang benar, mis. A atau A,C.")]
    chosen, errors = set(), []
    for part in (p for p in re.split(r"[\s,;/]+", answer.upper()) if p):
        if len(part) != 1 or part not in LETTERS:
            errors.append(_l("Jawaban \u201c%(value)s\u201d tidak dikenal; tulis huruf pilihan, mis. A atau A,C.",
                             value=part))
        elif LETTERS.index(part) >= filled:
            errors.append(_l("Jawaban %(letter)s menunjuk pilihan yang kosong.", letter=part))
        else:
            chosen.add(LETTERS.index(part))
    return chosen, errors


def plan_import(course: Course, filename: str, data: bytes) -> ImportPlan:
    """Read and check every row and compare it with the bank; write nothing (the dry run).

    The plan's ``new`` holds :class:`QuestionSpec` and its ``updates`` (question id, spec,
    reactivated) for questions of the bank that the file changes. Raises InvalidInput when the
    file as a whole cannot be read (type, encoding, headers).
    """
    try:
        table = read_table(filename, data, COLUMNS, max_rows=MAX_IMPORT_ROWS)
        plan = ImportPlan()
        plan.describe(table)
        existing: dict[str, Question] = {}
        for question in db.session.scalars(questions_query(course, active=None)):
            existing.setdefault(question_key(question.type.value, question.text), question)
        seen: dict[str, int] = {}
        for number, cells in table.rows:
            plan.total_rows += 1
            if plan.total_rows > MAX_IMPORT_ROWS:
                raise InvalidInput(_l("Berkas berisi lebih dari %(n)d soal; bagi menjadi beberapa berkas.",
                                      n=MAX_IMPORT_ROWS))
            _plan_row(plan, number, cells, table, existing, seen)
    except TabularFileError as exc:
        raise InvalidInput(exc.message) from None
    if plan.total_rows == 0:
        raise InvalidInput(_l("Berkas tidak berisi baris soal di bawah baris judul."))
    return plan


def _plan_row(plan: ImportPlan, number: int, cells: list, table: Table,
              existing: dict[str, Question], seen: dict[str, int]) -> None:
    spec, errors = _parse_row(cells, table)
    if spec is None:
        plan.errors.extend(RowError(number, column, visible(value)[:80], str(message))
                           for column, value, message in errors)
        return
    if spec.key in seen:
        plan.errors.append(RowError(number, "Soal", spec.text[:80], str(_l(
            "Soal dengan tipe dan teks yang sama sudah ada di baris %(row)d.", row=seen[spec.key]))))
        return
    seen[spec.key] = number
    current = existing.get(spec.key)
    if current is None:
        plan.new.append(spec)
        status = "baru"
    elif spec_of(current) == spec and current.active:
        plan.unchanged += 1
        status = "tetap"
    else:
        plan.updates.append((current.id, spec, not current.active))
        status = "ubah" if current.active else "aktifkan"
    if len(plan.preview) < 20:
        plan.preview.append({"row": number, "status": status, "type": spec.type, "tag": spec.tag, "text": spec.text})


def apply_import(actor: Person | None, course: Course, plan: ImportPlan) -> ImportResult:
    """Write a clean plan in the caller's transaction; refuse a plan with any error."""
    if not plan.ok:
        raise InvalidInput(_l("Impor dibatalkan: masih ada %(n)d kesalahan; tidak ada soal yang disimpan.",
                              n=len(plan.errors)))
    for spec in plan.new:
        question = Question(course_id=course.id, active=True)
        _fill(question, spec)
        db.session.add(question)
    for question_id, spec, _ in plan.updates:
        question = get_question(course, question_id)
        _fill(question, spec)
        question.active = True
    db.session.flush()
    audit.record(actor, "quiz.bank.import", f"course:{course.id}", created=len(plan.new),
                 updated=len(plan.updates), unchanged=plan.unchanged)
    return ImportResult(created=len(plan.new), updated=len(plan.updates), unchanged=plan.unchanged)


# --- settings ------------------------------------------------------------------------------

#: Allowed range of each numeric setting, and its name in messages.
SETTING_RANGES = {
    "question_count": (1, 200, _l("Jumlah soal")),
    "min_per_tag": (0, 50, _l("Minimal soal per modul")),
    "pass_mark": (0, 100, _l("Nilai lulus")),
    "max_attempts": (0, 50, _l("Batas percobaan")),
    "time_limit_minutes": (0, 600, _l("Batas waktu")),
    "cooldown_minutes": (0, 10080, _l("Jeda antarpercobaan")),
    "grace_seconds": (0, 600, _l("Toleransi keterlambatan")),
    "max_extra_attempts": (0, 20, _l("Batas tambahan percobaan")),
}


def course_of(program: Program) -> int:
    """Id of the course whose bank the program's quiz draws from."""
    return program.course_version.course_id


def draw_shortfalls(program: Program, settings: QuizSettings | None = None) -> list[tuple[str, object]]:
    """Why the program's quiz cannot be drawn from its bank as set; empty when it can."""
    settings = settings or settings_for(program)
    return shortfalls(bank_by_tag(course_of(program)), settings.question_count, settings.per_tag or {},
                      settings.min_per_tag or 0)


def save_settings(actor: Person | None, program: Program, question_count: int, per_tag: dict[str, int],
                  pass_mark: int, max_attempts: int, time_limit_minutes: int, cooldown_minutes: int,
                  grace_seconds: int, review_mode: str, pretest_enabled: bool,
                  review_after_last_attempt: bool = False, min_per_tag: int = 1,
                  max_extra_attempts: int | None = None) -> QuizSettings:
    """Set how the program's quiz is drawn, timed and passed; refused when the bank cannot supply the draw."""
    current = db.session.get(QuizSettings, program.id)
    if max_extra_attempts is None:  # callers that do not manage grants keep what is stored
        max_extra_attempts = current.max_extra_attempts if current is not None else 3
    values = {"question_count": question_count, "min_per_tag": min_per_tag, "pass_mark": pass_mark,
              "max_attempts": max_attempts,
              "time_limit_minutes": time_limit_minutes, "cooldown_minutes": cooldown_minutes,
              "grace_seconds": grace_seconds, "max_extra_attempts": max_extra_attempts}
    problems: list[tuple[str, object]] = []
    for name, value in values.items():
        low, high, label = SETTING_RANGES[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append((name, _l("%(field)s harus bilangan bulat antara %(min)d dan %(max)d.",
                                      field=label, min=low, max=high)))
    clean_tags: dict[str, int] = {}
    for tag, count in (per_tag or {}).items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            problems.append(("per_tag", _l("Jumlah soal untuk tag \u201c%(tag)s\u201d harus 0 atau lebih.",
                                           tag=tag or "-")))
        elif count:
            clean_tags[str(tag).strip()] = count
    try:
        mode = ReviewMode(review_mode)
    except ValueError:
        problems.append(("review_mode", _l("Pilihan pembahasan tidak dikenal.")))
    if not problems:
        problems = shortfalls(bank_by_tag(course_of(program)), question_count, clean_tags, min_per_tag)
    if problems:
        raise FieldErrors(problems)
    settings = current or QuizSettings(program_id=program.id)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.per_tag = clean_tags
    settings.review_mode = mode
    settings.pretest_enabled = bool(pretest_enabled)
    settings.review_after_last_attempt = bool(review_after_last_attempt)
    db.session.add(settings)
    db.session.flush()
    audit.record(actor, "quiz.settings", f"program:{program.id}", **values, per_tag=clean_tags,
                 review_mode=mode.value, pretest_enabled=bool(pretest_enabled),
                 review_after_last_attempt=bool(review_after_last_attempt))
    return settings


# --- admin lists ---------------------------------------------------------------------------

def active_counts() -> dict[int, int]:
    """Number of active questions per course id."""
    return dict(db.session.execute(select(Question.course_id, func.count(Question.id))
                                   .where(Question.active.is_(True)).group_by(Question.course_id)).tuples().all())


def programs_using(actor: Person, course: Course) -> list[Program]:
    """The programs the admin manages whose quiz draws from this course's bank."""
    return [p for p in program_services.programs_for_admin(actor) if p.course_version.course_id == course.id]
