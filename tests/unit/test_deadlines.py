import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.deadlines import DEFAULT_PATH, SHANGHAI, compute_deadlines, load_profiles
from bot.core.workcalendar import WorkCalendar

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_env_dir(monkeypatch):
    monkeypatch.delenv("BOT_CALENDAR_DIR", raising=False)


def at(text: str) -> dt.datetime:
    """Asia/Shanghai local time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def eod(day: str) -> dt.datetime:
    return at(f"{day}T23:59:59")


# ---------------------------------------------------------------- working-day profiles

@pytest.mark.parametrize("received, due", [
    ("2026-03-02T10:00", "2026-03-09"),  # Monday, an ordinary working day
    ("2026-03-06T16:00", "2026-03-13"),  # Friday
    ("2026-03-07T09:00", "2026-03-13"),  # Saturday: receipt day never counts
    ("2026-02-14T10:00", "2026-02-28"),  # make-up Saturday: 2/24..2/27 and make-up Sat 2/28
    ("2026-02-28T10:00", "2026-03-06"),  # make-up Saturday
    ("2026-10-10T10:00", "2026-10-16"),  # make-up Saturday
    ("2026-02-13T17:00", "2026-02-27"),  # day before Spring Festival: 2/14 counts, then 2/24..2/27
    ("2026-09-30T17:00", "2026-10-13"),  # day before National Day: 10/8, 10/9, 10/10, 10/12, 10/13
    ("2026-02-18T10:00", "2026-02-28"),  # inside Spring Festival: 2/24..2/27, 2/28
    ("2026-10-03T10:00", "2026-10-13"),  # inside National Day
    ("2026-09-26T10:00", "2026-10-09"),  # Mid-Autumn weekend, 9/28..9/30 then 10/8, 10/9
    ("2026-01-01T00:00", "2026-01-08"),  # New Year: Sunday 1/4 is a working day
])
def test_jinan_reply_within_5_working_days(received, due):
    result = compute_deadlines("jinan_12345", "complaint", at(received))
    assert result.reply == eod(due)
    assert (result.respond, result.onsite, result.resolve) == (None, None, None)
    assert result.calendar_source == "official" and result.calendar_note is None


def test_weifang_resolve_within_5_working_days():
    result = compute_deadlines("weifang_12345", "求助", at("2026-09-30T09:00"))
    assert result.resolve == eod("2026-10-13") and result.reply is None


@pytest.mark.parametrize("kind, due", [
    ("consult", "2026-03-05"),
    ("咨询", "2026-03-05"),
    ("help", "2026-03-11"),
    ("suggestion", "2026-03-11"),
    ("建议", "2026-03-11"),
    ("complaint", "2026-03-23"),
    ("report", "2026-03-23"),
    ("举报", "2026-03-23"),
    ("repair", "2026-03-11"),  # treated as help
    ("报修", "2026-03-11"),
])
def test_sichuan_per_kind(kind, due):
    result = compute_deadlines("sichuan_12345", kind, at("2026-03-02T10:00"))
    assert result.resolve == eod(due)


def test_year_end_uses_the_estimated_2027_calendar():
    for received in ("2026-12-30T10:00", "2026-12-31T10:00"):
        result = compute_deadlines("jinan_12345", "complaint", at(received))
        # 2027-01-01 is a statutory holiday in the estimate
        assert result.reply.date() > dt.date(2027, 1, 1)
        assert result.calendar_source == "estimated"
        assert "2027" in result.calendar_note and "2027.yml" in result.calendar_note
        assert result.as_dict()["calendar"]["source"] == "estimated"
    assert compute_deadlines("jinan_12345", "complaint", at("2026-12-30T10:00")).reply == eod("2027-01-07")


def test_hour_rules_do_not_touch_the_calendar_at_year_end():
    result = compute_deadlines("poly_321", "repair", at("2026-12-31T23:00"))
    assert result.onsite == at("2027-01-01T01:00")
    assert result.calendar_source == "official"
    # Chengdu consults only the day of receipt (a 2026 working day), not 2027
    chengdu = compute_deadlines("chengdu_property", "repair", at("2026-12-31T23:00"))
    assert chengdu.respond == at("2027-01-01T01:00") and chengdu.calendar_source == "official"
    assert compute_deadlines("chengdu_property", "repair", at("2027-01-04T10:00")).calendar_source == "estimated"


# ---------------------------------------------------------------- hour and minute profiles

@pytest.mark.parametrize("received, respond", [
    ("2026-03-02T10:00", "2026-03-02T12:00"),  # working day: 2 hours
    ("2026-03-07T10:00", "2026-03-07T14:00"),  # ordinary Saturday: 4 hours
    ("2026-10-02T10:00", "2026-10-02T14:00"),  # holiday weekday: 4 hours
    ("2026-02-16T10:00", "2026-02-16T14:00"),  # Spring Festival: 4 hours
    ("2026-02-14T10:00", "2026-02-14T12:00"),  # make-up working Saturday: 2 hours
    ("2026-10-10T10:00", "2026-10-10T12:00"),  # make-up working Saturday: 2 hours
    ("2026-03-02T23:00", "2026-03-03T01:00"),  # crosses midnight
    ("2026-03-07T22:30", "2026-03-08T02:30"),  # crosses midnight on a non-working day
])
def test_chengdu_respond_depends_on_the_day_of_receipt(received, respond):
    result = compute_deadlines("chengdu_property", "complaint", at(received))
    assert result.respond == at(respond)


def test_chengdu_resolve_within_2_calendar_days():
    result = compute_deadlines("chengdu_property", "repair", at("2026-09-30T23:00"))
    assert result.resolve == eod("2026-10-02")  # calendar days ignore holidays


def test_binzhou():
    repair = compute_deadlines("binzhou_property", "repair", at("2026-03-02T23:59:30"))
    assert repair.respond == at("2026-03-03T00:00:30")  # 1 minute, across midnight
    assert repair.onsite == at("2026-03-03T00:29:30")
    assert repair.reply == eod("2026-03-02")  # written result the same day
    assert repair.milestones == {"plan": at("2026-03-03T00:29:30"), "dispatch": at("2026-03-03T00:09:30")}
    complaint = compute_deadlines("binzhou_property", "投诉", at("2026-03-02T10:00"))
    assert complaint.onsite is None and complaint.respond == at("2026-03-02T10:01")


def test_poly_321():
    result = compute_deadlines("poly_321", "repair", at("2026-03-02T23:00"))
    assert result.respond == at("2026-03-02T23:30")
    assert result.onsite == at("2026-03-03T01:00")
    assert result.resolve is None and result.reply is None


# ---------------------------------------------------------------- emergencies

@pytest.mark.parametrize("profile", ["jinan_12345", "weifang_12345", "sichuan_12345",
                                     "chengdu_property", "binzhou_property", "poly_321"])
def test_emergency_respond_at_once_and_on_site_within_30_minutes(profile):
    received = at("2026-10-02T23:50")
    normal = compute_deadlines(profile, "repair", received)
    urgent = compute_deadlines(profile, "repair", received, urgency="emergency")
    assert urgent.respond == received
    assert urgent.onsite == at("2026-10-03T00:20")
    assert urgent.urgency == "emergency"
    # the profile's other deadlines still apply
    assert (urgent.resolve, urgent.reply) == (normal.resolve, normal.reply)


def test_emergency_accepts_chinese_and_keeps_jinan_reply():
    result = compute_deadlines("jinan_12345", "投诉", at("2026-03-02T10:00"), urgency="紧急")
    assert result.respond == at("2026-03-02T10:00") and result.reply == eod("2026-03-09")


# ---------------------------------------------------------------- input handling

def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        compute_deadlines("jinan_12345", "complaint", dt.datetime(2026, 3, 2, 10))


def test_other_zones_are_converted_to_shanghai():
    received = dt.datetime(2026, 3, 1, 21, 0, tzinfo=ZoneInfo("America/New_York"))  # = 3/2 10:00 +08
    result = compute_deadlines("poly_321", "repair", received)
    assert result.received == at("2026-03-02T10:00")
    assert result.respond.tzinfo == SHANGHAI and result.respond == at("2026-03-02T10:30")
    utc = compute_deadlines("jinan_12345", "complaint", dt.datetime(2026, 3, 6, 17, tzinfo=dt.timezone.utc))
    assert utc.received == at("2026-03-07T01:00")  # Saturday in Shanghai
    assert utc.reply == eod("2026-03-13")


@pytest.mark.parametrize("args, word", [
    (("nope", "complaint"), "unknown deadline profile"),
    (("jinan_12345", "nope"), "unknown kind"),
])
def test_unknown_names(args, word):
    with pytest.raises(ValueError, match=word):
        compute_deadlines(*args, at("2026-03-02T10:00"))
    with pytest.raises(ValueError, match="unknown urgency"):
        compute_deadlines("jinan_12345", "complaint", at("2026-03-02T10:00"), urgency="high")


def test_as_dict_shape():
    data = compute_deadlines("chengdu_property", "报修", at("2026-03-02T10:00:30.500000")).as_dict()
    assert data == {
        "profile": "chengdu_property",
        "kind": "repair",
        "received": "2026-03-02T10:00:30+08:00",
        "due": {"respond": "2026-03-02T12:00:30+08:00", "onsite": None,
                "resolve": "2026-03-04T23:59:59+08:00", "reply": None},
        "calendar": {"source": "official", "note": None},
    }


def test_override_calendar_dir_changes_deadlines(tmp_path, monkeypatch):
    (tmp_path / "2026.yml").write_text("year: 2026\nsource: test\nholidays: [2026-03-03]\n", encoding="utf-8")
    result = compute_deadlines("jinan_12345", "complaint", at("2026-03-02T10:00"), calendar=WorkCalendar(tmp_path))
    assert result.reply == eod("2026-03-10")
    monkeypatch.setenv("BOT_CALENDAR_DIR", str(tmp_path))
    assert compute_deadlines("jinan_12345", "complaint", at("2026-03-02T10:00")).reply == eod("2026-03-10")


# ---------------------------------------------------------------- policy file

def test_shipped_policy_loads_and_cites_sources():
    policy = load_profiles()
    assert policy.path == DEFAULT_PATH
    assert {"jinan_12345", "weifang_12345", "sichuan_12345", "chengdu_property",
            "binzhou_property", "poly_321"} <= set(policy.profiles)
    assert all(p.source for p in policy.profiles.values())
    assert policy.kinds == {"consult": "咨询", "help": "求助", "complaint": "投诉",
                            "report": "举报", "suggestion": "建议", "repair": "报修"}


def write_policy(tmp_path, profiles: str) -> Path:
    base = DEFAULT_PATH.read_text(encoding="utf-8")
    path = tmp_path / "policy.yml"
    path.write_text(base + textwrap.indent(textwrap.dedent(profiles), "  "), encoding="utf-8")
    return path


def test_a_deployment_overrides_a_single_value_with_extends(tmp_path):
    path = write_policy(tmp_path, """\
        my_city:
          extends: sichuan_12345
          source: local rule
          rules:
            complaint:
              resolve: {unit: working_days, value: 10}
            default:
              reply: {unit: working_days, value: 1}
          emergency:
            onsite: {unit: hours, value: 1}
    """)
    policy = load_profiles(path)
    received = at("2026-03-02T10:00")
    complaint = compute_deadlines("my_city", "complaint", received, policy=policy)
    assert complaint.resolve == eod("2026-03-16") and complaint.reply == eod("2026-03-03")
    assert compute_deadlines("my_city", "报修", received, policy=policy).resolve == eod("2026-03-11")
    urgent = compute_deadlines("my_city", "consult", received, "emergency", policy=policy)
    assert urgent.respond == received and urgent.onsite == at("2026-03-02T11:00")


@pytest.mark.parametrize("profile, field", [
    ("x: {source: s, rules: {default: {reply: {unit: hour, value: 2}}}}", "profiles.x.rules.default.reply.unit"),
    ("x: {source: s, rules: {default: {reply: {unit: hours}}}}", "profiles.x.rules.default.reply"),
    ("x: {source: s, rules: {default: {reply: {unit: hours, value: -1}}}}", "profiles.x.rules.default.reply.value"),
    ("x: {source: s, rules: {default: {reply: {unit: working_days, value: 1.5}}}}",
     "profiles.x.rules.default.reply.value"),
    ("x: {source: s, rules: {default: {reply: {unit: same_day, value: 1}}}}", "profiles.x.rules.default.reply"),
    ("x: {source: s, rules: {default: {answer: {unit: hours, value: 1}}}}", "profiles.x.rules.default.answer"),
    ("x: {source: s, rules: {fix: {}}}", "profiles.x.rules.fix"),
    ("x: {rules: {default: {}}}", "profiles.x.source"),
    ("x: {source: s}", "profiles.x.rules"),
    ("x: {source: s, rule: {}}", "profiles.x.rule"),
    ("x: {source: s, rules: {}, kind_alias: {repair: fix}}", "profiles.x.kind_alias.repair"),
    ("x: {source: s, rules: {repair: {}}, kind_alias: {repair: help}}", "profiles.x.kind_alias.repair"),
    ("x: {extends: y, source: s, rules: {}}\ny: {extends: x, source: s, rules: {}}", "profiles.x"),
    ("x: {extends: nope, source: s, rules: {}}", "profiles.x.extends"),
])
def test_invalid_policy_names_file_and_field(tmp_path, profile, field):
    path = write_policy(tmp_path, profile + "\n")
    with pytest.raises(ValueError) as err:
        load_profiles(path)
    message = str(err.value)
    assert str(path) in message and f"{field}:" in message


def test_unreadable_policy(tmp_path):
    with pytest.raises(ValueError, match="missing.yml"):
        load_profiles(tmp_path / "missing.yml")


# ---------------------------------------------------------------- CLI

def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "bot", "deadline", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(lines[0])


def test_cli_prints_one_json_line():
    code, data = cli("--profile", "sichuan_12345", "--kind", "投诉", "--received", "2026-02-13T10:00:00+08:00")
    assert code == 0
    assert data == {
        "profile": "sichuan_12345",
        "kind": "complaint",
        "received": "2026-02-13T10:00:00+08:00",
        "due": {"respond": None, "onsite": None, "resolve": "2026-03-12T23:59:59+08:00", "reply": None},
        "calendar": {"source": "official", "note": None},
    }


def test_cli_emergency_and_utc_input():
    code, data = cli("--profile", "poly_321", "--kind", "repair", "--received", "2026-03-02T02:00:00Z",
                     "--urgency", "emergency")
    assert code == 0
    assert data["received"] == "2026-03-02T10:00:00+08:00"
    assert data["due"]["respond"] == "2026-03-02T10:00:00+08:00"
    assert data["due"]["onsite"] == "2026-03-02T10:30:00+08:00"


def test_cli_received_without_offset_is_shanghai_time_and_says_so():
    code, data = cli("--profile", "jinan_12345", "--kind", "complaint", "--received", "2026-12-31T09:00")
    assert code == 0
    assert data["received"] == "2026-12-31T09:00:00+08:00"
    assert data["calendar"]["source"] == "estimated"
    assert "Asia/Shanghai" in data["calendar"]["note"] and "2027.yml" in data["calendar"]["note"]


@pytest.mark.parametrize("args, word", [
    (["--profile", "nope", "--kind", "repair", "--received", "2026-03-02T10:00"], "nope"),
    (["--profile", "jinan_12345", "--kind", "fix", "--received", "2026-03-02T10:00"], "fix"),
    (["--profile", "jinan_12345", "--kind", "repair", "--received", "yesterday"], "yesterday"),
    (["--profile", "jinan_12345", "--kind", "repair", "--received", "2026-02-30T10:00"], "2026-02-30"),
    (["--profile", "jinan_12345", "--kind", "repair"], "--received"),
    (["--kind", "repair", "--received", "2026-03-02T10:00"], "--profile"),
    (["--profile", "jinan_12345", "--kind", "repair", "--received", "2026-03-02T10:00", "--urgency", "x"], "urgency"),
])
def test_cli_bad_input(args, word):
    code, data = cli(*args)
    assert code == 2
    assert list(data) == ["error"] and word in data["error"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in data["error"])  # Chinese as well as English
