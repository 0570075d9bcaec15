"""A resident chatting through Rasa's REST channel: real Rasa server, real action server,
real SQLite database with the demo registry."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import MODEL, PROJECT_DIR


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, seconds: int = 240) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(1)
    raise TimeoutError(url)


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
           "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(PROJECT_DIR)}
    subprocess.run([sys.executable, "-m", "bot", "db", "seed"], env=env, cwd=PROJECT_DIR,
                   check=True, capture_output=True, timeout=120)
    action_port, rasa_port = _free_port(), _free_port()
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n')
    logs = [open(tmp / "actions.log", "w"), open(tmp / "rasa.log", "w")]
    actions = subprocess.Popen([sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                                "--port", str(action_port)], env=env, cwd=PROJECT_DIR,
                               stdout=logs[0], stderr=subprocess.STDOUT)
    rasa = subprocess.Popen([sys.executable, "-m", "rasa", "run", "--model", str(MODEL),
                             "--endpoints", str(endpoints), "--credentials", "credentials.yml",
                             "--port", str(rasa_port), "--interface", "127.0.0.1"],
                            env=env, cwd=PROJECT_DIR, stdout=logs[1], stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{action_port}/health", actions)
        _wait(f"http://127.0.0.1:{rasa_port}/", rasa)

        def say(sender: str, message: str) -> list[str]:
            body = json.dumps({"sender": sender, "message": message}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", data=body,
                headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as response:
                return [m.get("text", "") for m in json.loads(response.read())]

        yield say, env
    finally:
        for proc in (rasa, actions):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


def test_report_with_bad_phone_then_confirmation(bot):
    say, _ = bot
    first = " ".join(say("r1", "3号楼电梯坏了好几天了,一直没人修"))
    assert "电梯" in first and "小区" in first
    assert "手机" in " ".join(say("r1", "阳光花园"))
    assert "11位" in " ".join(say("r1", "12345"))
    summary = " ".join(say("r1", "13812345678"))
    assert "138****5678" in summary and "阳光花园" in summary and "请确认" in summary
    done = " ".join(say("r1", "是的"))
    assert "WY-" in done and "负责处理" in done


def test_emergency_gets_advice_and_an_order_without_confirmation(bot):
    say, _ = bot
    first = say("r2", "快来人!5栋电梯困人了,我妈被关在里面")
    assert first[0].startswith("【紧急】")
    done = " ".join(say("r2", "翠湖苑"))
    assert "WY-" in done


def test_policy_question_gets_a_citation(bot):
    say, _ = bot
    answer = " ".join(say("r3", "物业能因为我欠物业费就停我家的水吗?"))
    assert "依据" in answer and "民法典" in answer


def test_symbols_only_get_a_polite_fallback(bot):
    say, _ = bot
    for text in ("？？？", "😀😀😀"):
        assert "没能理解" in " ".join(say("r4", text))
