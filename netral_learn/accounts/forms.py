"""Forms of the accounts feature (CSRF through Flask-WTF on every POST form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


from ..core.forms import select_choices
from ..core.ids import coerce_id
from .models import Jenis, Role


ROLE_LABELS = {
    Role.PARTICIPANT: _l("Peserta"),
    Role.WITNESS: _l("Saksi"),
    Role.OPERATOR: _l("Operator OPD"),
    Role.ADMIN: _l("Admin BKPSDM"),
    Role.SUPERADMIN: _l("Superadmin"),
}


class LoginForm(FlaskForm):
    nip = StringField(_l("NIP / ID Pegawai"), validators=[DataRequired(_l("NIP atau ID wajib diisi.")), Length(max=40)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(_l("Kata sandi wajib diisi.")), Length(max=128)])
    remember = BooleanField(_l("Ingat saya di perangkat ini"), default=False)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Kata sandi saat ini"), validators=[DataRequired(_l("Isi kata sandi saat ini."))])
    new = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(_l("Isi kata sandi baru.")), Length(max=128)])
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[DataRequired(_l("Ulangi kata sandi baru.")), EqualTo("new", _l("Kedua kata sandi baru tidak sama."))],
    )


class SetPasswordForm(FlaskForm):
    """A new password typed by its owner: on an activation link, or at an admin's desk."""

    new = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(_l("Isi kata sandi baru.")), Length(max=128)])
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[DataRequired(_l("Ulangi kata sandi baru.")), EqualTo("new", _l("Kedua kata sandi baru tidak sama."))],
    )


JENIS_CHOICES = [("", _l("Semua jenis")), (Jenis.PNS.value, "PNS"), (Jenis.PPPK.value, "PPPK"),
                 (Jenis.NON_ASN.value, _l("Non-ASN"))]
STATUS_CHOICES = [("active", _l("Aktif")), ("inactive", _l("Nonaktif")),
                  ("locked", _l("Terkunci")), ("initial", _l("Belum ganti kata sandi")),
                  ("expired", _l("Kata sandi awal kedaluwarsa")), ("all", _l("Semua"))]


class PeopleFilterForm(FlaskForm):
    """Search and filters of the people list (GET, so no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Cari nama atau NIP"), validators=[Optional(), Length(max=100)])
    unit = SelectField(_l("Unit kerja"), coerce=str, validators=[Optional()], validate_choice=False)
    jenis = SelectField(_l("Jenis pegawai"), choices=select_choices(JENIS_CHOICES), validators=[Optional()])
    status = SelectField(_l("Status"), choices=select_choices(STATUS_CHOICES), default="active", validators=[Optional()])


class UnitForm(FlaskForm):
    name = StringField(_l("Nama unit"), validators=[DataRequired(_l("Nama unit wajib diisi.")), Length(max=200)])
    code = StringField(_l("Kode unit (opsional)"), validators=[Optional(), Length(max=64)])
    parent = SelectField(_l("Unit induk"), coerce=coerce_id, validate_choice=True)
    timezone = SelectField(
        _l("Zona waktu instansi"),
        choices=select_choices([("Asia/Jakarta", "WIB (UTC+7)"), ("Asia/Makassar", "WITA (UTC+8)"),
                                ("Asia/Jayapura", "WIT (UTC+9)")]),
        default="Asia/Makassar",
    )


class RenameUnitForm(FlaskForm):
    name = StringField(_l("Nama unit"), validators=[DataRequired(_l("Nama unit wajib diisi.")), Length(max=200)])
    code = StringField(_l("Kode unit (opsional)"), validators=[Optional(), Length(max=64)])


class MoveUnitForm(FlaskForm):
    new_parent = SelectField(_l("Pindahkan ke bawah"), coerce=coerce_id, validate_choice=True)


class PersonForm(FlaskForm):
    """Add or correct one person (the rules are accounts.people.clean's)."""

    nip = StringField(_l("NIP / NI PPPK / ID pegawai"), validators=[DataRequired(_l("NIP/ID wajib diisi.")), Length(max=40)])
    jenis = SelectField(_l("Jenis pegawai"), choices=select_choices(
        [(Jenis.PNS.value, "PNS"), (Jenis.PPPK.value, "PPPK"), (Jenis.NON_ASN.value, _l("Non-ASN"))]))
    name = StringField(_l("Nama lengkap (dengan gelar)"), validators=[DataRequired(_l("Nama wajib diisi.")), Length(max=200)])
    jabatan = StringField(_l("Jabatan"), validators=[Optional(), Length(max=200)])
    golongan = StringField(_l("Golongan"), validators=[Optional(), Length(max=10)])
    unit = SelectField(_l("Unit kerja"), coerce=int, validate_choice=False)
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Telepon / WhatsApp"), validators=[Optional(), Length(max=32)])


class InstansiForm(FlaskForm):
    """A new instansi and its first admin (superadmin)."""

    name = StringField(_l("Nama instansi"), validators=[DataRequired(_l("Nama instansi wajib diisi.")), Length(max=200)])
    code = StringField(_l("Kode unit (opsional)"), validators=[Optional(), Length(max=64)])
    timezone = SelectField(
        _l("Zona waktu instansi"),
        choices=select_choices([("Asia/Jakarta", "WIB (UTC+7)"), ("Asia/Makassar", "WITA (UTC+8)"),
                                ("Asia/Jayapura", "WIT (UTC+9)")]),
        default="Asia/Makassar",
    )
    admin_name = StringField(_l("Nama lengkap admin"), validators=[DataRequired(_l("Nama wajib diisi.")), Length(max=200)])
    admin_jenis = SelectField(_l("Jenis pegawai admin"), choices=select_choices(
        [(Jenis.PNS.value, "PNS"), (Jenis.PPPK.value, "PPPK"), (Jenis.NON_ASN.value, _l("Non-ASN"))]))
    admin_nip = StringField(_l("NIP / ID admin"), validators=[DataRequired(_l("NIP/ID wajib diisi.")), Length(max=40)])
    admin_email = StringField(_l("Email admin"), validators=[Optional(), Length(max=254)])
    admin_phone = StringField(_l("Telepon admin"), validators=[Optional(), Length(max=32)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Peran"), choices=select_choices((r.value, ROLE_LABELS[r]) for r in Role))
    scope_unit = SelectField(_l("Cakupan unit"), coerce=coerce_id, validate_choice=False)


class RosterUploadForm(FlaskForm):
    file = FileField(
        _l("Berkas roster (CSV atau XLSX)"),
        validators=[
            FileRequired(_l("Pilih berkas roster terlebih dahulu.")),
            FileAllowed(["csv", "xlsx"], _l("Jenis berkas tidak didukung: unggah .csv atau .xlsx.")),
        ],
    )
    empty_clears = BooleanField(_l("Sel kosong mengosongkan data yang tersimpan"))


class RosterApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
