"""Load a trained Rasa model once and parse messages with it (CLI, hotline API, eval, bench)."""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import warnings
from pathlib import Path

from bot.nlu.normalize import has_words

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = PROJECT_DIR / "models" / "current.tar.gz"
MAX_CHARS = 10_000


class InputError(ValueError):
    """A message that cannot be classified; the text says why, in Chinese and English."""


def check_text(text: object) -> str:
    if not isinstance(text, str):
        raise InputError("text 必须是字符串 / text must be a string")
    if not text.strip():
        raise InputError("text 为空 / text is empty or whitespace only")
    if len(text) > MAX_CHARS:
        raise InputError(f"text 过长({len(text)} 字,上限 {MAX_CHARS})/ text too long "
                         f"({len(text)} chars, max {MAX_CHARS})")
    if not has_words(text):
        raise InputError("text 没有可识别的文字(只有表情或符号)/ text has no words, "
                         "only emoji or symbols")
    return text


def quiet_rasa_logs() -> None:
    """Rasa's structlog prints debug lines to stdout, which would corrupt JSONL output."""
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    for noisy in ("rasa", "tensorflow", "absl", "jieba", "sanic", "py.warnings"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="rasa")


class NLU:
    """A loaded model; `parse(text)` returns the triage result in the CLI's shape."""

    def __init__(self, model_path: str | Path = DEFAULT_MODEL) -> None:
        from rasa.core.agent import Agent

        path = Path(model_path)
        if not path.exists():
            raise FileNotFoundError(f"model {path} not found: run `make train` first")
        quiet_rasa_logs()
        self._loop = asyncio.new_event_loop()
        self.agent = Agent.load(str(path))

    def parse_raw(self, text: str) -> dict:
        return self._loop.run_until_complete(self.agent.parse_message(text))

    def parse(self, text: str) -> dict:
        raw = self.parse_raw(check_text(text))
        triage = raw.get("triage") or {}
        return {
            "category": triage.get("category", "other"),
            "secondary": triage.get("secondary", []),
            "urgency": triage.get("urgency", "normal"),
            "confidence": triage.get("confidence", 0.0),
            "intent": (raw.get("intent") or {}).get("name"),
            "entities": [
                {k: e[k] for k in ("entity", "value", "text", "start", "end") if k in e}
                for e in raw.get("entities", [])
            ],
        }
