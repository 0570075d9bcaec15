"""`python -m bot classify`: the contract other tools rely on, run as a real subprocess."""
import json
import subprocess
import sys

from tests.conftest import MODEL, PROJECT_DIR

KEYS = {"id", "category", "secondary", "urgency", "confidence", "intent", "entities"}


def classify(lines: list[str]) -> list[dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "classify", "-", "--model", str(MODEL)],
        input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=PROJECT_DIR,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_good_and_bad_lines_in_one_batch():
    lines = [
        json.dumps({"id": "a", "text": "3号楼电梯又坏了,我妈被关在里面!"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "c"}),
        json.dumps({"id": "d", "text": "   "}),
        json.dumps({"id": "e", "text": ""}),
        json.dumps({"id": "f", "text": "😀😀🙏"}, ensure_ascii=False),
        json.dumps({"id": "g", "text": 42}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "h", "text": "楼" * 20000}, ensure_ascii=False),
        json.dumps({"id": "i", "text": "樓道裡堆滿了雜物和電動車"}, ensure_ascii=False),
        json.dumps({"text": "阳光花园物业费又涨价了"}, ensure_ascii=False),
    ]
    out = classify(lines)
    assert len(out) == len(lines)
    assert set(out[0]) == KEYS and out[0]["id"] == "a"
    assert out[0]["category"] == "elevator" and out[0]["urgency"] == "emergency"
    assert out[0]["entities"][0]["entity"] == "building" and out[0]["entities"][0]["value"] == "3"
    for row, ident in zip(out[1:9], [None, "c", "d", "e", "f", "g", None, "h"]):
        assert set(row) == {"id", "error"} and row["id"] == ident and row["error"]
    assert "JSON" in out[1]["error"]
    assert "text" in out[2]["error"]
    assert out[9]["category"] == "corridor_clutter"
    assert out[10]["id"] is None and out[10]["category"] == "property_fee"


def test_title_is_prepended():
    out = classify([json.dumps({"id": 1, "title": "翠湖苑小区电梯困人",
                                "text": "请有关部门尽快处理。"}, ensure_ascii=False)])
    assert out[0]["category"] == "elevator"
    assert any(e["entity"] == "estate" and e["value"] == "翠湖苑" for e in out[0]["entities"])


def test_reads_a_file_and_keeps_order(tmp_path):
    texts = ["小区道路有个大坑", "垃圾三天没人收", "地下车库进水了,水还在往里灌", "物业态度太差"]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps({"id": n, "text": t}, ensure_ascii=False)
                              for n, t in enumerate(texts)), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "bot", "classify", str(path), "--model",
                           str(MODEL)], capture_output=True, text=True, cwd=PROJECT_DIR, timeout=300)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["id"] for r in rows] == [0, 1, 2, 3]
    assert [r["category"] for r in rows] == ["road_repair", "cleaning_greening", "flood_snow",
                                             "service_quality"]
    assert rows[2]["urgency"] == "emergency"


def test_missing_model_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bot", "classify", "-", "--model",
                           str(tmp_path / "none.tar.gz")], input="{}\n", capture_output=True,
                          text=True, cwd=PROJECT_DIR, timeout=120)
    assert proc.returncode == 2
    assert "make train" in proc.stderr and "Traceback" not in proc.stderr
