"""`make bench`: how fast and how big the bot is, each figure next to a baseline measured in
the same run (ratio = bot ÷ baseline). Measurements run in fresh subprocesses: the commands
themselves, or this module as a worker (`python -m bot.evaluation.bench TASK JSON`), which
prints its result as one `BENCH {...}` line."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bot.nlu import data

PROJECT_DIR = data.PROJECT_DIR
REPORT = PROJECT_DIR / "reports" / "bench.md"
PARSES = 2000
CLASSIFY_MESSAGES = 10_000
TRIAGE_TICKETS = 2000
TRIAGE_PROFILE = "jinan_12345"
WARMUP = 50
MARK = "BENCH "
# One core, one thread: the latency workers pin themselves to core 0 as well.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
              "TF_NUM_INTEROP_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Row:
    measure: str
    unit: str
    bot: float | None  # None: not measured, `note` says why
    baseline: str
    base: float | None
    target: tuple[str, float] | None = None  # ("<=" | ">=", value)
    note: str = ""


# ---------------------------------------------------------------- workers (subprocesses)


def _pin_one_core() -> None:
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0 if 0 in allowed else min(allowed)})


def _percentiles_ms(seconds: list[float]) -> dict:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000}


def _latencies(fn, items: list) -> dict:
    for item in items[:WARMUP]:
        fn(item)
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return _percentiles_ms(times)


def _cycled(items: list, n: int) -> list:
    return list(itertools.islice(itertools.cycle(items), n))


def _fitted_svm():
    from bot.evaluation.baselines import TfidfSvmBaseline

    train = data.training_examples()
    return TfidfSvmBaseline().fit([t["text"] for t in train], [t["intent"] for t in train])


def heldout_texts() -> list[str]:
    from bot.nlu.runtime import InputError, check_text

    texts = []
    for row in data.heldout_examples():
        try:
            texts.append(check_text(data.letter_text(row)))
        except InputError:
            pass
    return texts


def task_load(model: str) -> dict:
    from bot.nlu.runtime import NLU

    start = time.perf_counter()
    NLU(model)
    return {"seconds": time.perf_counter() - start}


def task_svm_load() -> dict:
    """From a fresh process to a fitted TF-IDF+SVM baseline (imports, data, fit)."""
    start = time.perf_counter()
    from bot.evaluation.baselines import TfidfSvmBaseline

    train = data.training_examples()
    fit_start = time.perf_counter()
    TfidfSvmBaseline().fit([t["text"] for t in train], [t["intent"] for t in train])
    end = time.perf_counter()
    return {"seconds": end - start, "fit": end - fit_start}


def task_parse(model: str, n: int, letters: bool = False) -> dict:
    """Held-out messages, or (`letters`) the held-out letters of 250-1,200 characters."""
    _pin_one_core()
    from bot.evaluation.baselines import KeywordBaseline
    from bot.nlu.runtime import NLU

    nlu, svm, keyword = NLU(model), _fitted_svm(), KeywordBaseline()
    source = ([r["text"] for r in data.heldout_letters()] if letters
              else heldout_texts())
    texts = _cycled(source, n)
    return {"bot": _latencies(nlu.parse, texts),
            "svm": _latencies(lambda t: svm.predict([t]), texts),
            "keyword": _latencies(lambda t: keyword.predict([t]), texts)}


def task_policy(n: int) -> dict:
    _pin_one_core()
    from bot.evaluation.baselines import KeywordPolicyBaseline
    from bot.knowledge.answer import answer
    from bot.knowledge.kb import default_kb

    keyword = KeywordPolicyBaseline(default_kb())
    questions = _cycled([r["question"] for r in data.read_jsonl(data.POLICY_QUESTIONS)], n)
    return {"bot": _latencies(answer, questions), "keyword": _latencies(keyword.search, questions)}


def task_classify_baseline(path: str) -> None:
    """`bot classify`'s loop with the TF-IDF+SVM baseline: one JSON line out per line in."""
    from bot.commands.classify import message_of

    svm = _fitted_svm()
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                ident, text = message_of(line)
                print(json.dumps({"id": ident, "category": svm.predict([text])[0]},
                                 ensure_ascii=False), flush=True)


TASKS = {"load": task_load, "svm_load": task_svm_load, "parse": task_parse,
         "policy": task_policy, "classify_baseline": task_classify_baseline}


# ---------------------------------------------------------------- running subprocesses


