"""What the bot says, in plain polite Chinese; no Rasa import, so every channel shares it."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from bot.core.categories import load_categories

SAFETY_FILE = Path(__file__).resolve().parents[1] / "policy" / "safety_advice.yml"
ORDER_NUMBER = re.compile(r"WY-?\d{8}-?\d{4,}", re.IGNORECASE)
STATUS_ZH = {"new": "已受理", "dispatched": "已派单", "accepted": "处理单位已接单",
             "on_site": "处理人员已到现场", "resolved": "已处理完毕,待您评价",
             "closed": "已办结", "reopened": "已重新办理", "cancelled": "已撤销",
             "merged": "已与相同问题的工单合并"}


@functools.lru_cache(maxsize=1)
def safety_advice() -> dict:
    data = yaml.safe_load(SAFETY_FILE.read_text(encoding="utf-8")) or {}
    if not data.get("default") or not isinstance(data.get("advice"), dict):
        raise ValueError(f"{SAFETY_FILE}: needs `default` and `advice`")
    return data


def _place(entities: list[dict]) -> str:
    parts = {e["entity"]: e.get("value") for e in entities}
    out = parts.get("estate") or ""
    for key, suffix in (("building", "号楼"), ("unit", "单元"), ("room", "室")):
        if parts.get(key):
            out += f"{parts[key]}{suffix}"
    return out


def report_acknowledgement(text: str, triage: dict, entities: list[dict]) -> list[str]:
    """Emergency advice first (if any), then what we understood."""
    messages = []
    categories = load_categories()
    if triage.get("urgency") == "emergency":
        advice = safety_advice()
        rule = triage.get("urgency_rule")
        messages.append("【紧急】" + advice["advice"].get(rule, advice["default"]))
    category = categories.get(triage.get("category") or "other", categories["other"])
    place = _place(entities)
    also = [categories[c].short for c in triage.get("secondary", []) if c in categories]
    summary = f"收到,您反映的是{category.short}" + (f"(位置:{place})" if place else "")
    if also:
        summary += ",同时还涉及" + "、".join(also)
    summary += "。"
    if triage.get("urgency") == "emergency":
        summary += "我们已按紧急情况处理,会立即通知责任单位到场。"
    else:
        summary += "请留下小区名称、楼号和手机号码,方便我们为您登记工单。"
    messages.append(summary)
    return messages


def policy_answer_text(question: str) -> str:
    from bot.knowledge.answer import answer

    try:
        return answer(question)["answer"]
    except ValueError:
        return "请问您想咨询哪方面的规定?例如“物业能不能停水催费”。"


def order_status_text(text: str, session=None) -> str:
    match = ORDER_NUMBER.search(text or "")
    if not match:
        return "请提供工单号(例如 WY-20261122-0007),我来帮您查询办理进度。"
    number = match.group(0).upper()
    if "-" not in number[3:]:
        number = f"WY-{number[2:10]}-{number[10:]}" if number[2] != "-" else number
    from bot.store import orders
    from bot.store.db import make_engine, session_scope

    with session_scope(make_engine()) as s:
        order = orders.get_by_number(s, number)
        if order is None:
            return f"没有查到工单 {number},请核对工单号是否正确。"
        status = STATUS_ZH.get(order.status, order.status)
        due = order.due_reply or order.due_resolve
        when = f",答复期限:{due:%Y年%m月%d日 %H:%M}" if due else ""
        return f"工单 {number} 当前状态:{status}{when}。"
