"""The three lists and the law facts (bot/knowledge/*.yml): loading, validation, retrieval.

One source of truth: the answers residents get and the responsibility routing uses come from
these items. Retrieval blends two views of an item: BM25 over jieba words plus character
bigrams (bigrams survive typos and segmentation slips; title, keywords and example questions
weigh more than the answer text), and a linear classifier trained on the items' example
questions, titles and keywords, which learns the wording residents use. On the held-out
questions the blend beats either alone (make eval).
"""
from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from bot.core.categories import CATEGORY_IDS
from bot.nlu.normalize import normalize

KB_DIR = Path(__file__).resolve().parent
LIST_FILES = {
    "property_service": "property_service.yml",
    "department_duty": "department_duty.yml",
    "committee_duty": "committee_duty.yml",
    "law_fact": "law_facts.yml",
}
REQUIRED = ("id", "title", "answer", "responsible", "basis", "categories", "keywords", "questions")
STOP = set("的了吗呢吧啊呀么是在有我我们你他她它这那个和与及或就都也还又要会能可以怎么什么谁哪请问")


@dataclass(frozen=True)
class Basis:
    law: str
    article: str | None

    def cite(self) -> str:
        return f"《{self.law}》{self.article or ''}"


@dataclass(frozen=True)
class Item:
    id: str
    list: str
    list_name: str
    title: str
    answer: str
    responsible: tuple[str, ...]
    basis: tuple[Basis, ...]
    categories: tuple[str, ...]
    keywords: tuple[str, ...]
    questions: tuple[str, ...]
    major: str | None = None

    @property
    def ref(self) -> str:
        """How a citation names the item: 物业服务清单 3.2, 政府职能部门职责清单 DD-07."""
        if self.list == "property_service":
            return f"{self.list_name} {self.id.removeprefix('PS-')}"
        return f"{self.list_name} {self.id}"

    def citation(self) -> dict:
        return {"list": self.list, "item_id": self.id, "title": self.title,
                "basis": "、".join(b.cite() for b in self.basis)}


@functools.lru_cache(maxsize=1)
def org_types() -> dict[str, dict]:
    data = yaml.safe_load((KB_DIR / "org_types.yml").read_text(encoding="utf-8"))
    return data["org_types"]


