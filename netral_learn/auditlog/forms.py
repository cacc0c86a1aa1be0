"""The audit-log filters (GET, so no CSRF)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional


class AuditFilterForm(FlaskForm):
    """Who the entry concerns, who acted, what kind, between which local dates."""

    class Meta:
        csrf = False

    person = StringField(_l("Pegawai yang bersangkutan (NIP atau nama)"), validators=[Optional(), Length(max=100)])
    actor = StringField(_l("Pelaku (NIP atau nama)"), validators=[Optional(), Length(max=100)])
    action = SelectField(_l("Jenis kejadian"), coerce=str, validators=[Optional()], validate_choice=False)
    date_from = DateField(_l("Dari tanggal"), validators=[Optional()])
    date_to = DateField(_l("Sampai tanggal"), validators=[Optional()])
