"""Emergency detection by rules (data: nlu_data/lookups/urgency.yml), with a learned second
opinion for long letters (urgency_model.py).

Rules decide first: a miss is the worst error the product can make, and a rule that fired can
be named in the log and in the work order. The letter model can only add emergencies.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.nlu.normalize import normalize
from bot.nlu.urgency_model import THRESHOLD as LETTER_THRESHOLD
from bot.nlu.urgency_model import LetterUrgencyModel

DATA_FILE = Path(__file__).resolve().parents[2] / "nlu_data" / "lookups" / "urgency.yml"
SENTENCE_SPLIT = re.compile(r"[。!?;！？；\n]+")
PRESENT_WINDOW = 8  # a present marker this close to a trigger makes it happen now


@dataclass(frozen=True)
class Urgency:
    level: str  # "emergency" | "normal"
    rule: str | None = None  # the trigger that fired
    evidence: str | None = None  # the matched text

    def as_dict(self) -> dict:
        return {"level": self.level, "rule": self.rule, "evidence": self.evidence}


@dataclass(frozen=True)
class _Rules:
    triggers: dict[str, re.Pattern]
    context: dict[str, re.Pattern]
    sentence_context: dict[str, re.Pattern]
    suppress_before: re.Pattern
    suppress_after: re.Pattern
    over: re.Pattern
    present: re.Pattern
    present_only: frozenset[str]


@functools.lru_cache(maxsize=4)
def load_rules(path: str = str(DATA_FILE)) -> _Rules:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    try:
        triggers = {k: re.compile(v) for k, v in data["triggers"].items()}
        context = {k: re.compile(v) for k, v in (data.get("context") or {}).items()}
        sentence_context = {k: re.compile(v)
                            for k, v in (data.get("sentence_context") or {}).items()}
        present_only = frozenset(data.get("present_only") or [])
        unknown = (set(context) | set(sentence_context) | present_only) - set(triggers)
        if unknown:
            raise ValueError(f"context for unknown triggers {sorted(unknown)}")
        return _Rules(triggers, context, sentence_context, re.compile(data["suppress_before"]),
                      re.compile(data["suppress_after"]), re.compile(data["over"]),
                      re.compile(data["present"]), present_only)
    except (KeyError, TypeError, re.error, ValueError) as exc:
        raise ValueError(f"{path}: invalid urgency rules: {exc}") from exc


def detect_urgency(text: str, rules: _Rules | None = None,
                   letter_model: LetterUrgencyModel | None = None) -> Urgency:
    """The rules first; for a long letter they missed, the learned letter model may still call
    it an emergency (bot/nlu/urgency_model.py)."""
    norm = normalize(text)
    found = _by_rules(norm, rules or load_rules())
    if found.level == "emergency" or letter_model is None:
        return found
    probability = letter_model.probability(norm)
    if probability is not None and probability >= LETTER_THRESHOLD:
        return Urgency("emergency", "letter_model", f"p={probability:.2f}")
    return found


def _by_rules(norm: str, rules: _Rules) -> Urgency:
    # message-level context is a property of the whole text: decide it once, not per sentence
    triggers = {name: pattern for name, pattern in rules.triggers.items()
                if name not in rules.context or rules.context[name].search(norm)}
    for sentence in SENTENCE_SPLIT.split(norm):
        if not sentence:
            continue
        if rules.over.search(sentence) and not rules.present.search(sentence):
            continue
        for name, pattern in triggers.items():
            near_ctx = rules.sentence_context.get(name)
            if near_ctx is not None and not near_ctx.search(sentence):
                continue
            if name in rules.present_only and not rules.present.search(sentence):
                continue
            for match in pattern.finditer(sentence):
                # the trigger cannot vouch for itself: "当时我拍门喊救命" is a story
                near = (sentence[max(0, match.start() - PRESENT_WINDOW):match.start()] + "|"
                        + sentence[match.end():match.end() + PRESENT_WINDOW])
                if not rules.present.search(near) and (
                    rules.suppress_before.search(sentence[: match.start()])
                    or rules.suppress_after.search(sentence[match.end():])
                ):
                    continue
                return Urgency("emergency", name, match.group(0))
    return Urgency("normal")

