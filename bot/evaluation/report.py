"""`make eval`: the model against both baselines on the held-out set, the external petition
letters and the policy questions; prints a table and writes reports/eval.md with confusion
matrices (PNG)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from bot.core.categories import CATEGORY_IDS
from bot.evaluation.baselines import KeywordBaseline, KeywordPolicyBaseline, TfidfSvmBaseline
from bot.nlu import data

REPORT_DIR = data.PROJECT_DIR / "reports"
LABELS = list(CATEGORY_IDS)


@dataclass
class Scores:
    n: int
    accuracy: float
    macro_f1: float
    per_category: dict[str, float]

    @classmethod
    def of(cls, gold: list[str], pred: list[str]) -> "Scores":
        per = f1_score(gold, pred, labels=LABELS, average=None, zero_division=0)
        present = [c for c in LABELS if c in gold]
        return cls(len(gold), accuracy_score(gold, pred),
                   f1_score(gold, pred, labels=present, average="macro", zero_division=0),
                   {c: float(f) for c, f in zip(LABELS, per)})


def emergency_scores(gold: list[str], pred: list[str]) -> dict:
    emergencies = [p for g, p in zip(gold, pred) if g == "emergency"]
    normals = [p for g, p in zip(gold, pred) if g == "normal"]
    return {
        "emergencies": len(emergencies),
        "recall": sum(p == "emergency" for p in emergencies) / max(len(emergencies), 1),
        "false_alarms": sum(p == "emergency" for p in normals),
        "normals": len(normals),
    }


def _confusion_png(gold: list[str], pred: list[str], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = confusion_matrix(gold, pred, labels=LABELS)
    fig, ax = plt.subplots(figsize=(9, 8))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=60, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center",
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def evaluate(nlu, *, write: bool = True) -> dict:
    """All figures in one dict; `nlu` is a bot.nlu.runtime.NLU (or anything with parse)."""
    train = data.training_examples()
    svm = TfidfSvmBaseline().fit([t["text"] for t in train], [t["intent"] for t in train])
    keyword = KeywordBaseline()
    results: dict = {}

    heldout_all = data.heldout_examples()
    heldout = [r for r in heldout_all if r["category"] in CATEGORY_IDS]
    conversation = [r for r in heldout_all if r["category"] not in CATEGORY_IDS]
    letters = data.read_jsonl(data.EXTERNAL_LETTERS) if data.EXTERNAL_LETTERS.exists() else []
    long_letters = data.heldout_letters()
    sets = {"heldout": (heldout, [r["text"] for r in heldout]),
            "heldout_letters": (long_letters, [r["text"] for r in long_letters]),
            "letters_all": (letters, [data.letter_text(r) for r in letters]),
            "letters_high": ([r for r in letters if r.get("confidence") == "high"],
                             [data.letter_text(r) for r in letters if r.get("confidence") == "high"])}
    for name, (rows, texts) in sets.items():
        if not rows:
            continue
        gold = [r["category"] for r in rows]
        parsed = [nlu.parse(t) for t in texts]
        ours = [p["category"] for p in parsed]
        theirs = {"tfidf_svm": svm.predict(texts), "keyword": keyword.predict(texts)}
        results[name] = {
            "model": Scores.of(gold, ours),
            **{k: Scores.of(gold, v) for k, v in theirs.items()},
            "emergency": emergency_scores([r.get("urgency", "normal") for r in rows],
                                          [p["urgency"] for p in parsed]),
            "missed_emergencies": [t[:60] for r, t, p in zip(rows, texts, parsed)
                                   if r.get("urgency") == "emergency" and p["urgency"] != "emergency"],
        }
        if any("set" in r for r in rows):
            results[name]["by_set"] = _by_set(rows, {"model": ours, **theirs},
                                              [p["urgency"] for p in parsed])
        two = [(r, p) for r, p in zip(rows, parsed) if r.get("secondary")]
        if two:
            results[name]["two_problem"] = {
                "n": len(two),
                "primary_accuracy": sum(p["category"] == r["category"] for r, p in two) / len(two),
                "secondary_recall": sum(bool(set(r["secondary"]) & set(p["secondary"]))
                                        for r, p in two) / len(two),
            }
        if write:
            REPORT_DIR.mkdir(exist_ok=True)
            _confusion_png(gold, ours, f"{name}: model", REPORT_DIR / f"confusion_{name}.png")
    if conversation:
        parsed = [nlu.parse(r["text"]) for r in conversation]
        results["conversation_intents"] = {
            "n": len(conversation),
            "accuracy": sum(p["intent"] == r["category"] for r, p in zip(conversation, parsed))
            / len(conversation),
        }
    results["entities"] = entity_scores(nlu, heldout_all)
    results["policy"] = policy_scores()
    if write:
        REPORT_DIR.mkdir(exist_ok=True)
        (REPORT_DIR / "eval.md").write_text(markdown(results), encoding="utf-8")
        (REPORT_DIR / "eval.json").write_text(json.dumps(_plain(results), ensure_ascii=False,
                                                         indent=1), encoding="utf-8")
    return results


def _by_set(rows: list[dict], predictions: dict[str, list[str]], urgency: list[str]) -> dict:
    """Accuracy of every model and the emergency figures for each file of a multi-file set."""
    out: dict = {}
    for name in sorted({r["set"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["set"] == name]
        gold = [rows[i]["category"] for i in idx]
        out[name] = {model: accuracy_score(gold, [pred[i] for i in idx])
                     for model, pred in predictions.items()}
        out[name]["n"] = len(idx)
        out[name]["emergency"] = emergency_scores([rows[i].get("urgency", "normal") for i in idx],
                                                  [urgency[i] for i in idx])
    return out


def entity_scores(nlu, rows: list[dict]) -> dict:
    """Precision/recall of (entity, normalised value) pairs against the held-out gold, so that
    紫金城小区 and 紫金城 or 3号楼 and 3栋 count as the same estate or building."""
    from bot.nlu.entities import normalize_value

    counts: dict[str, list[int]] = {}  # entity -> [tp, fp, fn]
    for row in rows:
        if "entities" not in row:
            continue
        gold = {(e["entity"], normalize_value(e["entity"], e["value"])) for e in row["entities"]}
        found = {(e["entity"], e["value"]) for e in nlu.parse(row["text"])["entities"]}
        for pairs, slot in ((gold & found, 0), (found - gold, 1), (gold - found, 2)):
            for entity, _ in pairs:
                counts.setdefault(entity, [0, 0, 0])[slot] += 1

    def rates(tp: int, fp: int, fn: int) -> dict:
        return {"precision": tp / max(tp + fp, 1), "recall": tp / max(tp + fn, 1), "gold": tp + fn}

    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return {**rates(*total), "by_entity": {k: rates(*v) for k, v in sorted(counts.items())}}


def policy_scores() -> dict:
    from bot.knowledge.kb import default_kb

    if not data.POLICY_QUESTIONS.exists():
        return {}
    questions = data.read_jsonl(data.POLICY_QUESTIONS)
    kb = default_kb()
    baseline = KeywordPolicyBaseline(kb)
    out = {"n": len(questions)}
    for name, search in (("model", lambda q: [i.id for i, _ in kb.search(q, 3)]),
                         ("keyword", lambda q: baseline.search(q, 3))):
        top1 = top3 = 0
        for q in questions:
            ids = search(q["question"])
            top1 += bool(ids) and ids[0] in q["expected"]
            top3 += any(i in q["expected"] for i in ids)
        out[name] = {"top1": top1 / len(questions), "top3": top3 / len(questions)}
    return out


def _plain(obj):
    if isinstance(obj, Scores):
        return obj.__dict__
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def markdown(results: dict) -> str:
    lines = ["# Evaluation", "", "## Categories", "",
             "| set | n | model acc | model macro-F1 | TF-IDF+SVM acc | TF-IDF+SVM macro-F1 "
             "| keyword acc | keyword macro-F1 | emergency recall | false alarms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name in ("heldout", "heldout_letters", "letters_high", "letters_all"):
        if name not in results:
            continue
        r = results[name]
        e = r["emergency"]
        lines.append(
            f"| {name} | {r['model'].n} | {r['model'].accuracy:.3f} | {r['model'].macro_f1:.3f} "
            f"| {r['tfidf_svm'].accuracy:.3f} | {r['tfidf_svm'].macro_f1:.3f} "
            f"| {r['keyword'].accuracy:.3f} | {r['keyword'].macro_f1:.3f} "
            f"| {e['recall']:.3f} ({e['emergencies']}) | {e['false_alarms']}/{e['normals']} |")
    by_set = (results.get("heldout_letters") or {}).get("by_set") or {}
    if by_set:
        lines += ["", "Held-out letters by file:", "",
                  "| file | n | model acc | TF-IDF+SVM acc | keyword acc | emergency recall "
                  "| false alarms |", "|---|---|---|---|---|---|---|"]
        for name, r in by_set.items():
            e = r["emergency"]
            lines.append(f"| {name} | {r['n']} | {r['model']:.3f} | {r['tfidf_svm']:.3f} "
                         f"| {r['keyword']:.3f} | {e['recall']:.3f} ({e['emergencies']}) "
                         f"| {e['false_alarms']}/{e['normals']} |")
    lines += ["", "## Per-category F1 (held-out)", "", "| category | model | TF-IDF+SVM | keyword |",
              "|---|---|---|---|"]
    if "heldout" in results:
        h = results["heldout"]
        for c in LABELS:
            lines.append(f"| {c} | {h['model'].per_category[c]:.3f} "
                         f"| {h['tfidf_svm'].per_category[c]:.3f} | {h['keyword'].per_category[c]:.3f} |")
        if "two_problem" in h:
            t = h["two_problem"]
            lines += ["", f"Two-problem messages: {t['n']}, primary accuracy "
                          f"{t['primary_accuracy']:.3f}, secondary recall {t['secondary_recall']:.3f}"]
        if h["missed_emergencies"]:
            lines += ["", "Missed emergencies: " + "; ".join(h["missed_emergencies"])]
    if "conversation_intents" in results:
        c = results["conversation_intents"]
        lines += ["", f"Conversation intents: {c['n']} messages, accuracy {c['accuracy']:.3f}"]
    e = results.get("entities") or {}
    if e:
        lines += ["", f"Entities (normalised values, held-out): precision {e['precision']:.3f}, "
                      f"recall {e['recall']:.3f} over {e['gold']} gold mentions ("
                      + ", ".join(f"{k} {v['precision']:.2f}/{v['recall']:.2f}"
                                  for k, v in e.get("by_entity", {}).items())
                      + " precision/recall; gold annotations mark only some time phrases)"]
    p = results.get("policy") or {}
    if p:
        lines += ["", "## Policy questions", "", "| retriever | top-1 | top-3 |", "|---|---|---|"]
        for name in ("model", "keyword"):
            lines.append(f"| {name} | {p[name]['top1']:.3f} | {p[name]['top3']:.3f} |")
        lines.append(f"\n{p['n']} held-out questions.")
    lines += ["", "heldout: short messages, transcripts and short letters; heldout_letters: long "
                  "letters (250-1,200 characters) by writers who never saw the training data; "
                  "letters_*: the real petition letters in ../shared/external (never trained on).",
              "", "Confusion matrices: confusion_heldout.png, confusion_heldout_letters.png, "
                  "confusion_letters_all.png, confusion_letters_high.png"]
    return "\n".join(lines) + "\n"
