"""`bot bench` end to end on a handful of messages: the table's shape, never its numbers."""
from bot.cli import main
from tests.conftest import MODEL, PROJECT_DIR

ROWS = [
    "model load, fresh process",
    "parse p50, one core", "parse p95, one core", "parse p99, one core",
    "classify 20 msgs: wall time", "classify 20 msgs: incl. load",
    "classify 20 msgs: excl. load", "classify 20 msgs: peak RSS",
    "policy answer p50, one core", "policy answer p95, one core",
    "rasa train, cold cache",
]


def test_bench_table_has_every_row(tmp_path, capsys):
    report = tmp_path / "bench.md"
    assert main(["bench", "--model", str(MODEL), "--quick", "--sample", "20",
                 "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert report.read_text(encoding="utf-8").strip() in out
    table = [line for line in out.splitlines() if line.startswith("| ")]
    measures = [line.split("|")[1].strip() for line in table[1:]]
    for row in ROWS:
        assert row in measures, row
    assert measures.count("parse p95, one core") == 2  # vs TF-IDF+SVM and vs keyword
    assert "skipped (--quick)" in table[measures.index("rasa train, cold cache") + 1]
    if (PROJECT_DIR / "bot" / "commands" / "triage.py").exists():
        assert any(m.startswith("triage 20 tickets") for m in measures)
    else:
        assert "triage: not available" in out
