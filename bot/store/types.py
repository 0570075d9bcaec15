"""Column types.

AwareDateTime: every timestamp is stored in UTC and read back as an aware datetime in
Asia/Shanghai, the zone the deadlines are defined in. Naive datetimes are refused: a time
without an offset is ambiguous (server zone? Beijing time?) and would silently shift deadlines.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.types import DateTime, TypeDecorator

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc


def require_aware(value: dt.datetime, what: str = "timestamp") -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{what} 必须是 datetime / must be a datetime, got {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError(f"{what} 缺少时区 / must be timezone-aware (naive datetimes are refused): {value!r}")
    return value


class AwareDateTime(TypeDecorator):
    """TIMESTAMP WITH TIME ZONE on PostgreSQL; on SQLite, naive UTC text that sorts and
    compares correctly because every value uses the same zone and format."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        utc = require_aware(value).astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw text from a hand-written SQLite query
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:  # SQLite: stored as UTC without an offset
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI)
