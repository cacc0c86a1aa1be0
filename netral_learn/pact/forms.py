"""Forms of the pact feature."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class SignForm(FlaskForm):
    typed_name = StringField(_l("Ketik nama lengkap Anda"), validators=[DataRequired(_l("Ketik nama lengkap Anda.")), Length(max=200)])
    drawn_signature = HiddenField()
    password = PasswordField(_l("Kata sandi akun"), validators=[DataRequired(_l("Masukkan kata sandi Anda."))])


class WitnessForm(SignForm):
    text_sha256 = HiddenField(validators=[DataRequired()])


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Alasan pencabutan"), validators=[DataRequired(_l("Tuliskan alasan pencabutan.")), Length(max=1000)])
