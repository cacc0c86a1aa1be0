"""Locale choice (Indonesian first, English second) and Indonesian date formatting."""
from __future__ import annotations

import functools
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DEFAULT_ZONE = "Asia/Makassar"


def select_locale() -> str:
    """Flask-Babel's locale selector: ``choose_locale`` for the current request."""
    if not has_request_context():
        return "id"
    return choose_locale(session.get("lang"), request.headers.get("Accept-Language"), current_app.config["LANGUAGES"])


def choose_locale(chosen, accept_language: str | None, languages) -> str:
    """The language chosen in the session, else the browser's if supported, else Indonesian.
    Plain values, so it can be tested without a request."""
    if isinstance(chosen, str) and chosen in languages:
        return chosen
    return _browser_language(accept_language)


@functools.lru_cache(maxsize=256)
def _browser_language(accept_language: str | None) -> str:
    return parse_accept_header(accept_language, LanguageAccept).best_match(["id", "en"]) or "id"


def zone_of(person=None) -> str:
    """The IANA zone for a person's instansi (WIB/WITA/WIT), defaulting to WITA."""
    unit = getattr(person, "unit", None)
    if unit is not None:
        if unit.parent_id is None and unit.timezone:
            return unit.timezone
        from ..accounts.models import Unit
        from ..extensions import db

        root = db.session.get(Unit, unit.root_id)
        if root is not None and root.timezone:
            return root.timezone
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_ZONE)


def format_date_id(value: date | datetime | None, zone: str | None = None) -> str:
    """'22 November 2026' in the current locale (Indonesian by default)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(zone or DEFAULT_ZONE)).date()
    locale = str(get_locale() or "id") if has_request_context() else "id"
    return babel_format_date(value, format="d MMMM y", locale=locale)


def format_datetime_zone(value: datetime | None, zone: str) -> str:
    """'22 November 2026, 14.05 WITA'."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    abbreviation = ZONE_ABBREVIATIONS.get(zone, local.tzname() or zone)
    return f"{format_date_id(local.date())}, {local:%H.%M} {abbreviation}"


def format_datetime_local(value: datetime | None, person=None) -> str:
    return format_datetime_zone(value, zone_of(person))


def local_today(person=None):
    """Today's date in the person's instansi zone (program dates are local dates)."""
    from ..core.clock import now_utc

    return now_utc().astimezone(ZoneInfo(zone_of(person))).date()


def format_duration(seconds: int) -> str:
    """'4 menit 10 detik', '5 menit', '45 detik' (a wait shown to a person)."""
    from flask_babel import gettext as _

    minutes, rest = divmod(max(0, int(seconds)), 60)
    if minutes and rest:
        return _("%(m)d menit %(s)d detik", m=minutes, s=rest)
    if minutes:
        return _("%(m)d menit", m=minutes)
    return _("%(s)d detik", s=rest)


def _locale() -> str:
    return str(get_locale() or "id") if has_request_context() else "id"


def format_number(value, decimals: int = 0) -> str:
    """'1.250' / '2,9' in Indonesian ('1,250' / '2.9' in English); '–' for no value."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, pattern, locale=_locale())


def format_percent(value) -> str:
    """'2,9 %' in Indonesian, '2.9%' in English, from percent points (2.9); '–' for no value."""
    if value is None:
        return "–"
    number = format_number(value, 1)
    return f"{number}\u00a0%" if _locale() == "id" else f"{number}%"


def local_date(value: datetime, zone: str) -> date:
    """The date of a UTC moment in an instansi's zone (file names of exports use it)."""
    return value.astimezone(ZoneInfo(zone)).date()
