"""Forms of the certificate admin pages (CSRF through Flask-WTF on every POST form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..core.ids import coerce_id
from .settings import MAX_JP, MAX_TEMPLATE


class SettingsForm(FlaskForm):
    number_pattern = StringField(_l("Pola nomor sertifikat"),
                                 validators=[DataRequired(_l("Pola nomor wajib diisi.")), Length(max=120)])
    place = StringField(_l("Tempat terbit"), validators=[Optional(), Length(max=100)])
    agency_name = StringField(_l("Nama badan kepegawaian"), validators=[Optional(), Length(max=200)])
    signer_title = StringField(_l("Jabatan penanda tangan"), validators=[Optional(), Length(max=200)])
    signer_name = StringField(_l("Nama penanda tangan"), validators=[Optional(), Length(max=200)])
    signer_nip = StringField(_l("NIP penanda tangan"), validators=[Optional(), Length(max=32)])
    signer_rank = StringField(_l("Pangkat penanda tangan"), validators=[Optional(), Length(max=100)])
    jp = IntegerField(_l("Jam pelajaran (JP)"), default=0, validators=[
        InputRequired(_l("Isi jumlah jam pelajaran (0 bila tidak dicetak).")),
        NumberRange(0, MAX_JP, _l("Jam pelajaran harus antara 0 dan %(max)s."))])
    logo = FileField(_l("Logo instansi (PNG atau JPEG, maks. 2 MB)"))
    remove_logo = BooleanField(_l("Hapus logo"))
    signature = FileField(_l("Pindaian tanda tangan (PNG atau JPEG, maks. 2 MB)"))
    remove_signature = BooleanField(_l("Hapus gambar tanda tangan"))


class TemplateForm(FlaskForm):
    template_html = TextAreaField(_l("Templat HTML/CSS"), validators=[
        DataRequired(_l("Templat tidak boleh kosong.")), Length(max=MAX_TEMPLATE)])


class InstansiForm(FlaskForm):
    """The superadmin's choice of instansi (GET, so no CSRF)."""

    class Meta:
        csrf = False

    instansi = SelectField(_l("Instansi"), coerce=coerce_id, validate_choice=False)


class BulkFilterForm(FlaskForm):
    """Program and unit of the bulk download page (GET, so no CSRF)."""

    class Meta:
        csrf = False

    program = SelectField(_l("Program"), coerce=coerce_id, validate_choice=False)
    unit = SelectField(_l("Unit kerja"), coerce=str, validate_choice=False)
