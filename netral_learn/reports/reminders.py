"""Reminders to people who have not completed a program: WhatsApp click-to-chat and e-mail.

:func:`plan_reminders` builds the messages without sending (the dry-run page shows them);
:func:`send_reminders` sends them over one SMTP connection (optional; SMTP from the environment)
and records the batch in the audit log; :func:`remind_by_whatsapp` gives the wa.me link of one
person's message. Every reminder is recorded (:class:`SentReminder`: who, when, which channel)
under the key of the page that sent it, so a double click or a resent form counts once.
"""
from __future__ import annotations

import re
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ..accounts.models import Person
from ..core import audit
from ..core.errors import InvalidInput
from ..core.i18n import format_date_id
from ..core.phone import whatsapp_link
from ..core.transactions import insert_or_nothing
from ..courses.models import Program
from ..extensions import db
from .followup import FollowupRow, where_stopped
from .models import ReminderChannel, SentReminder

#: At most this many messages per click, so one request never runs for long.
MAX_PER_BATCH = 500
#: A reminder by the same channel to the same person within this window is the one already sent.
DUPLICATE_WINDOW = timedelta(minutes=2)
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_key() -> str:
    """A fresh idempotency key for a page that sends reminders."""
    return secrets.token_urlsafe(24)


def record_reminders(actor: Person, program: Program, person_ids: list[int], channel: ReminderChannel, key: str,
                     now: datetime) -> set[int]:
    """Record one reminder per person under ``key``; the ids recorded now. People already reminded
    under this key, or by this channel within DUPLICATE_WINDOW, are left out (no second message)."""
    if not _KEY.match(key or ""):
        raise InvalidInput(_l("Permintaan tidak sah. Muat ulang halaman lalu coba lagi."))
    if not person_ids:
        return set()
    recent = set(db.session.scalars(select(SentReminder.person_id).where(
        SentReminder.program_id == program.id, SentReminder.channel == channel,
        SentReminder.person_id.in_(person_ids), SentReminder.sent_at > now - DUPLICATE_WINDOW)))
    fresh = [person_id for person_id in dict.fromkeys(person_ids) if person_id not in recent]
    if not fresh:
        return set()
    return set(db.session.scalars(insert_or_nothing(SentReminder).returning(SentReminder.person_id), [dict(
        program_id=program.id, person_id=person_id, sent_by_id=actor.id, channel=channel, sent_at=now,
        idempotency_key=key) for person_id in fresh]))


def remind_by_whatsapp(actor: Person, program: Program, reminder: Reminder, phone: str | None, key: str,
                       now: datetime) -> tuple[str, bool]:
    """(the wa.me link carrying the person's message, whether this click was recorded as a new reminder).
    Without a mobile number there is nothing to open. No commit."""
    link = whatsapp_link(phone, reminder.body)
    if link is None:
        raise InvalidInput(_l("Nomor telepon %(name)s bukan nomor ponsel yang dapat dihubungi lewat WhatsApp.",
                              name=reminder.name))
    recorded = bool(record_reminders(actor, program, [reminder.person_id], ReminderChannel.WHATSAPP, key, now))
    return link, recorded


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
    """What a batch did: messages accepted by the server, refused addresses, people skipped because
    they were just reminded (a double click), and a fatal error if any."""

    sent: int
    refused: list[str]
    error: str | None = None
    skipped: int = 0
    sent_ids: list[int] = field(default_factory=list)


def send_reminders(actor: Person, program: Program, reminders: list[Reminder], smtp: SmtpSettings, key: str,
                   now: datetime, timeout: float = 20) -> SendResult:
    """Send the reminders that have an address over one connection (at most MAX_PER_BATCH), record
    each one delivered, and audit-log the batch; a broken connection stops the batch and is reported,
    not raised. The rows are written before sending, so a second request with the same key (or within
    DUPLICATE_WINDOW) waits for this one and then sends nothing. No commit."""
    result = SendResult(0, [])
    deliverable = [r for r in reminders if r.email][:MAX_PER_BATCH]
    claimed = record_reminders(actor, program, [r.person_id for r in deliverable], ReminderChannel.EMAIL, key, now)
    result.skipped = len(deliverable) - len(claimed)
    deliverable = [r for r in deliverable if r.person_id in claimed]
    if deliverable:
        try:
            _deliver(deliverable, smtp, timeout, result)
        except (OSError, smtplib.SMTPException) as exc:
            result.error = f"{type(exc).__name__}: {exc}"[:300]
    unsent = claimed - set(result.sent_ids)
    if unsent:  # refused or never reached: not a reminder
        db.session.execute(delete(SentReminder).where(SentReminder.idempotency_key == key,
                                                      SentReminder.person_id.in_(unsent)))
    audit.record(actor, "report.reminders", f"program:{program.id}", sent=result.sent,
                 refused=len(result.refused), skipped=result.skipped, error=result.error)
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
                result.sent_ids.append(reminder.person_id)
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
