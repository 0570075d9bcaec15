"""Length-preserving text normalisation shared by the tokenizer, the rules and the CLI.

Every transformation maps one character to one character (or a typo to a correction of the
same length), so offsets computed on the normalised text are valid on the original text.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import yaml
import zhconv

DATA_FILE = Path(__file__).resolve().parents[2] / "nlu_data" / "lookups" / "normalization.yml"


@functools.lru_cache(maxsize=None)
def _char(ch: str) -> str:
    if ch.isascii():
        return ch.lower()
    folded = unicodedata.normalize("NFKC", ch)
    if len(folded) == 1 and folded.isascii():
        return folded.lower()
    if "\u3400" <= ch <= "\u9fff":
        simplified = zhconv.convert(ch, "zh-cn")
        if len(simplified) == 1:
            return simplified
    return ch


@functools.lru_cache(maxsize=1)
def _typos(path: str = str(DATA_FILE)) -> tuple[tuple[str, str], ...]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    pairs = []
    for wrong, right in (data.get("typos") or {}).items():
        wrong, right = str(wrong), str(right)
        if len(wrong) != len(right):
            raise ValueError(f"{path}: typo {wrong!r} -> {right!r} changes the length")
        pairs.append((wrong, right))
    # Longest first so that a longer correction wins over a shorter one inside it.
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


_WORDISH = re.compile(r"[\u3400-\u9fff0-9A-Za-z\uff10-\uff19\uff21-\uff5a]")


def has_words(text: str) -> bool:
    """False for text that is only emoji, punctuation or symbols."""
    return bool(_WORDISH.search(text or ""))


def normalize(text: str) -> str:
    """Simplified, half-width, lower-case text with known typos corrected; same length."""
    out = "".join(_char(ch) for ch in text)
    for wrong, right in _typos():
        if wrong in out:
            out = out.replace(wrong, right)
    return out
