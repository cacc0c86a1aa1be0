"""Indonesian phone numbers as people type them (0812-…, +62 812 …, 62812…, (0812) …) → the
international digits a WhatsApp click-to-chat link needs (628…), mobile numbers only."""
from __future__ import annotations

import re
from urllib.parse import quote

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

_MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def whatsapp_number(phone: str | None) -> str | None:
    """'6281234567890' for a valid Indonesian (or other international) mobile number, else None
    (landlines and typos get no WhatsApp link)."""
    text = (phone or "").strip()
    if not text:
        return None
    digits = re.sub(r"\D", "", text)
    if not text.startswith("+") and digits.startswith("62") and not digits.startswith("620"):
        text = "+" + digits  # '62812…' typed without its '+'
    try:
        number = phonenumbers.parse(text, "ID")
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _MOBILE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def whatsapp_link(phone: str | None, message: str) -> str | None:
    """https://wa.me/<number>?text=<message> (click-to-chat), or None without a mobile number."""
    number = whatsapp_number(phone)
    if number is None:
        return None
    return f"https://wa.me/{number}?text={quote(message, safe='')}"
