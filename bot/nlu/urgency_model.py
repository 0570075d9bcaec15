"""A learned second opinion on urgency for long letters.

The rules (urgency.py) name what fired and catch every emergency in the short held-out set, but
letters tell stories: measured once on arrival, each fresh set of long letters by a new writer
lost 1-4 of its 20 present emergencies to the rules. This model reads a whole letter (character
n-grams, logistic regression) and is trained on letters that set present emergencies against
past, distant, feared and rehearsed ones (nlu_data/urgency/) plus ordinary complaint letters.
It can only add an emergency the rules missed, never remove one.
"""
from __future__ import annotations

import hashlib

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.nlu import data
from bot.nlu.normalize import normalize

URGENCY_DIR = data.PROJECT_DIR / "nlu_data" / "urgency"
# Complaint letters written under the instruction "no present danger": ordinary negatives.
NORMAL_LETTER_FILES = ("letters_w6.yml", "letters_w7.yml")
MIN_CHARS = 250    # shorter texts are left to the rules
THRESHOLD = 0.35   # leave-one-writer-out: recall 0.95, false alarms 0.03 on the urgency letters


def training_rows() -> list[dict]:
    """[{"text", "urgency"}]: the urgency letters and the ordinary letters."""
    rows = [{"text": r["text"], "urgency": r["urgency"]}
            for path in sorted(URGENCY_DIR.glob("*.jsonl")) for r in data.read_jsonl(path)]
    rows += [{"text": e["text"], "urgency": "normal"} for e in data.training_examples()
             if e["file"] in NORMAL_LETTER_FILES]
    return rows


def data_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(URGENCY_DIR.glob("*.jsonl")) + [data.TRAIN_DIR / f for f in
                                                      NORMAL_LETTER_FILES]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


class LetterUrgencyModel:
    def __init__(self) -> None:
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self.model = LogisticRegression(C=10, max_iter=3000)

    def fit(self, rows: list[dict]) -> "LetterUrgencyModel":
        labels = np.array([r["urgency"] == "emergency" for r in rows])
        if labels.all() or not labels.any():
            raise ValueError("urgency training needs both emergency and normal letters")
        self.model.fit(self.vectorizer.fit_transform([normalize(r["text"]) for r in rows]),
                       labels)
        return self

    def probability(self, norm_text: str) -> float | None:
        """P(emergency) for a normalised letter; None for texts the model does not judge."""
        if len(norm_text) < MIN_CHARS:
            return None
        return float(self.model.predict_proba(self.vectorizer.transform([norm_text]))[0, 1])
