"""E-mail reminders to people who have not completed a program (optional; SMTP from the environment).

:func:`plan_reminders` builds the messages without sending (the dry-run page shows them);
:func:`send_reminders` sends them over one SMTP connection and records the batch in the audit log.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask_babel import force_locale
from flask_babel import gettext as _

from ..accounts.models import Person
from ..core import audit
from ..core.i18n import format_date_id
from ..courses.models import Program
from .followup import FollowupRow, where_stopped

#: At most this many messages per click, so one request never runs for long.
MAX_PER_BATCH = 500


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail (from SMTP_* settings)."""

    host: str
    port: int
    user: str
    password: str
    sender: str
    tls: str  # "starttls", "ssl" or "none"


def smtp_settings(config) -> SmtpSettings | None:
    """SMTP settings from the app config, or None when sending is not configured."""
    if not config.get("SMTP_HOST") or not config.get("SMTP_FROM"):
        return None
    return SmtpSettings(config["SMTP_HOST"], int(config["SMTP_PORT"]), config.get("SMTP_USER") or "",
                        config.get("SMTP_PASSWORD") or "", config["SMTP_FROM"], config.get("SMTP_TLS") or "starttls")


@dataclass(frozen=True)
class Reminder:
    """One message to one person (``email`` None: cannot be reached by mail)."""

    person_id: int
    name: str
    email: str | None
    subject: str
    body: str


def _usable(email: str | None) -> str | None:
    email = (email or "").strip()
    return email if "@" in email and "\n" not in email and "\r" not in email else None


def plan_reminders(program: Program, rows: list[FollowupRow], modules: int, site_url: str, agency: str
                   ) -> list[Reminder]:
    """The messages a reminder batch would send, in Indonesian (the recipients' language)."""
    reminders = []
    with force_locale("id"):
        subject = _("Pengingat: selesaikan %(program)s", program=program.title)
        ends_on = format_date_id(program.ends_on)
        for row in rows:
            body = _(
                "Yth. %(name)s,\n\nAnda belum menyelesaikan program \"%(program)s\", yang ditutup pada "
                "%(ends_on)s. Posisi Anda saat ini: %(step)s.\n\nMasuk ke %(url)s dengan NIP/ID Anda untuk "
                "melanjutkan.\n\nTerima kasih,\n%(agency)s",
                name=row.name, program=program.title, ends_on=ends_on, step=where_stopped(row, modules),
                url=site_url, agency=agency)
            reminders.append(Reminder(row.person_id, row.name, _usable(row.email), subject, body))
    return reminders


@dataclass
class SendResult:
    """What a batch did: messages accepted by the server, refused addresses, and a fatal error if any."""

    sent: int
    refused: list[str]
    error: str | None = None


def send_reminders(actor: Person, program: Program, reminders: list[Reminder], smtp: SmtpSettings,
                   timeout: float = 20) -> SendResult:
    """Send the reminders that have an address over one connection (at most MAX_PER_BATCH) and
    audit-log the batch; a broken connection stops the batch and is reported, not raised. No commit."""
    result = SendResult(0, [])
    deliverable = [r for r in reminders if r.email][:MAX_PER_BATCH]
    if deliverable:
        try:
            _deliver(deliverable, smtp, timeout, result)
        except (OSError, smtplib.SMTPException) as exc:
            result.error = f"{type(exc).__name__}: {exc}"[:300]
    audit.record(actor, "report.reminders", f"program:{program.id}", sent=result.sent,
                 refused=len(result.refused), error=result.error)
    return result


def _deliver(reminders: list[Reminder], smtp: SmtpSettings, timeout: float, result: SendResult) -> None:
    if smtp.tls == "ssl":
        connection = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    try:
        if smtp.tls == "starttls":
            connection.starttls(context=ssl.create_default_context())
        if smtp.user:
            connection.login(smtp.user, smtp.password)
        for reminder in reminders:
            try:
                connection.send_message(_message(reminder, smtp.sender))
                result.sent += 1
            except smtplib.SMTPRecipientsRefused:
                result.refused.append(reminder.email)
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


def _message(reminder: Reminder, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((reminder.name, reminder.email))
    message["Subject"] = reminder.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    message.set_content(reminder.body)
    return message
