import subprocess
import sys

from tests.conftest import PROJECT_DIR


def test_rasa_data_validate_is_clean():
    proc = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--config", "config.yml", "--domain",
         "domain.yml", "--data", "nlu_data/nlu", "nlu_data/core", "--fail-on-warnings"],
        capture_output=True, text=True, cwd=PROJECT_DIR, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]


def test_parse_result_carries_triage(nlu):
    raw = nlu.parse_raw("翠湖苑5栋电梯困人了")
    assert raw["intent"]["name"] == "elevator"
    assert raw["triage"]["urgency"] == "emergency"
