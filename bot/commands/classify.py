"""`python -m bot classify [PATH|-]`: JSONL in, one JSON line out per input line, in order."""
from __future__ import annotations

import json
import sys

from bot.nlu.data import titled
from bot.nlu.runtime import DEFAULT_MODEL, InputError


def register(subparsers) -> None:
    parser = subparsers.add_parser("classify", help="classify resident messages (JSONL)")
    parser.add_argument("path", nargs="?", default="-", help="JSONL file, or - for stdin")
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.set_defaults(func=run)


def record_of(line: str) -> dict:
    """One input line as a JSON object; raises InputError with a clear reason."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"不是合法的 JSON / invalid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(record, dict):
        raise InputError("每行必须是一个 JSON 对象 / each line must be a JSON object")
    return record


def message_in(record: dict) -> tuple[object, str]:
    """(id, text) of a record, its title in front of the text."""
    ident = record.get("id")
    if "text" not in record:
        raise _WithId(ident, "缺少 text 字段 / missing field `text`")
    text = record.get("text")
    return ident, titled(text, record.get("title")) if isinstance(text, str) else text


def message_of(line: str) -> tuple[object, str]:
    """(id, text) of one input line; raises InputError with a clear reason."""
    return message_in(record_of(line))


class _WithId(InputError):
    def __init__(self, ident: object, reason: str) -> None:
        super().__init__(reason)
        self.ident = ident


def run(args) -> int:
    from bot.nlu.runtime import NLU

    try:
        nlu = NLU(args.model)
    except FileNotFoundError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False), file=sys.stderr)
        return 2
    stream = sys.stdin if args.path == "-" else open(args.path, encoding="utf-8", errors="replace")
    out = sys.stdout
    with stream:
        for line in stream:
            if not line.strip():
                continue  # blank separator lines are not records
            ident = None
            try:
                ident, text = message_of(line)
                result = {"id": ident, **nlu.parse(text)}
            except _WithId as exc:
                result = {"id": exc.ident, "error": str(exc)}
            except InputError as exc:
                result = {"id": ident, "error": str(exc)}
            except Exception as exc:  # one bad line never ends the batch
                result = {"id": ident, "error": f"内部错误 / internal error: {type(exc).__name__}"}
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            out.flush()
    return 0
