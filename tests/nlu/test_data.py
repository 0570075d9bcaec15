"""The training data and the held-out set: sizes, registers, and no leakage."""
from collections import Counter

import yaml

from bot.core.categories import CATEGORY_IDS
from bot.nlu import data
from bot.nlu.normalize import normalize
from bot.nlu.urgency_model import training_rows as urgency_training_rows

CONVERSATION_INTENTS = {"greet", "goodbye", "thanks", "affirm", "deny", "inform", "ask_policy",
                        "check_status", "request_human", "rate_service", "cancel"}


def test_every_category_has_enough_training_examples():
    counts = Counter(e["intent"] for e in data.training_examples())
    for category in CATEGORY_IDS:
        assert counts[category] >= 60, category
    assert CONVERSATION_INTENTS <= set(counts)


def test_every_category_has_a_heldout_set():
    counts = Counter(r["category"] for r in data.heldout_examples())
    for category in CATEGORY_IDS:
        assert counts[category] >= 20, category


def _shingles(text: str) -> set[str]:
    norm = "".join(ch for ch in normalize(text) if ch.isalnum())
    return {norm[i:i + 4] for i in range(max(len(norm) - 3, 1))}


def test_heldout_never_enters_training():
    train = data.training_examples() + urgency_training_rows()
    exact = {normalize(e["text"]).strip() for e in train}
    index: dict[str, set[int]] = {}
    train_shingles = [_shingles(e["text"]) for e in train]
    for n, sh in enumerate(train_shingles):
        for s in sh:
            index.setdefault(s, set()).add(n)
    for row in data.heldout_examples() + data.heldout_letters():
        assert normalize(row["text"]).strip() not in exact, row["text"]
        sh = _shingles(row["text"])
        if len(sh) < 6:
            continue  # very short chat lines ("好的谢谢") may legitimately repeat
        overlap = Counter(n for s in sh for n in index.get(s, ()))
        for n, common in overlap.most_common(1):
            jaccard = common / len(sh | train_shingles[n])
            assert jaccard < 0.6, (row["text"], train[n]["text"])


def test_heldout_entities_are_substrings_and_labels_known():
    for row in data.heldout_examples():
        assert row["urgency"] in ("emergency", "normal")
        for entity in row.get("entities", []):
            assert entity["value"] in row["text"]


def test_training_covers_registers():
    texts = [e["text"] for e in data.training_examples() if e["intent"] in CATEGORY_IDS]
    assert sum(t.startswith(("市民来电", "来电人", "诉求人", "工单")) for t in texts) >= 100
    assert sum(t.startswith("尊敬的") for t in texts) >= 100
    assert sum(normalize(t) != t.lower() for t in texts) >= 100  # traditional / full-width
    assert sum(any("a" <= ch.lower() <= "z" for ch in t) for t in texts) >= 60


def test_domain_lists_every_trained_intent():
    domain = yaml.safe_load((data.PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))
    trained = {e["intent"] for e in data.training_examples()}
    assert trained == set(domain["intents"])


def test_long_letters_are_long_and_cover_every_category():
    rows = data.heldout_letters()
    counts = Counter(r["category"] for r in rows)
    assert set(counts) == set(CATEGORY_IDS)
    assert min(counts.values()) >= 4
    assert all(len(r["text"]) >= 250 for r in rows)
    train_long = [e for e in data.training_examples() if len(e["text"]) >= 250]
    assert len(train_long) >= 250  # real letters run 250-2,000 characters; training must too
    assert Counter(e["intent"] for e in train_long).keys() >= set(CATEGORY_IDS)
