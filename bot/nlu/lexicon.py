"""The hand-written domain lexicon (nlu_data/lookups/lexicon_*.yml): category -> sub-topic ->
terms. Matching is longest-first and non-overlapping on normalised text, so 电动车进电梯
counts once for corridor clutter and not also as 电梯. Terms under the reserved key `neutral`
are matched the same way but count for nothing: they stop a shorter term from matching inside
an ordinary word (小区外墙 is a wall, not 小区外 "outside the estate")."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.categories import CATEGORY_IDS
from bot.nlu.normalize import normalize

LOOKUP_DIR = Path(__file__).resolve().parents[2] / "nlu_data" / "lookups"
NEUTRAL = "neutral"


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    term: str
    category: str
    subtopic: str


class Lexicon:
    def __init__(self, terms: dict[str, tuple[str, str]]) -> None:
        self.terms = terms  # normalised term -> (category, subtopic)
        self.max_len = max((len(t) for t in terms), default=0)

    @classmethod
    def load(cls, directory: Path = LOOKUP_DIR) -> "Lexicon":
        terms: dict[str, tuple[str, str]] = {}
        files = sorted(directory.glob("lexicon_*.yml"))
        if not files:
            raise ValueError(f"no lexicon_*.yml files in {directory}")
        for path in files:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for category, subtopics in data.items():
                if category not in CATEGORY_IDS and category != NEUTRAL:
                    raise ValueError(f"{path}: unknown category {category!r}")
                if not isinstance(subtopics, dict):
                    raise ValueError(f"{path}: {category} must map sub-topics to term lists")
                for subtopic, words in subtopics.items():
                    for word in words or []:
                        term = normalize(str(word)).strip()
                        if len(term) < 2:
                            raise ValueError(f"{path}: term {word!r} is too short")
                        previous = terms.get(term)
                        if previous and previous[0] != category:
                            raise ValueError(
                                f"{path}: term {term!r} is in both {previous[0]} and {category}")
                        terms[term] = (category, str(subtopic))
        return cls(terms)

    def hits(self, text: str, *, normalized: bool = False) -> list[Hit]:
        norm = text if normalized else normalize(text)
        found, i, n = [], 0, len(norm)
        while i < n:
            for length in range(min(self.max_len, n - i), 1, -1):
                entry = self.terms.get(norm[i:i + length])
                if entry:
                    if entry[0] != NEUTRAL:
                        found.append(Hit(i, i + length, norm[i:i + length], *entry))
                    i += length
                    break
            else:
                i += 1
        return found

    def category_counts(self, text: str, *, normalized: bool = False) -> dict[str, int]:
        counts: dict[str, int] = {}
        for hit in self.hits(text, normalized=normalized):
            counts[hit.category] = counts.get(hit.category, 0) + 1
        return counts


@functools.lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.load()