def _load_list(list_id: str, path: Path) -> list[Item]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if data.get("list") != list_id:
        raise ValueError(f"{path}: `list` must be {list_id!r}")
    known_orgs = org_types()
    items = []
    for n, raw in enumerate(data.get("items") or []):
        where = f"{path.name} item {n} ({raw.get('id', '?')})"
        missing = [k for k in REQUIRED if not raw.get(k)]
        if missing:
            raise ValueError(f"{where}: missing {missing}")
        bad_orgs = [o for o in raw["responsible"] if o not in known_orgs]
        bad_cats = [c for c in raw["categories"] if c not in CATEGORY_IDS]
        if bad_orgs or bad_cats:
            raise ValueError(f"{where}: unknown responsible {bad_orgs} or categories {bad_cats}")
        try:
            basis = tuple(Basis(str(b["law"]), b.get("article")) for b in raw["basis"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{where}: basis entries need `law` (and `article`)") from exc
        items.append(Item(
            id=str(raw["id"]), list=list_id, list_name=str(data.get("name") or list_id),
            title=str(raw["title"]), answer=str(raw["answer"]).strip(),
            responsible=tuple(raw["responsible"]), basis=basis,
            categories=tuple(raw["categories"]), keywords=tuple(map(str, raw["keywords"])),
            questions=tuple(map(str, raw["questions"])), major=raw.get("major"),
        ))
    return items


def tokens(text: str) -> list[str]:
    from bot.nlu.textclf import words  # jieba with the project's user dictionary

    norm = normalize(text)
    out = [w for w in words(norm) if w not in STOP and not w.isspace() and len(w.strip()) > 0
           and any("\u4e00" <= ch <= "\u9fff" or ch.isalnum() for ch in w)]
    han = "".join(ch for ch in norm if "\u4e00" <= ch <= "\u9fff")
    out += [han[i:i + 2] for i in range(len(han) - 1)]
    return out


class KnowledgeBase:
    K1, B = 1.2, 0.75
    # Classifier margin vs. BM25 score relative to the best hit; 1.0 won a 3-fold
    # cross-validation over the items' own example questions (0.616 top-1 vs 0.611 at 2.0).
    CLASSIFIER_WEIGHT = 1.0
    POOL = 20                # BM25 candidates blended with the classifier

    def __init__(self, items: list[Item]) -> None:
        ids = Counter(item.id for item in items)
        dupes = [i for i, n in ids.items() if n > 1]
        if dupes:
            raise ValueError(f"duplicate item ids: {dupes}")
        self.items = items
        self.by_id = {item.id: item for item in items}
        self._docs = [Counter(self._doc_tokens(item)) for item in items]
        self._lengths = [sum(d.values()) for d in self._docs]
        self._avg = sum(self._lengths) / max(len(self._lengths), 1)
        df = Counter(t for d in self._docs for t in d)
        n = len(self._docs)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self._train_classifier()

    def _train_classifier(self) -> None:
        texts, labels = [], []
        for item in self.items:
            for text in (*item.questions, item.title, " ".join(item.keywords)):
                texts.append(normalize(text))
                labels.append(item.id)
        self._chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self._words = TfidfVectorizer(analyzer=tokens, sublinear_tf=True)
        features = sp.hstack([self._chars.fit_transform(texts), self._words.fit_transform(texts)])
        self._classifier = LinearSVC(C=1.0).fit(features.tocsr(), labels)
        self._class_column = {c: i for i, c in enumerate(self._classifier.classes_)}

    def _classifier_scores(self, query: str) -> np.ndarray:
        norm = normalize(query)
        features = sp.hstack([self._chars.transform([norm]), self._words.transform([norm])])
        return self._classifier.decision_function(features.tocsr())[0]

    @staticmethod
    def _doc_tokens(item: Item) -> list[str]:
        weighted = [item.title] * 3 + list(item.keywords) * 2 + list(item.questions) * 2
        return [t for part in weighted + [item.answer] for t in tokens(part)]

    @classmethod
    def load(cls, directory: Path = KB_DIR) -> "KnowledgeBase":
        items = []
        for list_id, name in LIST_FILES.items():
            items += _load_list(list_id, directory / name)
        return cls(items)

    def bm25(self, query: str, categories: tuple[str, ...] = ()) -> list[tuple[Item, float]]:
        q = Counter(tokens(query))
        scored = []
        for item, doc, length in zip(self.items, self._docs, self._lengths):
            if categories and not set(categories) & set(item.categories):
                continue
            score = 0.0
            for term in q:
                f = doc.get(term)
                if f:
                    score += self._idf[term] * f * (self.K1 + 1) / (
                        f + self.K1 * (1 - self.B + self.B * length / self._avg))
            if score > 0:
                scored.append((item, score))
        scored.sort(key=lambda pair: -pair[1])
        return scored

    def search(self, query: str, k: int = 3,
               categories: tuple[str, ...] = ()) -> list[tuple[Item, float]]:
        """Best items first with their BM25 score (the score `answer` calibrates on)."""
        hits = self.bm25(query, categories)[: self.POOL]
        if not hits:
            return []
        margins = self._classifier_scores(query)
        best = hits[0][1]
        blended = sorted(
            hits, key=lambda h: -(h[1] / best + self.CLASSIFIER_WEIGHT
                                  * margins[self._class_column[h[0].id]]))
        return blended[:k]


@functools.lru_cache(maxsize=1)
def default_kb() -> KnowledgeBase:
    return KnowledgeBase.load()
