"""Deadline engine: work-order deadlines from the policy file bot/policy/deadline_profiles.yml.

All deadlines are aware datetimes in Asia/Shanghai. Working days come from
bot/core/workcalendar.py; when a deadline depends on an estimated year, the result says so.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.core.workcalendar import ESTIMATED, OFFICIAL, PROJECT_ROOT, WorkCalendar, get_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_PATH = PROJECT_ROOT / "bot" / "policy" / "deadline_profiles.yml"

DUE_NAMES = ("respond", "onsite", "resolve", "reply")
MILESTONE_NAMES = ("plan", "dispatch")  # computed, but not part of the CLI output
UNITS = ("minutes", "hours", "calendar_days", "working_days", "same_day")
URGENCIES = {"normal": "normal", "emergency": "emergency", "普通": "normal", "一般": "normal", "紧急": "emergency"}


@dataclass(frozen=True)
class Rule:
    unit: str
    value: float | None = None
    on_working_day: float | None = None
    on_non_working_day: float | None = None

    def calendar_years(self, received: dt.datetime, due: dt.datetime) -> range:
        """Years whose working-day calendar this rule consulted (to flag estimated years)."""
        if self.unit == "working_days":
            return range(received.year, due.year + 1)
        if self.value is None and self.unit != "same_day":  # depends on the day of receipt
            return range(received.year, received.year + 1)
        return range(0)

    def due(self, received: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
        """Deadline for an aware `received` already in Asia/Shanghai; never before receipt."""
        # (same_day received in the last second of the day would otherwise end before receipt)
        return max(self._due(received, calendar), received)

    def _due(self, received: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
        day = received.date()
        if self.unit == "same_day":
            return _end_of(day)
        value = self.value
        if value is None:
            value = self.on_working_day if calendar.is_workday(day) else self.on_non_working_day
        if self.unit == "minutes":
            return _elapsed(received, dt.timedelta(minutes=value))
        if self.unit == "hours":
            return _elapsed(received, dt.timedelta(hours=value))
        if self.unit == "calendar_days":
            return _end_of(day + dt.timedelta(days=int(value)))
        return _end_of(calendar.add_working_days(day, int(value)))


def _elapsed(received: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    # Real elapsed time: add in UTC so a zone's offset change could never shift it.
    return (received.astimezone(dt.timezone.utc) + delta).astimezone(SHANGHAI)


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    source: str
    rules: dict  # "default" or kind id -> {deadline name: Rule | None}
    emergency: dict  # deadline name -> Rule | None
    kind_alias: dict  # kind id -> kind id whose rules it uses

    def rules_for(self, kind: str) -> dict:
        kind = self.kind_alias.get(kind, kind)
        return {**self.rules.get("default", {}), **self.rules.get(kind, {})}


@dataclass(frozen=True)
class Policy:
    path: Path
    kinds: dict  # kind id -> Chinese word
    profiles: dict  # name -> Profile

    def profile(self, name: str) -> Profile:
        if name not in self.profiles:
            known = ", ".join(sorted(self.profiles))
            raise ValueError(f"未知的时限方案 / unknown deadline profile {name!r}; known: {known}")
        return self.profiles[name]

    def kind(self, name: str) -> str:
        """Canonical kind id for an English id or its Chinese word."""
        for kind_id, word in self.kinds.items():
            if name in (kind_id, word):
                return kind_id
        known = ", ".join(f"{k} ({w})" for k, w in self.kinds.items())
        raise ValueError(f"未知的诉求类型 / unknown kind {name!r}; known: {known}")


@dataclass(frozen=True)
class Deadlines:
    profile: str
    kind: str
    urgency: str
    received: dt.datetime
    respond: dt.datetime | None
    onsite: dt.datetime | None
    resolve: dt.datetime | None
    reply: dt.datetime | None
    calendar_source: str  # OFFICIAL or ESTIMATED
    calendar_note: str | None = None
    milestones: dict = field(default_factory=dict)  # plan/dispatch where a profile sets them

    def as_dict(self) -> dict:
        def iso(value):
            return None if value is None else value.isoformat(timespec="seconds")

        return {
            "profile": self.profile,
            "kind": self.kind,
            "received": iso(self.received),
            "due": {name: iso(getattr(self, name)) for name in DUE_NAMES},
            "calendar": {"source": self.calendar_source, "note": self.calendar_note},
        }


# ---------------------------------------------------------------- loading and validation


class _Loader:
    def __init__(self, path: Path):
        self.path = path

    def error(self, where: str, problem: str) -> ValueError:
        return ValueError(f"时限配置无效 / invalid deadline policy {self.path}: {where}: {problem}")

    def mapping(self, value, where: str, allowed=None) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(where, f"expected a mapping, got {type(value).__name__}")
        if allowed is not None:
            unknown = [str(k) for k in value if k not in allowed]
            if unknown:
                raise self.error(f"{where}.{unknown[0]}", f"unknown field; allowed: {', '.join(allowed)}")
        return value

    def number(self, value, where: str, unit: str):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.error(where, f"expected a number >= 0, got {value!r}")
        if unit in ("working_days", "calendar_days") and value != int(value):
            raise self.error(where, f"{unit} must be a whole number, got {value!r}")
        if unit == "working_days" and value < 1:
            raise self.error(where, "working_days must be >= 1")
        return value

    def rule(self, value, where: str) -> Rule | None:
        if value is None:
            return None
        raw = self.mapping(value, where, ("unit", "value", "on_working_day", "on_non_working_day"))
        unit = raw.get("unit")
        if unit not in UNITS:
            raise self.error(f"{where}.unit", f"expected one of {', '.join(UNITS)}, got {unit!r}")
        given = {k for k in ("value", "on_working_day", "on_non_working_day") if raw.get(k) is not None}
        if unit == "same_day":
            if given:
                raise self.error(where, "same_day takes no value")
            return Rule(unit)
        if given == {"value"}:
            return Rule(unit, value=self.number(raw["value"], f"{where}.value", unit))
        if given == {"on_working_day", "on_non_working_day"}:
            return Rule(
                unit,
                on_working_day=self.number(raw["on_working_day"], f"{where}.on_working_day", unit),
                on_non_working_day=self.number(raw["on_non_working_day"], f"{where}.on_non_working_day", unit),
            )
        raise self.error(where, "give either value, or both on_working_day and on_non_working_day")

    def rule_set(self, value, where: str) -> dict:
        raw = self.mapping(value, where, DUE_NAMES + MILESTONE_NAMES)
        return {name: self.rule(rule, f"{where}.{name}") for name, rule in raw.items()}

    def merged(self, name: str, raw_profiles: dict, seen: tuple = ()) -> dict:
        """A profile's raw data with its `extends` chain applied (per deadline name)."""
        where = f"profiles.{name}"
        if name in seen:
            raise self.error(where, f"extends cycle: {' -> '.join(seen + (name,))}")
        raw = self.mapping(raw_profiles[name], where, ("name", "source", "extends", "kind_alias", "emergency", "rules"))
        base_name = raw.get("extends")
        if base_name is None:
            return raw
        if base_name not in raw_profiles:
            raise self.error(f"{where}.extends", f"unknown profile {base_name!r}")
        base = self.merged(base_name, raw_profiles, seen + (name,))
        out = {**base, **{k: v for k, v in raw.items() if k != "extends"}}
        for key in ("kind_alias", "emergency"):
            out[key] = {**self.mapping(base.get(key), f"profiles.{base_name}.{key}"),
                        **self.mapping(raw.get(key), f"{where}.{key}")}
        base_rules = self.mapping(base.get("rules"), f"profiles.{base_name}.rules")
        own_rules = self.mapping(raw.get("rules"), f"{where}.rules")
        out["rules"] = {
            kind: {**self.mapping(base_rules.get(kind), f"profiles.{base_name}.rules.{kind}"),
                   **self.mapping(own_rules.get(kind), f"{where}.rules.{kind}")}
            for kind in {**base_rules, **own_rules}
        }
        return out

    def load(self) -> Policy:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise self.error("(file)", f"cannot read YAML: {exc}") from exc
        data = self.mapping(data, "(top level)", ("kinds", "emergency", "profiles"))
        kinds = self.mapping(data.get("kinds"), "kinds")
        if not kinds:
            raise self.error("kinds", "no kinds defined")
        for kind_id, word in kinds.items():
            if not isinstance(kind_id, str) or not isinstance(word, str) or not word:
                raise self.error(f"kinds.{kind_id}", "expected `id: 中文` with strings")
        emergency = self.rule_set(data.get("emergency"), "emergency")
        raw_profiles = self.mapping(data.get("profiles"), "profiles")
        if not raw_profiles:
            raise self.error("profiles", "no profiles defined")
        profiles = {}
        for name in raw_profiles:
            where = f"profiles.{name}"
            raw = self.merged(name, raw_profiles)
            source = raw.get("source")
            if not isinstance(source, str) or not source.strip():
                raise self.error(f"{where}.source", "cite the source of the deadlines (non-empty string)")
            if "rules" not in raw:
                raise self.error(f"{where}.rules", "missing")
            rules = {}
            for kind, rule_set in self.mapping(raw["rules"], f"{where}.rules").items():
                if kind != "default" and kind not in kinds:
                    raise self.error(f"{where}.rules.{kind}", f"unknown kind; known: default, {', '.join(kinds)}")
                rules[kind] = self.rule_set(rule_set, f"{where}.rules.{kind}")
            alias = self.mapping(raw.get("kind_alias"), f"{where}.kind_alias")
            for kind, target in alias.items():
                if kind not in kinds or target not in kinds or target in alias:
                    raise self.error(f"{where}.kind_alias.{kind}", f"expected known kinds, got {kind!r}: {target!r}")
                if kind in rules:
                    raise self.error(f"{where}.kind_alias.{kind}", "kind has its own rules as well as an alias")
            title = raw.get("name", name)
            if not isinstance(title, str):
                raise self.error(f"{where}.name", "expected a string")
            own_emergency = self.rule_set(raw.get("emergency"), f"{where}.emergency")
            profiles[name] = Profile(name, title, source.strip(), rules, {**emergency, **own_emergency}, dict(alias))
        return Policy(self.path, dict(kinds), profiles)


