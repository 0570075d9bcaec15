"""The two baselines every accuracy figure is compared with, trained on the same data."""
from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from bot.core.categories import CATEGORY_IDS
from bot.nlu.lexicon import Lexicon, default_lexicon


class KeywordBaseline:
    """The category with the most lexicon hits; `other` when nothing matches."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or default_lexicon()

    def predict(self, texts: list[str]) -> list[str]:
        out = []
        for text in texts:
            counts = self.lexicon.category_counts(text)
            out.append(max(counts, key=counts.get) if counts else "other")
        return out


class TfidfSvmBaseline:
    """Character 1-3 gram TF-IDF + linear SVM on raw text; category = best category class."""

    def __init__(self) -> None:
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self.model = LinearSVC(C=1.0)

    def fit(self, texts: list[str], labels: list[str]) -> "TfidfSvmBaseline":
        self.model.fit(self.vectorizer.fit_transform(texts), labels)
        return self

    def predict(self, texts: list[str]) -> list[str]:
        scores = self.model.decision_function(self.vectorizer.transform(texts))
        classes = list(self.model.classes_)
        cat_idx = [i for i, c in enumerate(classes) if c in CATEGORY_IDS]
        return [classes[max(cat_idx, key=lambda i: row[i])] for row in scores]


class KeywordPolicyBaseline:
    """Policy retrieval baseline: the items sharing the most keywords with the question."""

    def __init__(self, kb) -> None:
        from bot.nlu.normalize import normalize

        self.kb = kb
        self._norm = normalize
        self._keywords = [[normalize(k) for k in item.keywords] for item in kb.items]

    def search(self, question: str, k: int = 3) -> list[str]:
        q = self._norm(question)
        scored = [(sum(1 for w in words if w in q), i) for i, words in enumerate(self._keywords)]
        scored = [s for s in scored if s[0] > 0]
        scored.sort(key=lambda s: -s[0])
        return [self.kb.items[i].id for _, i in scored[:k]]
