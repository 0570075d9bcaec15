"""What the bot says, in plain polite Chinese; no Rasa import, so every channel shares it."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml


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


def policy_answer_text(question: str) -> str:
    from bot.knowledge.answer import answer

    try:
        return answer(question)["answer"]
    except ValueError:
        return "请问您想咨询哪方面的规定?例如“物业能不能停水催费”。"
