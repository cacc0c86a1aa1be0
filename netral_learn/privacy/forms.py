"""The privacy notice form an admin fills for their instansi."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp


class NoticeForm(FlaskForm):
    controller = StringField(_l("Pengendali data pribadi"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=200)])
    contact_name = StringField(_l("Nama kontak (pejabat pelindungan data)"),
                               validators=[DataRequired(_l("Wajib diisi.")), Length(max=200)])
    contact_email = StringField(_l("Email kontak"), validators=[Optional(), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Alamat email tidak sah.")),
                                                               Length(max=254)])
    contact_phone = StringField(_l("Telepon kontak"), validators=[Optional(), Length(max=32)])
    address = TextAreaField(_l("Alamat kantor"), validators=[Optional(), Length(max=500)])
    retention_years = IntegerField(_l("Masa simpan data setelah pegawai keluar (tahun)"), default=5,
                                   validators=[NumberRange(1, 50, _l("Antara 1 dan 50 tahun."))])
