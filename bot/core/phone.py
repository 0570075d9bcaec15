"""Mainland China phone numbers: normalise, mask, and keep them out of logs.

Residents give numbers as "138 1234 5678", "+86-138-1234-5678", "（0531）8600-1234" or in
full-width digits. Work orders store only a masked form and a salted hash (bot/store/orders.py).
"""
from __future__ import annotations

import logging
import re
import unicodedata

MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
LANDLINE_RE = re.compile(r"0[0-9]{2,3}[0-9]{7,8}")
# Separators people put inside a number (after NFKC, full-width forms are ASCII already).
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015().]")

# Free-text search for the logging filter. Digits include full-width ones; a number must not
# be part of a longer digit run (ID card numbers, order numbers).
_D = "[0-9\uff10-\uff19]"
_SEP = r"[ \-\u2010-\u2015]?"
_TEXT_RE = re.compile(
    rf"(?<![0-9\uff10-\uff19])(?:"
    rf"(?:(?:\+|\uff0b|00)?86{_SEP})?[1\uff11][3-9\uff13-\uff19]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}"
    rf"|[(（]?[0\uff10]{_D}{{2,3}}[)）]?{_SEP}{_D}{{7,8}}"
    rf")(?![0-9\uff10-\uff19])"
)


def normalise_phone(text: str | None) -> str | None:
    """Digits only: an 11-digit mobile (1[3-9]...) or a landline with area code; else None."""
    if not isinstance(text, str):
        return None
    s = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    international = False
    if s.startswith("+86"):
        s, international = s[3:], True
    elif s.startswith("0086"):
        s, international = s[4:], True
    elif len(s) == 13 and s.startswith("861"):  # "86" written without the plus
        s = s[2:]
    if not (s.isascii() and s.isdigit()):
        return None
    if MOBILE_RE.fullmatch(s):
        return s
    if international and not s.startswith("0"):  # +86 531 ... drops the trunk prefix 0
        s = "0" + s
    if LANDLINE_RE.fullmatch(s):
        return s
    return None


def is_mainland_mobile(text: str | None) -> bool:
    number = normalise_phone(text)
    return number is not None and MOBILE_RE.fullmatch(number) is not None


def _area_code_length(landline: str) -> int:
    # 010 and 020-029 are the 3-digit area codes; every other mainland area code has 4 digits.
    return 3 if landline[1] in "12" else 4


def mask_phone(text: str) -> str:
    """138****5678 for a mobile; area code + **** + last 4 for a landline (0531****1234)."""
    number = normalise_phone(text)
    if number is None:
        raise ValueError(f"无法识别的电话号码 / not a mainland phone number: {text!r}")
    if MOBILE_RE.fullmatch(number):
        return f"{number[:3]}****{number[-4:]}"
    return f"{number[:_area_code_length(number)]}****{number[-4:]}"


def mask_phones_in_text(text: str) -> str:
    def replace(match: re.Match) -> str:
        try:
            return mask_phone(match.group(0))
        except ValueError:
            return match.group(0)

    return _TEXT_RE.sub(replace, text)


class PhoneMaskingFilter(logging.Filter):
    """Masks phone numbers in a record's message, arguments and traceback text.

    The message is formatted here (msg % args) and the args dropped, so that a number
    passed as an argument is masked too, whatever its type.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        record.msg = mask_phones_in_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones_in_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phones_in_text(record.stack_info)
        return True


def install_log_masking() -> None:
    """Mask phone numbers in everything the root logger's handlers write (idempotent).

    A filter on each handler, not on loggers: records from every library pass through the
    handlers, while logger filters only see their own logger's records."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO)
    for handler in root.handlers:
        if not any(isinstance(f, PhoneMaskingFilter) for f in handler.filters):
            handler.addFilter(PhoneMaskingFilter())
