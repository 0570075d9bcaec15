"""`python -m bot deadline`: print a work order's deadlines as one JSON line."""
from __future__ import annotations

import argparse
import datetime as dt
import json

from bot.core.deadlines import SHANGHAI, compute_deadlines, load_profiles

NAIVE_NOTE = (
    "受理时间未带时区,按北京时间(Asia/Shanghai)解释。"
    " The received time had no UTC offset; it was interpreted as Asia/Shanghai local time."
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "deadline",
        help="compute work-order deadlines (响应/上门/办结/答复时限)",
        description="Print the deadlines of one work order as a JSON line.",
    )
    # Not `required`/`choices`: bad input must give our JSON error, not argparse's usage text.
    parser.add_argument("--profile", help="deadline profile, e.g. jinan_12345")
    parser.add_argument("--kind", help="consult|help|complaint|report|suggestion|repair or 咨询 求助 投诉 举报 建议 报修")
    parser.add_argument("--received", help="ISO 8601 time of receipt; without an offset it is Asia/Shanghai time")
    parser.add_argument("--urgency", default="normal", help="normal (default) or emergency")
    parser.add_argument("--profiles-file", help="policy YAML (default bot/policy/deadline_profiles.yml)")
    parser.set_defaults(func=run)


def _parse_received(text: str | None) -> tuple[dt.datetime, bool]:
    """(aware datetime, whether the offset was assumed)."""
    if not text:
        raise ValueError("缺少 --received / missing --received (ISO 8601, e.g. 2026-02-13T10:00:00+08:00)")
    try:
        text = text.strip()
        if text[-1:] in ("Z", "z"):  # Python 3.10's fromisoformat does not read the Z suffix
            text = text[:-1] + "+00:00"
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"无法解析受理时间 / cannot parse received time {text!r} (expected ISO 8601)") from None
    if value.utcoffset() is None:
        return value.replace(tzinfo=SHANGHAI), True
    return value, False


def run(args: argparse.Namespace) -> int:
    try:
        for option in ("profile", "kind"):
            if not getattr(args, option):
                raise ValueError(f"缺少 --{option} / missing --{option}")
        received, assumed = _parse_received(args.received)
        policy = load_profiles(args.profiles_file) if args.profiles_file else None
        result = compute_deadlines(args.profile, args.kind, received, args.urgency, policy=policy)
    except ValueError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 2
    out = result.as_dict()
    if assumed:
        out["calendar"]["note"] = " ".join(filter(None, [NAIVE_NOTE, out["calendar"]["note"]]))
    print(json.dumps(out, ensure_ascii=False))
    return 0
