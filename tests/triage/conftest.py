"""Routing and triage fixtures: the store tests' database fixtures, on SQLite only.

`engine`, `session` and the fixed phone salt come from tests/store/conftest.py; `db_url` is
overridden here so that these tests run on a temporary SQLite file (no PostgreSQL variant).
"""
from __future__ import annotations

import pytest

from tests.store.conftest import _fixed_salt, engine, session  # noqa: F401  (pytest fixtures)


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def seeded(session):
    """A session on a fresh database holding the demo registry."""
    from bot.store.seed import load_demo_registry

    load_demo_registry(session)
    session.flush()
    return session