def _env(**extra: str) -> dict:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3",
               SQLALCHEMY_SILENCE_UBER_WARNING="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_DIR), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _worker_cmd(task: str, **kwargs) -> list[str]:
    return [sys.executable, "-m", "bot.evaluation.bench", task, json.dumps(kwargs)]


def _call(task: str, pinned: bool = False, **kwargs) -> dict:
    proc = subprocess.run(_worker_cmd(task, **kwargs), capture_output=True, text=True,
                          cwd=PROJECT_DIR, env=_env(**(ONE_THREAD if pinned else {})))
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise RuntimeError(f"bench task {task} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def _stream(cmd: list[str], env: dict, n: int, stdin_path: Path | None = None) -> dict:
    """Run a command that writes one line per each of `n` inputs: wall time, rate after its
    first output (the model is loaded by then), peak RSS. Lines arriving within 1 ms of the
    first are one burst (triage prints a committed batch at once); they are not counted."""
    with tempfile.TemporaryFile() as err, open(stdin_path or os.devnull, "rb") as stdin:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env, stdin=stdin,
                                stdout=subprocess.PIPE, stderr=err)
        lines, burst, first, last = 0, 0, None, None
        for _ in proc.stdout:
            last = time.perf_counter()
            first = first or last
            lines += 1
            burst += last - first < 0.001
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{' '.join(cmd[2:4])} failed (exit {proc.returncode}):\n{tail}")
    after_load = (lines - burst) / (last - first) if lines == n and lines > burst else None
    return {"wall": wall, "rate": n / wall, "rate_after_load": after_load,
            "rss_mb": usage.ru_maxrss / 1024}


def _classify_cmd(path: Path, model: str) -> list[str]:
    return [sys.executable, "-m", "bot", "classify", str(path), "--model", model]


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path


def _train_seconds() -> float:
    rasa = Path(sys.executable).with_name("rasa")
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as cache:
        cmd = [str(rasa), "train", "--config", "config.yml", "--domain", "domain.yml",
               "--data", "nlu_data/nlu", "nlu_data/core", "--out", out,
               "--fixed-model-name", "bench", "--force"]
        start = time.perf_counter()
        # An empty cache: a cold train, and no bench entries left in .rasa/cache.
        proc = subprocess.run(cmd, cwd=PROJECT_DIR, capture_output=True, text=True,
                              env=_env(RASA_CACHE_DIRECTORY=cache))
        seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"rasa train failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return seconds


# ---------------------------------------------------------------- the bench


