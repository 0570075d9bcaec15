import datetime as dt
import logging
import textwrap

import chinese_calendar
import pytest

from bot.core import workcalendar
from bot.core.workcalendar import DEFAULT_DIR, ESTIMATED, OFFICIAL, WorkCalendar, get_calendar, load_year_file

D = dt.date.fromisoformat


@pytest.fixture(autouse=True)
def _no_env_dir(monkeypatch):
    monkeypatch.delenv("BOT_CALENDAR_DIR", raising=False)


@pytest.fixture
def cal():
    return WorkCalendar(DEFAULT_DIR)


def test_2026_file_agrees_with_chinesecalendar_every_day():
    shipped = load_year_file(DEFAULT_DIR / "2026.yml")
    day = dt.date(2026, 1, 1)
    mismatches = []
    while day.year == 2026:
        if (day in shipped.workdays) != chinese_calendar.is_workday(day):
            mismatches.append(str(day))
        day += dt.timedelta(days=1)
    assert mismatches == []


def test_2026_comes_from_the_shipped_file(cal):
    year = cal.year(2026)
    assert year.source == OFFICIAL and year.note is None
    assert "2026.yml" in year.origin


@pytest.mark.parametrize("day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"])
def test_make_up_weekends_are_working_days(cal, day):
    assert D(day).weekday() >= 5
    assert cal.is_workday(D(day))


@pytest.mark.parametrize(
    "day",
    ["2026-01-01", "2026-01-02", "2026-02-16", "2026-02-23", "2026-04-06", "2026-05-04", "2026-05-05",
     "2026-06-19", "2026-09-25", "2026-10-01", "2026-10-07"],
)
def test_holiday_weekdays_are_not_working_days(cal, day):
    assert D(day).weekday() < 5
    assert not cal.is_workday(D(day))


@pytest.mark.parametrize("day, expected", [
    ("2026-03-02", True),   # Monday
    ("2026-03-06", True),   # Friday
    ("2026-03-07", False),  # Saturday
    ("2026-04-26", False),  # Sunday: no make-up day for Labour Day here (5/9 only)
    ("2026-02-24", True),   # first day after Spring Festival
    ("2026-10-08", True),   # first day after National Day
])
def test_ordinary_days(cal, day, expected):
    assert cal.is_workday(D(day)) is expected


def test_package_years_are_official(cal):
    year = cal.year(2025)
    assert year.source == OFFICIAL and year.origin.startswith("chinesecalendar")
    assert not cal.is_workday(D("2025-10-01"))
    assert cal.is_workday(D("2025-09-28"))  # Sunday make-up day in 2025


def test_unknown_year_is_estimated_with_a_bilingual_note(cal, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.core.workcalendar"):
        year = cal.year(2027)
    assert year.source == ESTIMATED
    assert "2027年" in year.note and "estimated" in year.note
    assert "bot/policy/calendar/2027.yml" in year.note
    assert "2027" in caplog.text
    assert not cal.is_workday(D("2027-01-01"))  # statutory holiday
    assert not cal.is_workday(D("2027-10-01"))
    assert not cal.is_workday(D("2027-01-02"))  # Saturday
    assert cal.is_workday(D("2027-03-01"))  # ordinary Monday


@pytest.mark.parametrize("year", [1999, 2003, 2027, 2030, 2100])
def test_never_crashes_on_any_year(cal, year):
    assert cal.year(year).source == ESTIMATED
    assert cal.add_working_days(dt.date(year, 6, 1), 5) > dt.date(year, 6, 1)


def test_add_working_days_never_counts_the_day_of_receipt(cal):
    assert cal.add_working_days(D("2026-03-02"), 1) == D("2026-03-03")  # receipt on a working day
    assert cal.add_working_days(D("2026-03-06"), 1) == D("2026-03-09")  # Friday
    assert cal.add_working_days(D("2026-03-07"), 1) == D("2026-03-09")  # Saturday
    assert cal.add_working_days(D("2026-02-13"), 1) == D("2026-02-14")  # make-up Saturday next
    assert cal.add_working_days(D("2026-02-14"), 1) == D("2026-02-24")  # from make-up Saturday
    assert cal.add_working_days(D("2026-10-01"), 1) == D("2026-10-08")  # inside a holiday
    with pytest.raises(ValueError):
        cal.add_working_days(D("2026-03-02"), 0)


def _write(directory, year, body):
    path = directory / f"{year}.yml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


OVERRIDE_2026 = """\
    year: 2026
    source: test override
    holidays: [2026-03-02]
    workdays: [2026-03-07]
"""


def test_override_directory_takes_precedence(tmp_path):
    _write(tmp_path, 2026, OVERRIDE_2026)
    cal = WorkCalendar(tmp_path)
    assert not cal.is_workday(D("2026-03-02"))
    assert cal.is_workday(D("2026-03-07"))
    assert cal.is_workday(D("2026-02-16"))  # this file knows no Spring Festival
    assert cal.year(2026).origin.endswith("(test override)")


def test_override_directory_from_environment(tmp_path, monkeypatch):
    _write(tmp_path, 2027, "year: 2027\nsource: test notice\nholidays: ['2027-03-01']\n")
    monkeypatch.setenv("BOT_CALENDAR_DIR", str(tmp_path))
    cal = get_calendar()
    assert cal.directory == tmp_path
    assert cal.year(2027).source == OFFICIAL
    assert not cal.is_workday(D("2027-03-01"))
    assert cal.year(2026).origin.startswith("chinesecalendar")  # no 2026 file there


@pytest.mark.parametrize("body, field", [
    ("year: 2025\nsource: x\n", "year"),
    ("year: 2026\n", "source"),
    ("year: 2026\nsource: x\nholidays: [2026-02-30]\n", "holidays[0]"),
    ("year: 2026\nsource: x\nholidays: [2025-12-31]\n", "holidays[0]"),
    ("year: 2026\nsource: x\nholidays: 2026-01-01\n", "holidays"),
    ("year: 2026\nsource: x\nworkdays: [2026-03-02]\n", "workdays[0]"),
    ("year: 2026\nsource: x\nholidays: [2026-03-07]\nworkdays: [2026-03-07]\n", "holidays/workdays"),
    ("year: 2026\nsource: x\nholiday: []\n", "holiday"),
    ("- not a mapping\n", "(top level)"),
    ("year: [unclosed\n", "(file)"),
])
def test_invalid_files_name_file_and_field(tmp_path, body, field):
    _write(tmp_path, 2026, body)
    with pytest.raises(ValueError) as err:
        WorkCalendar(tmp_path).is_workday(D("2026-03-02"))
    message = str(err.value)
    assert "2026.yml" in message and f": {field}:" in message


def test_get_calendar_is_shared_per_directory(tmp_path):
    assert get_calendar(tmp_path) is get_calendar(tmp_path)
    assert get_calendar().directory == workcalendar.DEFAULT_DIR
