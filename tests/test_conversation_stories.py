"""Every conversation path, with the real trained model and real rules."""
import subprocess
import sys

from tests.conftest import MODEL, PROJECT_DIR


def test_stories_have_no_prediction_errors(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--model", str(MODEL), "--stories",
         "tests/stories", "--fail-on-prediction-errors", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=PROJECT_DIR, timeout=900)
    failed = (tmp_path / "failed_test_stories.yml")
    detail = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert proc.returncode == 0, (proc.stdout[-3000:] + proc.stderr[-3000:] + detail[-3000:])
