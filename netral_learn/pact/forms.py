"""Forms of the pact feature."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import select_choices
from ..core.ids import coerce_id
from .templates_admin import MAX_CLAUSES


class SignForm(FlaskForm):
    typed_name = StringField(_l("Ketik nama lengkap Anda"), validators=[DataRequired(_l("Ketik nama lengkap Anda.")), Length(max=200)])
    drawn_signature = HiddenField()
    password = PasswordField(_l("Kata sandi akun"), validators=[DataRequired(_l("Masukkan kata sandi Anda."))])


class WitnessForm(SignForm):
    text_sha256 = HiddenField(validators=[DataRequired()])


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Alasan pencabutan"), validators=[DataRequired(_l("Tuliskan alasan pencabutan.")), Length(max=1000)])


class PactRevokeForm(RevokeForm):
    """Revoking a pact revokes its certificate too unless the admin explicitly keeps it."""

    certificate = RadioField(_l("Sertifikat program ini"), default="revoke", validate_choice=False, choices=select_choices([
        ("revoke", _l("Cabut juga sertifikatnya dengan alasan yang sama")),
        ("keep", _l("Biarkan sertifikat tetap berlaku (pilihan khusus; dicatat di log audit)"))]))

    @property
    def certificate_too(self) -> bool:
        return self.certificate.data != "keep"


# --- admin ---------------------------------------------------------------------------------

class NewTemplateForm(FlaskForm):
    """A new instansi pact template: empty, or a copy of the bundled default's latest text."""

    instansi = SelectField(_l("Instansi"), coerce=coerce_id, validate_choice=True)
    title = StringField(_l("Judul pakta"), validators=[Optional(), Length(max=200)])
    copy_default = BooleanField(_l("Mulai dari salinan teks pakta bawaan"), default=True)


class ClauseForm(Form):
    """One clause row of the version editor (part of PactVersionForm, which carries the CSRF token)."""

    text = TextAreaField(_l("Teks butir"), validators=[Optional(), Length(max=4000)])
    requires_agreement = BooleanField(_l("Penanda tangan wajib mencentang butir ini"), default=True)


class PactVersionForm(FlaskForm):
    title = StringField(_l("Judul pakta"), validators=[DataRequired(_l("Judul pakta wajib diisi.")), Length(max=200)])
    opening = TextAreaField(_l("Pembukaan"), validators=[Optional(), Length(max=10_000)])
    clauses = FieldList(FormField(ClauseForm), min_entries=1, max_entries=MAX_CLAUSES)
    closing = TextAreaField(_l("Penutup"), validators=[Optional(), Length(max=10_000)])
    legal_footer = TextAreaField(_l("Dasar hukum (kaki pakta)"), validators=[Optional(), Length(max=10_000)])
    add_clause = SubmitField(_l("Tambah butir"))
    save = SubmitField(_l("Simpan draf"))


class WitnessRowForm(Form):
    """One witness row of ProgramPactForm: an account and what they sign as."""

    person = SelectField(_l("Akun saksi"), coerce=coerce_id, validate_choice=True)
    capacity = StringField(_l("Menandatangani sebagai"), validators=[Optional(), Length(max=200)])


class ProgramPactForm(FlaskForm):
    version = SelectField(_l("Versi pakta"), coerce=coerce_id, validate_choice=True)
    witnesses = FieldList(FormField(WitnessRowForm), min_entries=1, max_entries=10)
    add_witness = SubmitField(_l("Tambah baris saksi"))
    save = SubmitField(_l("Simpan pengaturan pakta"))


class NewWitnessForm(FlaskForm):
    name = StringField(_l("Nama lengkap saksi"), validators=[DataRequired(_l("Nama saksi wajib diisi.")), Length(max=200)])
    identifier = StringField(_l("ID login"), validators=[DataRequired(_l("ID login wajib diisi.")), Length(max=32)])
    capacity = StringField(_l("Menandatangani sebagai"),
                           validators=[DataRequired(_l("Isi kapasitas saksi.")), Length(max=200)])
