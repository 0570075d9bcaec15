"""`python -m bot eval`: accuracy against baselines; writes reports/eval.md."""
from __future__ import annotations

from bot.nlu.runtime import DEFAULT_MODEL


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="evaluate the model and the baselines")
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.set_defaults(func=run)


def run(args) -> int:
    from bot.evaluation.report import REPORT_DIR, evaluate, markdown
    from bot.nlu.runtime import NLU

    results = evaluate(NLU(args.model))
    print(markdown(results))
    print(f"Report: {REPORT_DIR / 'eval.md'}")
    return 0
