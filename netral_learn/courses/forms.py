"""Forms of the course and program admin pages (CSRF through Flask-WTF on every POST form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.forms import JENIS_CHOICES
from ..core.forms import select_choices
from ..accounts.models import Jenis
from ..core.ids import coerce_id
from .authoring import MAX_MINUTES


def _title_field(label):
    return StringField(label, validators=[DataRequired(_l("Judul wajib diisi.")), Length(max=200)])


class CourseForm(FlaskForm):
    """A new course, or a copy of a published version as a new course."""

    instansi = SelectField(_l("Pemilik"), coerce=coerce_id, validate_choice=True)
    title = _title_field(_l("Judul kursus"))
    summary = TextAreaField(_l("Ringkasan"), validators=[Optional(), Length(max=2000)])


class VersionForm(FlaskForm):
    title = _title_field(_l("Judul kursus"))
    summary = TextAreaField(_l("Ringkasan"), validators=[Optional(), Length(max=2000)])
    legal_basis_as_of = DateField(_l("Materi per tanggal"), validators=[Optional()])
    review_note = TextAreaField(_l("Catatan dasar hukum"), validators=[Optional(), Length(max=2000)])


class NewModuleForm(FlaskForm):
    title = _title_field(_l("Judul modul baru"))


class ModuleForm(FlaskForm):
    title = _title_field(_l("Judul modul"))
    body_md = TextAreaField(_l("Isi (Markdown)"), validators=[Optional(), Length(max=200_000)])
    minutes = IntegerField(_l("Perkiraan waktu baca (menit)"),
                           validators=[Optional(), NumberRange(1, MAX_MINUTES)])
    min_reading_minutes = IntegerField(_l("Waktu baca minimum (menit, 0 = tidak ada)"),
                                       validators=[Optional(), NumberRange(0, MAX_MINUTES)])
    preview = SubmitField(_l("Pratinjau"))
    save = SubmitField(_l("Simpan"))


class AttachmentForm(FlaskForm):
    file = FileField(_l("Berkas lampiran"), validators=[FileRequired(_l("Pilih berkas terlebih dahulu."))])


class ReviewForm(FlaskForm):
    reviewed_on = DateField(_l("Tanggal peninjauan"), validators=[DataRequired(_l("Isi tanggal peninjauan."))])
    reviewer = StringField(_l("Ditinjau oleh"), validators=[DataRequired(_l("Isi nama peninjau.")), Length(max=200)])
    sources = TextAreaField(_l("Sumber yang diperiksa"), validators=[
        DataRequired(_l("Sebutkan sumber yang diperiksa beserta tautan JDIH-nya.")), Length(max=16000)])
    note = TextAreaField(_l("Catatan"), validators=[Optional(), Length(max=2000)])


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProgramForm(FlaskForm):
    instansi = SelectField(_l("Instansi"), coerce=coerce_id, validate_choice=True)
    title = _title_field(_l("Judul program"))
    description = TextAreaField(_l("Keterangan"), validators=[Optional(), Length(max=4000)])
    version = SelectField(_l("Kursus (versi terbit)"), coerce=coerce_id, validate_choice=True)
    #: New programs only: copy the quiz settings and the pact of an earlier program (0: none).
    earlier = SelectField(_l("Salin pengaturan kuis dan pakta dari program"), coerce=coerce_id, default=0,
                          validate_choice=True)
    starts_on = DateField(_l("Mulai"), validators=[DataRequired(_l("Isi tanggal mulai."))])
    ends_on = DateField(_l("Selesai"), validators=[DataRequired(_l("Isi tanggal selesai."))])
    targets = SelectMultipleField(_l("Unit sasaran"), coerce=coerce_id,
                                  validators=[DataRequired(_l("Pilih paling sedikit satu unit sasaran."))])
    jenis = CheckboxesField(_l("Jenis pegawai sasaran"),
                            choices=select_choices(c for c in JENIS_CHOICES if c[0]),
                            default=[j.value for j in Jenis],
                            validators=[DataRequired(_l("Pilih paling sedikit satu jenis pegawai sasaran."))])
