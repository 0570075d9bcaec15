import os
from pathlib import Path

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

PROJECT_DIR = Path(__file__).resolve().parents[1]
MODEL = PROJECT_DIR / "models" / "current.tar.gz"


@pytest.fixture(scope="session")
def nlu():
    """The real trained Rasa model (`make test` trains it first)."""
    from bot.nlu.runtime import NLU

    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it)")
    return NLU(MODEL)


@pytest.fixture(scope="session")
def evaluation(nlu):
    from bot.evaluation.report import evaluate

    return evaluate(nlu, write=False)
