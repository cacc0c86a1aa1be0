"""Forms of the report pages: GET pickers and filters (no CSRF), and the reminder POST button."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from ..accounts.forms import JENIS_CHOICES
from ..core.forms import select_choices
from .followup import STAGE_LABELS


class ReportForm(FlaskForm):
    """Program picker of the dashboard; the unit rides along so a drill-down survives a switch."""

    class Meta:
        csrf = False

    program = SelectField(_l("Program"), coerce=str, validate_choice=False)
    unit = HiddenField()


class FollowupFilterForm(FlaskForm):
    """Filters of the follow-up list."""

    class Meta:
        csrf = False

    program = HiddenField()
    unit = SelectField(_l("Unit kerja"), coerce=str, validate_choice=False)
    step = SelectField(_l("Berhenti di"), validate_choice=False, choices=select_choices(
        [("", _l("Semua tahap"))] + [(stage.value, label) for stage, label in STAGE_LABELS.items()]))
    jenis = SelectField(_l("Jenis pegawai"), choices=select_choices(JENIS_CHOICES), validate_choice=False)
    bantuan = BooleanField(_l("Hanya yang perlu bantuan"))


class SendRemindersForm(FlaskForm):
    """The 'send' button of the reminder dry-run page; ``key`` makes a double click one batch."""

    key = HiddenField(validators=[InputRequired()])


class WhatsAppForm(FlaskForm):
    """One person's WhatsApp button of the follow-up list: recorded, then off to wa.me."""

    key = HiddenField(validators=[InputRequired()])


class RecountForm(FlaskForm):
    """The 'count again now' button of the dashboard (CSRF only)."""


class GrantAttemptsForm(FlaskForm):
    """Extra quiz attempts for one person: how many, why, and the granted total the page showed
    (so a double click or a colleague's grant in between is noticed, not counted twice)."""

    extra = IntegerField(_l("Tambahan percobaan"), default=1,
                         validators=[InputRequired(_l("Isi jumlah tambahan percobaan.")), NumberRange(min=1, max=50)],
                         invalid_value_message=_l("Isi dengan angka."))
    reason = TextAreaField(_l("Alasan"), validators=[InputRequired(_l("Tuliskan alasannya."))])
    seen_extra = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
