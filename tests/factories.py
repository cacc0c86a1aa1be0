"""Test factories: a unit tree, a person, in one call each (committed, so HTTP sees them)."""
from __future__ import annotations

import itertools
import random
from datetime import date

from netral_learn.accounts import passwords
from netral_learn.accounts.models import Jenis, Person, Role, Unit
from netral_learn.accounts.units import create_unit
from netral_learn.extensions import db

_counter = itertools.count(1)


_HASHES: dict[tuple, str] = {}


def _hash_of(password: str) -> str:
    """argon2 takes ~0.1 s a hash: people made with the same password and hash settings share one."""
    from flask import current_app

    key = (password, *(current_app.config.get(name) for name in ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST",
                                                                   "ARGON2_PARALLELISM")))
    if key not in _HASHES:
        _HASHES[key] = passwords.hash_password(password)
    return _HASHES[key]


def make_nip(seq: int | None = None, jenis: str = "PNS", born: date = date(1985, 6, 15)) -> str:
    """A valid NIP (or NI PPPK) that differs by its sequence number."""
    seq = seq if seq is not None else next(_counter)
    rng = random.Random(seq)
    gender = str(rng.randint(1, 2))
    day = born.replace(day=1 + seq % 28)
    if jenis == "PPPK":
        return f"{day:%Y%m%d}2021{21}{gender}{seq % 999 + 1:03d}"
    return f"{day:%Y%m%d}2010{(seq % 12) + 1:02d}{gender}{seq % 999 + 1:03d}"


class Factory:
    PASSWORD = "Kuat#Sandi-2026"

    def __init__(self, app):
        self.app = app

    def _commit(self, obj):
        with self.app.app_context():
            db.session.add(obj)
            db.session.commit()
            db.session.refresh(obj)
            db.session.expunge(obj)
        return obj

    def unit(self, name: str | None = None, parent: Unit | None = None, **kwargs) -> Unit:
        with self.app.test_request_context():
            parent_obj = db.session.get(Unit, parent.id) if parent else None
            unit = create_unit(None, parent_obj, name or f"Unit {next(_counter)}",
                               timezone=kwargs.get("timezone", "Asia/Makassar"), code=kwargs.get("code"))
            db.session.commit()
            db.session.refresh(unit)
            db.session.expunge(unit)
            return unit

    def tree(self) -> dict[str, Unit]:
        """Instansi → two OPDs → one sub-unit each, plus a second instansi."""
        root = self.unit("Pemerintah Kabupaten Uji")
        dinas_a = self.unit("Dinas Pendidikan", root)
        dinas_b = self.unit("Dinas Kesehatan", root)
        sub_a = self.unit("Sekretariat", dinas_a)
        sub_b = self.unit("Sekretariat", dinas_b)
        other = self.unit("Pemerintah Kota Lain")
        other_opd = self.unit("Inspektorat", other)
        return {"root": root, "a": dinas_a, "b": dinas_b, "a1": sub_a, "b1": sub_b,
                "other": other, "other_opd": other_opd}

    def person(self, unit: Unit, *, role: Role = Role.PARTICIPANT, scope: Unit | None = None,
               password: str | None = PASSWORD, jenis: Jenis = Jenis.PNS, nip: str | None = None,
               name: str | None = None, **fields) -> Person:
        jenis = Jenis(jenis)
        role = Role(role)
        with self.app.test_request_context():
            person = Person(
                nip=nip or (make_nip(jenis=jenis.value) if jenis != Jenis.NON_ASN else f"TKK-{next(_counter):05d}"),
                name=name or f"Pegawai {next(_counter)}",
                jenis=jenis, unit_id=unit.id, role=role,
                scope_unit_id=scope.id if scope else None,
                **fields,
            )
            if password:
                person.password_hash = _hash_of(password)
                person.must_change_password = False
            else:
                person.initial_password_enc = passwords.encrypt_initial(passwords.generate_initial_password())
            db.session.add(person)
            db.session.commit()
            db.session.refresh(person)
            db.session.expunge(person)
            return person

    def get(self, model, id_):
        with self.app.app_context():
            obj = db.session.get(model, id_)
            if obj is not None:
                db.session.refresh(obj)
                db.session.expunge(obj)
            return obj