def load_profiles(path: str | Path | None = None) -> Policy:
    """Load and validate the policy file; raises ValueError naming the file and field."""
    return _Loader(Path(path) if path is not None else DEFAULT_PATH).load()


@functools.lru_cache(maxsize=None)
def _cached_policy(path: Path) -> Policy:
    return load_profiles(path)


# ---------------------------------------------------------------- computing


def compute_deadlines(
    profile_name: str,
    kind: str,
    received: dt.datetime,
    urgency: str = "normal",
    *,
    policy: Policy | None = None,
    calendar: WorkCalendar | None = None,
) -> Deadlines:
    policy = policy or _cached_policy(DEFAULT_PATH)
    profile = policy.profile(profile_name)
    kind_id = policy.kind(kind)
    if urgency not in URGENCIES:
        raise ValueError(f"未知的紧急程度 / unknown urgency {urgency!r}; known: normal (普通), emergency (紧急)")
    urgency = URGENCIES[urgency]
    if not isinstance(received, dt.datetime):
        raise ValueError(f"受理时间必须是 datetime / received must be a datetime, got {type(received).__name__}")
    if received.utcoffset() is None:
        raise ValueError("受理时间缺少时区 / received must be timezone-aware (naive datetimes are refused)")
    received = received.astimezone(SHANGHAI)
    calendar = calendar or get_calendar()

    rules = profile.rules_for(kind_id)
    extra = profile.emergency if urgency == "emergency" else {}
    due, years = {}, set()
    for name in DUE_NAMES + MILESTONE_NAMES:
        times = []
        for rule in (rules.get(name), extra.get(name)):
            if rule is not None:
                time = rule.due(received, calendar)
                times.append(time)
                years.update(rule.calendar_years(received, time))
        # Emergency rules only tighten: the earliest applicable deadline wins.
        due[name] = min(times) if times else None

    estimated = [calendar.year(y) for y in sorted(years) if calendar.year(y).source == ESTIMATED]
    return Deadlines(
        profile=profile.name,
        kind=kind_id,
        urgency=urgency,
        received=received,
        **{name: due[name] for name in DUE_NAMES},
        calendar_source=ESTIMATED if estimated else OFFICIAL,
        calendar_note=" ".join(y.note for y in estimated) or None,
        milestones={name: due[name] for name in MILESTONE_NAMES if due[name] is not None},
    )
