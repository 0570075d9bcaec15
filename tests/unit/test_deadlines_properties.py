import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.deadlines import DUE_NAMES, SHANGHAI, Rule, compute_deadlines, load_profiles
from bot.core.workcalendar import DEFAULT_DIR, WorkCalendar

POLICY = load_profiles()
CALENDAR = WorkCalendar(DEFAULT_DIR)  # 2024-2026 official, 2027-2028 estimated
NAMES = DUE_NAMES + ("plan", "dispatch")

ZONES = [SHANGHAI, dt.timezone.utc, ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin"),
         dt.timezone(dt.timedelta(hours=-11))]
received_times = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2028, 12, 31),
                              timezones=st.sampled_from(ZONES), allow_imaginary=False)
profiles = st.sampled_from(sorted(POLICY.profiles))
kinds = st.sampled_from(sorted(POLICY.kinds) + sorted(POLICY.kinds.values()))
urgencies = st.sampled_from(["normal", "emergency"])

# No per-example deadline: the first call for a year builds that year's calendar.
SETTINGS = settings(deadline=None, max_examples=150)


def compute(profile, kind, received, urgency="normal"):
    return compute_deadlines(profile, kind, received, urgency, policy=POLICY, calendar=CALENDAR)


def all_dues(result):
    return {name: getattr(result, name) for name in DUE_NAMES} | result.milestones


@SETTINGS
@given(profiles, kinds, received_times, urgencies)
def test_due_never_before_received_and_always_in_shanghai(profile, kind, received, urgency):
    result = compute(profile, kind, received, urgency)
    # Compare in one zone: Python never calls times from different zones equal at a DST fold.
    received = received.astimezone(SHANGHAI)
    assert result.received == received and result.received.tzinfo is SHANGHAI
    for name, due in all_dues(result).items():
        if due is not None:
            assert due >= received, name
            assert due.tzinfo is SHANGHAI, name
    assert result.calendar_source in ("official", "estimated")
    assert (result.calendar_note is None) == (result.calendar_source == "official")


@SETTINGS
@given(profiles, kinds, received_times)
def test_emergency_respond_is_received_and_never_later_than_normal(profile, kind, received):
    normal = compute(profile, kind, received)
    urgent = compute(profile, kind, received, "emergency")
    received = received.astimezone(SHANGHAI)
    assert urgent.respond == received
    assert urgent.onsite is not None and urgent.onsite <= received + dt.timedelta(minutes=30)
    for name, due in all_dues(normal).items():
        assert due is None or all_dues(urgent)[name] <= due, name


@SETTINGS
@given(received_times, st.integers(min_value=1, max_value=30))
def test_working_day_deadlines_end_a_working_day(received, n):
    received = received.astimezone(SHANGHAI)
    due = Rule("working_days", value=n).due(received, CALENDAR)
    assert CALENDAR.is_workday(due.date()) and due.time() == dt.time(23, 59, 59)
    assert due.date() > received.date()


@SETTINGS
@given(profiles, kinds, received_times)
def test_profile_working_day_deadlines_end_a_working_day(profile, kind, received):
    result = compute(profile, kind, received)
    rules = POLICY.profiles[profile].rules_for(POLICY.kind(kind))
    for name, rule in rules.items():
        if rule is not None and rule.unit == "working_days":
            due = all_dues(result)[name]
            assert CALENDAR.is_workday(due.date()) and due.time() == dt.time(23, 59, 59)


@SETTINGS
@given(received_times, st.sampled_from(["minutes", "hours", "calendar_days", "working_days"]),
       st.integers(min_value=1, max_value=40))
def test_more_days_never_earlier(received, unit, n):
    received = received.astimezone(SHANGHAI)
    shorter = Rule(unit, value=n).due(received, CALENDAR)
    longer = Rule(unit, value=n + 1).due(received, CALENDAR)
    assert shorter < longer


def _day_dependent(profile, kind, name):
    rule = POLICY.profiles[profile].rules_for(POLICY.kind(kind)).get(name)
    return rule is not None and rule.value is None and rule.unit != "same_day"


@SETTINGS
@given(profiles, kinds, urgencies, received_times, st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=20)))
def test_monotonic_in_received_time(profile, kind, urgency, received, delta):
    early = all_dues(compute(profile, kind, received, urgency))
    # Add in UTC: wall-clock addition in a DST zone can step back an hour at a fold.
    late = all_dues(compute(profile, kind, received.astimezone(dt.timezone.utc) + delta, urgency))
    for name, due in early.items():
        assert (due is None) == (late[name] is None), name
        if due is None or _day_dependent(profile, kind, name):
            continue  # day-dependent: see test_chengdu_respond_is_not_monotonic_across_day_types
        assert due <= late[name], name


def test_chengdu_respond_is_not_monotonic_across_day_types():
    # Known consequence of "2 hours on a working day, 4 otherwise" (as the source states it):
    # a Sunday-night order can be due after a Monday-midnight one.
    sunday = compute("chengdu_property", "complaint", dt.datetime(2026, 3, 8, 23, 30, tzinfo=SHANGHAI))
    monday = compute("chengdu_property", "complaint", dt.datetime(2026, 3, 9, 0, 0, tzinfo=SHANGHAI))
    assert sunday.respond == dt.datetime(2026, 3, 9, 3, 30, tzinfo=SHANGHAI)
    assert monday.respond == dt.datetime(2026, 3, 9, 2, 0, tzinfo=SHANGHAI)
