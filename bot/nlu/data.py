"""Read the hand-written training data (Rasa YAML) and the held-out sets (JSONL)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
TRAIN_DIR = PROJECT_DIR / "nlu_data" / "nlu"
HELDOUT_DIR = PROJECT_DIR / "tests" / "heldout" / "nlu"
# Letters of 250-1,200 characters by writers who never saw nlu_data/ (kept apart from HELDOUT_DIR
# so the short-message figures stay comparable across sessions): one file per writer and theme.
HELDOUT_LETTERS_DIR = PROJECT_DIR / "tests" / "heldout" / "letters"
POLICY_QUESTIONS = PROJECT_DIR / "tests" / "heldout" / "policy_questions.jsonl"
EXTERNAL_LETTERS = PROJECT_DIR.parent / "shared" / "external" / "petition_letters_dev.jsonl"
ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")


def strip_annotations(example: str) -> tuple[str, list[dict]]:
    """'[3号楼](building)电梯坏了' -> ('3号楼电梯坏了', [{'entity': 'building', 'value': '3号楼'}])"""
    entities = [{"entity": m.group(2), "value": m.group(1)} for m in ANNOTATION.finditer(example)]
    return ANNOTATION.sub(r"\1", example), entities


def training_examples(directory: Path = TRAIN_DIR) -> list[dict]:
    """[{"text", "intent", "entities", "file"}] from every Rasa NLU file in the directory."""
    out = []
    for path in sorted(directory.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text, entities = strip_annotations(line[2:].strip())
                    out.append({"text": text, "intent": block["intent"],
                                "entities": entities, "file": path.name})
    return out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def heldout_examples(directory: Path = HELDOUT_DIR) -> list[dict]:
    return [row for path in sorted(directory.glob("*.jsonl")) for row in read_jsonl(path)]


def heldout_letters(directory: Path = HELDOUT_LETTERS_DIR) -> list[dict]:
    """Each row also says which file (`set`) it came from."""
    return [{**row, "set": path.stem} for path in sorted(directory.glob("*.jsonl"))
            for row in read_jsonl(path)]


def titled(text: str, title: object) -> str:
    """A headline goes in front of the body (`bot classify`'s optional `title` field)."""
    if isinstance(title, str) and title.strip():
        return f"{title.strip()}。{text}"
    return text


def letter_text(row: dict) -> str:
    return titled(row["text"], row.get("title"))
