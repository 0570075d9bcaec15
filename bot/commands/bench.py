"""`python -m bot bench`: speed and memory next to baselines; writes reports/bench.md."""
from __future__ import annotations

import argparse
from pathlib import Path

from bot.nlu.runtime import DEFAULT_MODEL


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="speed and memory, each next to a baseline")
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--quick", action="store_true", help="skip timing `rasa train`")
    # Hidden: a few messages only, and another report path (the smoke test uses both).
    parser.add_argument("--sample", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args) -> int:
    from bot.evaluation.bench import REPORT, markdown, measure

    text = markdown(measure(args.model, quick=args.quick, sample=args.sample))
    path = Path(args.report or REPORT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"\nReport: {path}")
    return 0
