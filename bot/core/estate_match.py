"""Fuzzy matching of an estate mention against the registry's names and aliases.

Residents and operators write "阳光花园小区3号楼", "阳光花圆" or "历下区阳光小区": the
address tail and the generic word 小区 are cut, then exact name, exact alias,
containment and finally character similarity (difflib, and an order-free character overlap
for swapped characters) are tried. Below THRESHOLD nothing matches: a wrong estate would
send the order to the wrong property company, the hotline queue is the safer place.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter

from bot.nlu.normalize import normalize

THRESHOLD = 0.75
MIN_CONTAINED = 3  # shorter labels (翠湖) match only exactly: too many other names contain them
_NUM = "0-9零〇一二两三四五六七八九十百"
_TAIL = re.compile(rf"[{_NUM}a-z]+(?:号楼|号院|栋|幢|座|单元|号|楼|室|层|户|#).*$")
_JUNK = re.compile(r"[\s,，。.、;；:：!！?？()（）\[\]【】\"'“”‘’-]")


def clean(text: str) -> str:
    return _JUNK.sub("", normalize(text or ""))


def core(text: str) -> str:
    """The name part of a mention: no address tail, no trailing 小区. (A district prefix is
    left alone: containment and the sliding window below find the name inside it.)"""
    s = clean(text)
    s = _TAIL.sub("", s) or s
    return re.sub(r"小区$", "", s) or s


def similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    ordered = difflib.SequenceMatcher(None, a, b).ratio()
    common = sum((Counter(a) & Counter(b)).values())
    overlap = 2 * common / (len(a) + len(b))
    # Order-free overlap alone would call 花园阳光 and 阳光花园 equal; weigh it less.
    return max(ordered, overlap * 0.9)


def _windows(text: str, size: int):
    for width in {max(size - 1, 1), size, size + 1}:
        for i in range(0, max(len(text) - width, 0) + 1):
            yield text[i:i + width]


def best_match(text: str, estates, *, fuzzy: bool = True) -> tuple[object | None, float, str]:
    """(estate, score, how) for a mention; `estates` are objects with .name and .aliases.

    how: 'name', 'alias', 'contained', 'similar' or 'none'. fuzzy=False stops before the
    similarity step (for free text, where 阳光花店 must not pass for 阳光花园).
    """
    mention, name_part = clean(text), core(text)
    if not mention:
        return None, 0.0, "none"
    labels = [(e, normalize(label), label == e.name)
              for e in estates for label in [e.name, *(e.aliases or [])]]
    for wanted_name in (True, False):  # exact name first, then exact alias
        for estate, label, is_name in labels:
            if is_name == wanted_name and label in (mention, name_part):
                return estate, 1.0, "name" if is_name else "alias"
    for estate, label, is_name in labels:
        if core(label) == name_part and len(name_part) >= 2:
            return estate, 1.0, "name" if is_name else "alias"
    contained = [(len(label), estate) for estate, label, _ in labels
                 if len(label) >= MIN_CONTAINED and label in mention]
    if contained:
        return max(contained, key=lambda pair: pair[0])[1], 0.95, "contained"
    if not fuzzy:
        return None, 0.0, "none"
    best, best_score = None, 0.0
    for estate, label, _ in labels:
        target = core(label)
        if len(target) < MIN_CONTAINED:  # 阳光 vs 阳光城: two characters prove nothing
            continue
        candidates = [name_part, *(_windows(mention, len(target)) if len(mention) > len(target) + 1 else ())]
        score = max(similarity(c, target) for c in candidates)
        if score > best_score:
            best, best_score = estate, score
    if best_score >= THRESHOLD:
        return best, round(best_score, 3), "similar"
    return None, round(best_score, 3), "none"


def match_estate(session, text: str):
    """(Estate | None, score) for a mention, against every estate in the database."""
    from sqlalchemy import select

    from bot.store.models import Estate

    estates = list(session.execute(select(Estate).order_by(Estate.id)).scalars())
    estate, score, _how = best_match(text, estates)
    return estate, score
