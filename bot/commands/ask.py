"""`python -m bot ask "问题"`: answer a policy question from the three lists."""
from __future__ import annotations

import json


def register(subparsers) -> None:
    parser = subparsers.add_parser("ask", help="answer a policy question with citations")
    parser.add_argument("question")
    parser.set_defaults(func=run)


def run(args) -> int:
    from bot.knowledge.answer import answer

    try:
        result = answer(args.question)
    except ValueError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0
