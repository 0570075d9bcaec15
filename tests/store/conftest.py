"""Store test fixtures: every test gets a fresh, empty database.

`db_url` runs each test on SQLite (a temp file) and on PostgreSQL (a schema of its own in
$TEST_POSTGRES_URL, dropped afterwards). Without TEST_POSTGRES_URL the PostgreSQL variant is
skipped, except on CI (CI=true) where it fails: start one with
    eval "$(bash tests/services/start_postgres.sh)"
"""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.store.db import make_engine, make_session, upgrade


def postgres_base_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        hint = 'TEST_POSTGRES_URL is not set; run: eval "$(bash tests/services/start_postgres.sh)"'
        if os.environ.get("CI") == "true":
            pytest.fail(f"{hint} (on CI the PostgreSQL tests must run, not skip)")
        pytest.skip(hint)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    base = postgres_base_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    # search_path in the URL, so that alembic, subprocesses and make_engine all land in it.
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    session = make_session(engine)
    yield session
    session.rollback()
    session.close()


@pytest.fixture(autouse=True)
def _fixed_salt(monkeypatch):
    monkeypatch.setenv("BOT_PHONE_SALT", "test-salt")
