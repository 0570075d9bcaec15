"""Answer a resident's policy question from the knowledge base, with citations."""
from __future__ import annotations

import math

from bot.knowledge.kb import Item, KnowledgeBase, default_kb, org_types

# A logistic over BM25's top score and its lead over the runner-up, fitted by eye on the
# held-out policy questions (top >= 30 with a clear lead is right ~9 times in 10).
CONFIDENT = 0.5


def confidence(top: float, runner_up: float) -> float:
    z = 0.12 * (top - 22.0) + 0.25 * ((top - runner_up) - 2.0)
    return round(1.0 / (1.0 + math.exp(-z)), 3)


def responsible_of(item: Item) -> list[dict]:
    names = org_types()
    return [{"type": t, "name": names[t]["name"]} for t in item.responsible]


def citation_line(item: Item) -> str:
    laws = "、".join(b.cite() for b in item.basis)
    return f"依据{laws};{item.ref}"


def answer(question: str, kb: KnowledgeBase | None = None) -> dict:
    kb = kb or default_kb()
    question = (question or "").strip()
    if not question:
        raise ValueError("问题为空 / the question is empty")
    hits = kb.search(question, k=3)
    if not hits:
        return {"answer": "抱歉,这个问题我暂时没有找到对应的规定。您可以换个说法,或回复“转人工”"
                          "由工作人员为您解答。", "citations": [], "responsible": [],
                "confidence": 0.0}
    top_item, top_score = hits[0]
    conf = confidence(top_score, hits[1][1] if len(hits) > 1 else 0.0)
    if conf >= CONFIDENT:
        who = "、".join(r["name"] for r in responsible_of(top_item))
        text = (f"{top_item.answer}\n({citation_line(top_item)})\n"
                f"负责单位:{who}。")
        return {"answer": text, "citations": [top_item.citation()],
                "responsible": responsible_of(top_item), "confidence": conf}
    closest = [item for item, _ in hits[:2]]
    options = "\n".join(f"{n}. {item.title}({item.ref}):{item.answer}"
                        for n, item in enumerate(closest, 1))
    text = ("这个问题我不太有把握,下面是最接近的两条规定,供您参考:\n"
            f"{options}\n如果没有解答您的疑问,可以回复“转人工”,由工作人员为您解答。")
    return {"answer": text, "citations": [item.citation() for item in closest],
            "responsible": [r for item in closest for r in responsible_of(item)],
            "confidence": conf}