def add_course_factories():
    """Course and program factories (kept apart so accounts tests need no courses import)."""
    from datetime import timedelta

    from netral_learn.core.clock import now_utc
    from netral_learn.courses.models import Course, CourseVersion, Module, VersionStatus
    from netral_learn.courses.programs import create_program

    def course(self, modules: int = 3, slug: str | None = None, status=VersionStatus.PUBLISHED):
        with self.app.test_request_context():
            course = Course(slug=slug or f"kursus-{next(_counter)}")
            version = CourseVersion(number=1, status=status, title="Netralitas ASN", summary="Ringkas.",
                                    legal_basis_as_of=now_utc().date())
            version.modules = [Module(position=i, slug=f"m{i}", title=f"Modul Uji {i + 1}",
                                      body_md=f"## Bagian {i + 1}\n\nIsi modul {i + 1}.", minutes=5)
                               for i in range(modules)]
            course.versions.append(version)
            db.session.add(course)
            db.session.commit()
            return version.id

    def program(self, instansi: Unit, version_id: int, targets=None, jenis=None, published=True,
                days_open=(-1, 30), title="Sosialisasi Netralitas Uji"):
        with self.app.test_request_context():
            today = now_utc().date()
            version = db.session.get(CourseVersion, version_id)
            program = create_program(
                None, db.session.get(Unit, instansi.id), title=title, version=version,
                starts_on=today + timedelta(days=days_open[0]), ends_on=today + timedelta(days=days_open[1]),
                targets=[db.session.get(Unit, u.id) for u in (targets or [instansi])],
                jenis=set(jenis or Jenis), published=published)
            db.session.commit()
            return program.id

    Factory.course = course
    Factory.program = program


add_course_factories()


def add_quiz_factories():
    from netral_learn.courses.models import CourseVersion
    from netral_learn.quiz.models import Question, QuestionOption, QuestionType, QuizSettings

    def bank(self, version_id: int, count: int = 12, tags=("dasar", "sanksi")) -> list[int]:
        """Questions for the version's course: single choice with option 0 correct, a few of every type."""
        with self.app.test_request_context():
            course_id = db.session.get(CourseVersion, version_id).course_id
            ids = []
            for i in range(count):
                kind = [QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE][i % 3]
                texts = ["Benar", "Salah"] if kind == QuestionType.TRUE_FALSE else [f"Pilihan {c}" for c in "ABCD"]
                correct = {0, 1} if kind == QuestionType.MULTIPLE else {0}
                question = Question(course_id=course_id, type=kind, tag=tags[i % len(tags)],
                                    text=f"Soal nomor {i + 1}?", explanation=f"Penjelasan {i + 1}.", basis="PP 94/2021")
                question.options = [QuestionOption(position=p, text=t, is_correct=p in correct)
                                    for p, t in enumerate(texts)]
                db.session.add(question)
                db.session.flush()
                ids.append(question.id)
            db.session.commit()
            return ids

    def quiz_settings(self, program_id: int, **values):
        with self.app.test_request_context():
            settings = db.session.get(QuizSettings, program_id) or QuizSettings(program_id=program_id)
            defaults = dict(question_count=5, per_tag={}, pass_mark=70, max_attempts=3, time_limit_minutes=20,
                            cooldown_minutes=0, grace_seconds=60, review_mode="after_pass", pretest_enabled=False)
            for key, value in {**defaults, **values}.items():
                setattr(settings, key, value)
            db.session.add(settings)
            db.session.commit()

    Factory.bank = bank
    Factory.quiz_settings = quiz_settings


add_quiz_factories()


def add_pact_factories():
    from netral_learn.pact.models import PactTemplate, PactTemplateVersion, ProgramPact, ProgramWitness

    def pact_template(self) -> int:
        """The default pact, published, with three clauses (two needing agreement)."""
        with self.app.test_request_context():
            template = PactTemplate(slug="pakta-netralitas")
            template.versions.append(PactTemplateVersion(
                number=1, published=True, title="Pakta Integritas Netralitas ASN",
                opening="Saya yang bertanda tangan di bawah ini, {nama}, NIP {nip}, {jabatan} pada {unit}, {instansi}:",
                clauses=[{"text": "Menjaga netralitas sebelum, selama, dan sesudah pemilihan.", "requires_agreement": True},
                         {"text": "Tidak menggunakan fasilitas negara untuk kepentingan peserta pemilihan.",
                          "requires_agreement": True},
                         {"text": "Pakta ini dibuat dalam rangka {program}.", "requires_agreement": False}],
                closing="{tempat}, {tanggal}", legal_footer="UU 20/2023; PP 94/2021; SKB 2022."))
            db.session.add(template)
            db.session.commit()
            return template.versions[0].id

    def witnesses(self, program_id: int, version_id: int, people) -> None:
        with self.app.test_request_context():
            pact = ProgramPact(program_id=program_id, template_version_id=version_id)
            db.session.add(pact)
            db.session.flush()
            for index, (person, capacity) in enumerate(people):
                db.session.add(ProgramWitness(program_id=program_id, person_id=person.id, capacity=capacity,
                                              position=index))
            db.session.commit()

    Factory.pact_template = pact_template
    Factory.witnesses = witnesses


add_pact_factories()
