"""Chinese working-day calendar (State Council holiday notice, incl. make-up working weekends).

Sources, first match wins for a whole year:
  1. an operator file <calendar dir>/<year>.yml (official; the dir is bot/policy/calendar/,
     or $BOT_CALENDAR_DIR, or the `directory` argument);
  2. the `chinesecalendar` package (official data for the years it ships);
  3. an estimate: weekends plus the `holidays` package's statutory China holidays, without
     make-up working days. Marked "estimated" with a bilingual note, and logged, so that a
     deadline on an unknown year never crashes and never silently claims to be official.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = PROJECT_ROOT / "bot" / "policy" / "calendar"
ENV_DIR = "BOT_CALENDAR_DIR"

OFFICIAL = "official"
ESTIMATED = "estimated"


@dataclass(frozen=True)
class YearCalendar:
    year: int
    workdays: frozenset  # every working date of the year
    source: str  # OFFICIAL or ESTIMATED
    origin: str  # where the data came from, for logs
    note: str | None = None  # bilingual note, set for estimated years


class _DatesAsText(yaml.SafeLoader):
    """Keeps dates as text, so that a bad date is reported with its field, not as a YAML crash."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _days_of(year: int):
    day = dt.date(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


def _file_error(path: Path, field: str, problem: str) -> ValueError:
    return ValueError(f"日历文件无效 / invalid calendar file {_display(path)}: {field}: {problem}")


def _as_date(value, path: Path, field: str) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _file_error(path, field, f"{value!r} is not a date (YYYY-MM-DD)")


def load_year_file(path: Path) -> YearCalendar:
    """Read and validate one operator file (format: year, source, holidays, workdays)."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_DatesAsText)
    except (OSError, yaml.YAMLError) as exc:
        raise _file_error(path, "(file)", f"cannot read YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise _file_error(path, "(top level)", "expected a mapping with year, source, holidays, workdays")
    unknown = set(data) - {"year", "source", "holidays", "workdays"}
    if unknown:
        raise _file_error(path, ", ".join(sorted(map(str, unknown))), "unknown field")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise _file_error(path, "year", f"expected an integer year, got {year!r}")
    if path.stem != str(year):
        raise _file_error(path, "year", f"{year} does not match the file name {path.name}")
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise _file_error(path, "source", "cite the State Council notice (non-empty string)")

    lists = {}
    for field in ("holidays", "workdays"):
        items = data.get(field)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise _file_error(path, field, "expected a list of dates")
        dates = set()
        for i, item in enumerate(items):
            day = _as_date(item, path, f"{field}[{i}]")
            if day.year != year:
                raise _file_error(path, f"{field}[{i}]", f"{day} is not in {year}")
            if field == "workdays" and day.weekday() < 5:
                raise _file_error(path, f"{field}[{i}]", f"{day} is a weekday; make-up working days fall on weekends")
            dates.add(day)
        lists[field] = dates
    both = lists["holidays"] & lists["workdays"]
    if both:
        raise _file_error(path, "holidays/workdays", f"listed as both: {sorted(map(str, both))}")

    workdays = frozenset(
        d for d in _days_of(year)
        if d in lists["workdays"] or (d.weekday() < 5 and d not in lists["holidays"])
    )
    return YearCalendar(year, workdays, OFFICIAL, f"{_display(path)} ({source.strip()})")


def _from_package(year: int) -> YearCalendar | None:
    import chinese_calendar

    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:  # the package does not know this year
        return None
    workdays = frozenset(d for d in _days_of(year) if chinese_calendar.is_workday(d))
    return YearCalendar(year, workdays, OFFICIAL, f"chinesecalendar {chinese_calendar.__version__}")


def _estimate(year: int, directory: Path) -> YearCalendar:
    import holidays

    try:
        statutory = set(holidays.China(years=year))
    except Exception:  # noqa: BLE001 - an estimate must never crash; weekends alone still work
        statutory = set()
    workdays = frozenset(d for d in _days_of(year) if d.weekday() < 5 and d not in statutory)
    target = _display(directory / f"{year}.yml")
    note = (
        f"{year}年工作日为估算(周末加法定节假日,不含调休上班日),请将国务院{year}年放假通知写入 {target}。"
        f" Working days in {year} are estimated (weekends and statutory holidays, no make-up"
        f" working days); add the State Council's {year} holiday notice as {target}."
    )
    return YearCalendar(year, workdays, ESTIMATED, f"estimate from holidays {holidays.__version__}", note)


class WorkCalendar:
    def __init__(self, directory: str | os.PathLike | None = None):
        if directory is None:
            directory = os.environ.get(ENV_DIR) or DEFAULT_DIR
        self.directory = Path(directory)
        self._years: dict[int, YearCalendar] = {}

    def year(self, year: int) -> YearCalendar:
        cal = self._years.get(year)
        if cal is None:
            path = self.directory / f"{year}.yml"
            cal = load_year_file(path) if path.is_file() else _from_package(year)
            if cal is None:
                cal = _estimate(year, self.directory)
                log.warning("working-day calendar estimated for %s: %s", year, cal.note)
            self._years[year] = cal
        return cal

    def is_workday(self, day: dt.date) -> bool:
        return day in self.year(day.year).workdays

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day`; `day` itself never counts."""
        if n < 1:
            raise ValueError(f"working days must be >= 1, got {n}")
        while n:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day


_calendars: dict[Path, WorkCalendar] = {}


def get_calendar(directory: str | os.PathLike | None = None) -> WorkCalendar:
    """Shared calendar per directory (honours $BOT_CALENDAR_DIR at call time)."""
    path = Path(directory or os.environ.get(ENV_DIR) or DEFAULT_DIR)
    if path not in _calendars:
        _calendars[path] = WorkCalendar(path)
    return _calendars[path]
