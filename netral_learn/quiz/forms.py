"""Forms of the quiz admin pages (CSRF through Flask-WTF on every POST form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..core.forms import select_choices
from . import bank, grading
from .models import Question, ReviewMode

TYPE_CHOICES = [(k.name, k.label) for k in grading.KINDS.values()]
REVIEW_LABELS = {
    ReviewMode.IMMEDIATELY: _l("Langsung setelah kuis dikirim"),
    ReviewMode.AFTER_PASS: _l("Setelah peserta lulus"),
    ReviewMode.NEVER: _l("Tidak pernah"),
}
_NUMBER = _l("Isi dengan bilangan bulat.")


def attach_problems(form: FlaskForm, problems, aliases: dict[str, str], fallback: str) -> None:
    """Show a service's (field, message) problems under the fields they name.

    Messages for a list of subforms (the options) are kept in ``form.list_errors[name]``.
    """
    form.list_errors = getattr(form, "list_errors", {})
    for name, message in problems:
        name = aliases.get(name, name)
        field = getattr(form, name, None) or getattr(form, fallback)
        if isinstance(field, FieldList):
            form.list_errors.setdefault(name, []).append(message)
        else:
            field.errors = [*field.errors, message]


class OptionForm(Form):
    """One answer option inside :class:`QuestionForm` (its CSRF token is the parent's)."""

    text = StringField(_l("Teks pilihan"), validators=[Optional(), Length(max=500)])
    correct = BooleanField(_l("Jawaban benar"))


class QuestionForm(FlaskForm):
    type = SelectField(_l("Tipe soal"), choices=select_choices(TYPE_CHOICES))
    tag = StringField(_l("Tag / topik"), validators=[Optional(), Length(max=80)])
    text = TextAreaField(_l("Teks soal"), validators=[DataRequired(_l("Teks soal wajib diisi.")),
                                                      Length(max=bank.MAX_TEXT)])
    options = FieldList(FormField(OptionForm), min_entries=len(bank.LETTERS), max_entries=len(bank.LETTERS))
    explanation = TextAreaField(_l("Penjelasan (ditampilkan pada pembahasan)"), validators=[Optional(),
                                                                                         Length(max=4000)])
    basis = StringField(_l("Dasar hukum"), validators=[Optional(), Length(max=300)])
    preview = SubmitField(_l("Pratinjau"))
    save = SubmitField(_l("Simpan soal"))

    def spec(self) -> bank.QuestionSpec:
        return bank.make_spec(self.type.data, self.text.data, [(o.text.data, o.correct.data) for o in self.options],
                              self.tag.data, self.explanation.data, self.basis.data)

    def load(self, question: Question) -> None:
        """Fill the form from a stored question (GET of the edit page)."""
        spec = bank.spec_of(question)
        self.type.data, self.text.data, self.tag.data = spec.type, spec.text, spec.tag
        self.explanation.data, self.basis.data = spec.explanation, spec.basis
        for entry, (text, correct) in zip(self.options, spec.options, strict=False):
            entry.text.data, entry.correct.data = text, correct

    def show_problems(self, problems) -> None:
        """Attach a service's (field, message) problems to the fields; option problems go with the options."""
        attach_problems(self, problems, {"correct": "options"}, "text")


class QuestionFilterForm(FlaskForm):
    """Filters of the bank list (GET, so no CSRF)."""

    class Meta:
        csrf = False

    tag = SelectField(_l("Tag"), validators=[Optional()], validate_choice=False)
    type = SelectField(_l("Tipe"), choices=select_choices([("", _l("Semua tipe")), *TYPE_CHOICES]),
                       validators=[Optional()])
    status = SelectField(_l("Status"), choices=select_choices([("active", _l("Aktif")), ("inactive", _l("Nonaktif")),
                                                              ("all", _l("Semua"))]),
                         default="active", validators=[Optional()])


class BankUploadForm(FlaskForm):
    file = FileField(
        _l("Berkas soal (XLSX atau CSV)"),
        validators=[
            FileRequired(_l("Pilih berkas soal terlebih dahulu.")),
            FileAllowed(["csv", "xlsx"], _l("Jenis berkas tidak didukung: unggah .csv atau .xlsx.")),
        ],
    )


class BankApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class TagCountForm(Form):
    """Questions drawn from one tag, inside :class:`QuizSettingsForm`."""

    tag = HiddenField()
    count = IntegerField(_l("Jumlah soal"), validators=[Optional()], default=0, invalid_value_message=_NUMBER)


def _number(label) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(_NUMBER)], invalid_value_message=_NUMBER)


class QuizSettingsForm(FlaskForm):
    question_count = _number(_l("Jumlah soal per percobaan"))
    min_per_tag = _number(_l("Minimal soal dari tiap modul"))
    per_tag = FieldList(FormField(TagCountForm))
    pass_mark = _number(_l("Nilai lulus (0–100)"))
    max_attempts = _number(_l("Batas percobaan (0 = tanpa batas)"))
    #: Optional: left empty, the stored limit stays.
    max_extra_attempts = IntegerField(_l("Tambahan percobaan yang boleh diberikan per pegawai (0 = tidak boleh)"),
                                      validators=[Optional()], invalid_value_message=_NUMBER)
    time_limit_minutes = _number(_l("Batas waktu dalam menit (0 = tanpa batas waktu)"))
    cooldown_minutes = _number(_l("Jeda sebelum mencoba lagi, dalam menit"))
    grace_seconds = _number(_l("Toleransi pengiriman setelah batas waktu, dalam detik"))
    review_mode = SelectField(_l("Pembahasan jawaban ditampilkan"),
                              choices=select_choices((m.value, REVIEW_LABELS[m]) for m in ReviewMode))
    review_after_last_attempt = BooleanField(_l("Tampilkan juga pembahasan setelah percobaan terakhir yang tidak lulus"))
    pretest_enabled = BooleanField(_l("Adakan pra-tes (tidak menentukan kelulusan)"))

    NUMBERS = ("question_count", "min_per_tag", "pass_mark", "max_attempts", "max_extra_attempts", "time_limit_minutes",
               "cooldown_minutes", "grace_seconds")

    def values(self) -> dict:
        """The form as keyword arguments of :func:`bank.save_settings`."""
        return {
            **{name: getattr(self, name).data for name in self.NUMBERS},
            "per_tag": {entry.tag.data or "": entry.count.data or 0 for entry in self.per_tag},
            "review_mode": self.review_mode.data,
            "pretest_enabled": self.pretest_enabled.data,
            "review_after_last_attempt": self.review_after_last_attempt.data,
        }

    def load(self, settings, tags: list[str]) -> None:
        """Fill the form from stored settings, with one row per tag of the bank."""
        for name in self.NUMBERS:
            getattr(self, name).data = getattr(settings, name)
        self.review_mode.data = ReviewMode(settings.review_mode).value
        self.pretest_enabled.data = settings.pretest_enabled
        self.review_after_last_attempt.data = bool(settings.review_after_last_attempt)
        per_tag = settings.per_tag or {}
        for tag in sorted(set(tags) | set(per_tag)):
            self.per_tag.append_entry({"tag": tag, "count": per_tag.get(tag, 0)})

    def show_problems(self, problems) -> None:
        attach_problems(self, problems, {}, "question_count")
