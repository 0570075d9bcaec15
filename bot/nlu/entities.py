"""Rule-based entity extraction with spaCy: estate, building, unit, room, phone, time.

A blank Chinese spaCy pipeline segments by character, so every mention aligns with a span
whatever jieba did. An EntityRuler holds the token patterns (3号楼, 2单元, 501室) and the
known estate names; regexes add what token patterns express badly (phone numbers, time
expressions, unknown estate names, 3-2-501 addresses). spaCy's filter_spans keeps the longest
non-overlapping mentions. Values come back normalised (3号楼 -> "3", 翠湖苑小区 -> "翠湖苑").
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Iterable

import spacy
from spacy.tokens import Span
from spacy.util import filter_spans

from bot.nlu.normalize import normalize
from bot.nlu.numerals import chinese_to_int

LOOKUP_DIR = Path(__file__).resolve().parents[2] / "nlu_data" / "lookups"

_NUM = "0-9一二三四五六七八九十两零〇"
_NUM_TOKEN = {"TEXT": {"REGEX": f"^[{_NUM}]$"}, "OP": "+"}
_LETTER_TOKEN = {"TEXT": {"REGEX": "^[a-z]$"}}
_DI = {"TEXT": "第", "OP": "?"}


def _chars(word: str) -> list[dict]:
    return [{"TEXT": ch} for ch in word]


TOKEN_PATTERNS: list[dict] = (
    [{"label": "building", "pattern": [_DI, _NUM_TOKEN, *_chars(s)]}
     for s in ("号楼", "栋", "幢", "座", "号栋", "号院")]
    + [{"label": "building", "pattern": [_LETTER_TOKEN, *_chars(s)]} for s in ("座", "栋", "幢")]
    + [{"label": "unit", "pattern": [_DI, _NUM_TOKEN, *_chars("单元")]}]
    + [{"label": "room", "pattern": [_NUM_TOKEN, {"TEXT": {"IN": ["室", "户", "房"]}}]}]
)

PHONE_RE = re.compile(r"(?<![0-9])(?:1[3-9][0-9](?:[ -]?[0-9]{4}){2}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")
# 3-2-501 / 3号楼2-501 style addresses: building-unit-room.
ADDRESS_RE = re.compile(r"(?<![0-9-])([0-9]{1,3})-([0-9]{1,2})-([0-9]{3,4})(?![0-9-])")
# A bare 3-4 digit room number right after a unit or building mention (2单元501, 3号楼1402).
ROOM_AFTER_UNIT_RE = re.compile(r"(?:单元|号楼|栋|幢)([0-9]{3,4})(?![0-9室户号])")
_DAY = r"(?:今天|昨天|前天|大前天|明天|今早|今晚|昨晚|前晚|今儿|昨儿|上周[一二三四五六日天末]?|这周[一二三四五六日天末]?|本周[一二三四五六日天末]?|上个?星期[一二三四五六日天]?|上个月|这个月|本月|去年|今年|周[一二三四五六日末]|星期[一二三四五六日天]|[0-9一二三四五六七八九十]{1,3}月[0-9一二三四五六七八九十]{1,3}[日号])"
_PART = r"(?:早上|上午|中午|下午|傍晚|晚上|夜里|半夜|凌晨|夜间|白天)"
_CLOCK = r"(?:[0-9一二三四五六七八九十两]{1,3}(?:点|时)(?:半|[0-9一二三四五六七八九十]{1,3}分?)?(?:左右)?|[0-9]{1,2}[:][0-9]{2})"
_DURATION = r"(?:(?:近|将近|快)?(?:[0-9一二三四五六七八九十两几半]+)(?:个)?多?(?:天|周|星期|礼拜|个月|月|年|小时|钟头|分钟)(?:多)?(?:了)?)"
TIME_RE = re.compile(
    rf"{_DAY}{_PART}?{_CLOCK}?|{_PART}{_CLOCK}?|{_CLOCK}|{_DURATION}"
)
_ESTATE_SUFFIX = (
    "小区|花园|家园|新村|公寓|华庭|山庄|名郡|名苑|花苑|雅苑|嘉园|佳苑|公馆|府邸|大厦|广场|"
    "社区|苑|园|府|城|湾|郡|庭|里|院|墅|邸"
)
# Lookahead: every suffix position is a candidate, so 万科城市花园 also yields the long name.
ESTATE_SUFFIX_RE = re.compile(rf"(?=((?:{_ESTATE_SUFFIX})(?:小区)?))")
_NAME_CHAR = re.compile(r"[\u4e00-\u9fffa-z0-9]")
# Characters that never start an estate name; the candidate is trimmed after the last one.
_ESTATE_STOP = set("我你他她们在住是的了家于向到从给被把与及对这那个反映称说请问市区县路街镇号楼栋单元室户面边旁位今昨前明早晚天来电业主居民"
                   "让进掉时去过跟叫找看走跑有没很都也还就又")
# Words that can precede an estate name without a stop character between (因为小区…, 址为山大新村).
_ESTATE_LEAD = re.compile(r"^(?:因为|然后|所以|但是|如果|关于|位于|地址为|址为|规定|负责|解决|表示|"
                          r"自本月起|本月起|我们|你们|他们|隔壁|另外|贵|该|本|整个|比|往|归)+")
_ESTATE_BAD = {"小区", "花园", "公园", "校园", "家园", "乐园", "菜园", "幼儿园", "院里", "城里",
               "这里", "那里", "哪里", "家里", "楼里", "小区里", "公寓", "社区", "广场", "大院",
               "法院", "医院", "物业", "城管", "庭院", "后院", "前院", "院子"}


def _int_value(mention: str) -> str:
    digits = re.search(rf"[{_NUM}]+|[a-z]", mention)
    if not digits:
        return mention
    number = chinese_to_int(digits.group(0))
    return str(number) if number is not None else digits.group(0).upper()


def normalize_value(entity: str, mention: str) -> str:
    """The canonical value of a mention: 3号楼 -> '3', 139-1234-5678 -> '13912345678'."""
    text = normalize(mention).strip()
    if entity in ("building", "unit", "room"):
        return _int_value(text)
    if entity == "phone":
        return re.sub(r"[ ]", "", text) if text.startswith("0") else re.sub(r"[ -]", "", text)
    if entity == "estate":
        trimmed = re.sub(r"小区$", "", text)
        return trimmed or text
    return text


@functools.lru_cache(maxsize=1)
def _known_estates() -> tuple[str, ...]:
    names: set[str] = set()
    for path in sorted(LOOKUP_DIR.glob("estates*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                names.add(normalize(line))
    return tuple(sorted(names))


class EntityExtractor:
    """Finds entity mentions in one text; thread-safe after construction."""

    LABELS = ("estate", "building", "unit", "room", "phone", "time")

    def __init__(self, known_estates: Iterable[str] | None = None) -> None:
        self.nlp = spacy.blank("zh")  # character segmentation: spans always align
        ruler = self.nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
        estates = tuple(known_estates) if known_estates is not None else _known_estates()
        ruler.add_patterns(
            TOKEN_PATTERNS + [{"label": "estate", "pattern": name} for name in estates]
        )

    def _regex_spans(self, doc, norm: str) -> list[Span]:
        spans: list[Span] = []

        def add(start: int, end: int, label: str) -> None:
            span = doc.char_span(start, end, label=label, alignment_mode="contract")
            if span is not None and len(span):
                spans.append(span)

        for m in PHONE_RE.finditer(norm):
            add(m.start(), m.end(), "phone")
        for m in ADDRESS_RE.finditer(norm):
            for group, label in ((1, "building"), (2, "unit"), (3, "room")):
                add(m.start(group), m.end(group), label)
        for m in ROOM_AFTER_UNIT_RE.finditer(norm):
            add(m.start(1), m.end(1), "room")
        for m in TIME_RE.finditer(norm):
            if m.end() > m.start() and not _inside_number(norm, m.start(), m.end()):
                add(m.start(), m.end(), "time")
        for m in ESTATE_SUFFIX_RE.finditer(norm):
            start, end = m.start(), m.start() + len(m.group(1))
            while (start > 0 and m.start() - start < 8 and _NAME_CHAR.match(norm[start - 1])
                   and norm[start - 1] not in _ESTATE_STOP):
                start -= 1
            lead = _ESTATE_LEAD.match(norm[start:m.start()])
            start += lead.end() if lead else 0
            name = norm[start:end]
            if m.start() - start >= 2 and name not in _ESTATE_BAD and not name[0].isdigit():
                add(start, end, "estate")
        return spans

    def extract(self, text: str) -> list[dict]:
        norm = normalize(text)
        doc = self.nlp(norm)
        ruled = list(doc.ents)
        spans = filter_spans(ruled + self._regex_spans(doc, norm))
        # Phone digits must not double as rooms or times: drop spans inside a phone number.
        phones = [s for s in spans if s.label_ == "phone"]
        result = []
        for span in sorted(spans, key=lambda s: s.start_char):
            if span.label_ != "phone" and any(
                p.start_char <= span.start_char and span.end_char <= p.end_char for p in phones
            ):
                continue
            mention = text[span.start_char:span.end_char]
            result.append({
                "entity": span.label_,
                "start": span.start_char,
                "end": span.end_char,
                "text": mention,
                "value": normalize_value(span.label_, mention),
            })
        return result


def _inside_number(text: str, start: int, end: int) -> bool:
    """A time regex hit that is really part of a longer digit run (a phone or room number)."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return before.isdigit() or (text[start].isdigit() and after.isdigit())


@functools.lru_cache(maxsize=1)
def default_extractor() -> EntityExtractor:
    return EntityExtractor()