def _log(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def measure(model: str | Path, *, quick: bool = False, sample: int | None = None) -> dict:
    """All rows, and notes, for `markdown`. `sample` caps every message count (smoke test)."""
    model = str(Path(model).resolve())
    n_parse, n_classify, n_triage = (min(sample, n) if sample else n
                                     for n in (PARSES, CLASSIFY_MESSAGES, TRIAGE_TICKETS))
    rows, notes = [], []

    _log("model load")
    load, svm = _call("load", model=model), _call("svm_load")
    rows.append(Row("model load, fresh process", "s", load["seconds"],
                    "TF-IDF+SVM import+fit", svm["seconds"]))

    _log(f"parse latency, {n_parse} messages on one core")
    parse = _call("parse", pinned=True, model=model, n=n_parse)
    for name, label in (("svm", "TF-IDF+SVM"), ("keyword", "keyword")):
        for p in ("p50", "p95", "p99"):
            target = ("<=", 30) if p == "p95" else None
            rows.append(Row(f"parse {p}, one core", "ms", parse["bot"][p], label,
                            parse[name][p], target))

    n_letters = max(n_parse // 4, WARMUP + 10)
    _log(f"parse latency, {n_letters} long letters on one core")
    parse = _call("parse", pinned=True, model=model, n=n_letters, letters=True)
    for p in ("p50", "p95"):
        rows.append(Row(f"parse {p}, letter 250-1,200 chars", "ms", parse["bot"][p], "TF-IDF+SVM",
                        parse["svm"][p]))

    _log(f"classify throughput, {n_classify} messages")
    texts = [t["text"] for t in data.training_examples()] + heldout_texts()
    with tempfile.TemporaryDirectory() as tmp:
        messages = [{"id": i, "text": t} for i, t in enumerate(_cycled(texts, n_classify))]
        path = _write_jsonl(Path(tmp) / "messages.jsonl", messages)
        bot = _stream(_classify_cmd(path, model), _env(), n_classify)
        base = _stream(_worker_cmd("classify_baseline", path=str(path)), _env(), n_classify)
    rows += _stream_rows(f"classify {n_classify:,} msgs", "msg/s", 100, bot,
                         "TF-IDF+SVM loop", base)

    _log(f"policy answer latency, {n_parse} questions on one core")
    policy = _call("policy", pinned=True, n=n_parse)
    for p in ("p50", "p95"):
        target = ("<=", 50) if p == "p95" else None
        rows.append(Row(f"policy answer {p}, one core", "ms", policy["bot"][p],
                        "keyword policy", policy["keyword"][p], target))

    train = Row("rasa train, cold cache", "s", None, "TF-IDF+SVM fit", svm["fit"], ("<=", 480))
    if quick:
        train.note = "skipped (--quick)"
    else:
        _log("rasa train")
        train.bot = _train_seconds()
    rows.append(train)

    if (PROJECT_DIR / "bot" / "commands" / "triage.py").exists():
        _log(f"triage throughput, {n_triage} tickets")
        rows += _triage_rows(model, texts, n_triage)
    else:
        notes.append("triage: not available")

    cpu = _cpu_name()
    context = (f"{dt.datetime.now():%Y-%m-%d %H:%M}, {cpu}, {os.cpu_count()} CPUs, "
               f"Python {platform.python_version()}; model `{Path(model).name}`; "
               f"{n_parse} parses after {WARMUP} warm-up; ratio = bot ÷ baseline.")
    return {"rows": rows, "notes": notes, "context": context}


def _triage_rows(model: str, texts: list[str], n: int) -> list[Row]:
    """`bot triage` into a fresh SQLite database, next to `bot classify` on the same tickets."""
    run_id = uuid.uuid4().hex[:8]
    received = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")
    tickets = [{"external_id": f"bench-{run_id}-{i}", "id": f"bench-{run_id}-{i}", "text": t,
                "received": received} for i, t in enumerate(_cycled(texts, n))]
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_jsonl(Path(tmp) / "tickets.jsonl", tickets)
        env = _env(DATABASE_URL=f"sqlite:///{tmp}/bench.db")
        subprocess.run([sys.executable, "-m", "bot", "db", "seed"], cwd=PROJECT_DIR, env=env,
                       capture_output=True, check=True)
        try:
            bot = _stream([sys.executable, "-m", "bot", "triage", "--profile", TRIAGE_PROFILE],
                          env, n, stdin_path=path)
        except RuntimeError as exc:
            return [Row(f"triage {n:,} tickets", "tickets/s", None, "bot classify", None,
                        (">=", 200), f"failed: {str(exc).splitlines()[0]}")]
        base = _stream(_classify_cmd(path, model), env, n)
    return _stream_rows(f"triage {n:,} tickets", "tickets/s", 200, bot, "bot classify", base)


def _stream_rows(what: str, unit: str, target: float, bot: dict, label: str,
                 base: dict) -> list[Row]:
    return [Row(f"{what}: wall time", "s", bot["wall"], label, base["wall"]),
            Row(f"{what}: incl. load", unit, bot["rate"], label, base["rate"], (">=", target)),
            Row(f"{what}: excl. load", unit, bot["rate_after_load"], label,
                base["rate_after_load"], (">=", target)),
            Row(f"{what}: peak RSS", "MB", bot["rss_mb"], label, base["rss_mb"])]


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


# ---------------------------------------------------------------- the table


def _number(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:,.0f}"


def _meets(row: Row) -> str:
    if row.target is None or row.bot is None:
        return ""
    op, value = row.target
    return "yes" if (row.bot <= value if op == "<=" else row.bot >= value) else "**no**"


def markdown(result: dict) -> str:
    lines = ["# Bench", "", result["context"], "",
             "| measure | unit | bot | baseline | baseline value | ratio | target | meets |",
             "|---|---|--:|---|--:|--:|---|---|"]
    for r in result["rows"]:
        ratio = f"{r.bot / r.base:.3g}×" if r.bot is not None and r.base else "–"
        target = f"{r.target[0]} {r.target[1]:g}" if r.target else ""
        bot = r.note if r.bot is None and r.note else _number(r.bot)
        lines.append(f"| {r.measure} | {r.unit} | {bot} | {r.baseline} | {_number(r.base)} "
                     f"| {ratio} | {target} | {_meets(r)} |")
    if result["notes"]:
        lines += [""] + result["notes"]
    return "\n".join(lines)


if __name__ == "__main__":
    task, kwargs = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    result = TASKS[task](**kwargs)
    if result is not None:
        print(MARK + json.dumps(result), flush=True)
