"""Forms of the API token pages (CSRF through Flask-WTF on every POST form)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional
from ..core.ids import coerce_id


class ClientForm(FlaskForm):
    name = StringField(_l("Nama klien"), validators=[DataRequired(_l("Nama klien wajib diisi.")), Length(max=120)])
    scope_unit = SelectField(_l("Cakupan data"), coerce=coerce_id)
    expires_on = DateField(_l("Berlaku sampai dengan (opsional)"), validators=[Optional()])
