"""Engines, sessions and schema upgrades.

The database is $DATABASE_URL, else SQLite in <project>/var/bot.db. Anything that accepts
`url=None` uses that default.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
SQLITE_BUSY_TIMEOUT_S = 30


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    var = PROJECT_ROOT / "var"
    var.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var / 'bot.db'}"


def _prepare_sqlite_file(url) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = make_url(url or database_url())
    if url.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, future=True, **kwargs)

    _prepare_sqlite_file(url)
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = create_engine(url, future=True, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, start transactions (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # BEGIN IMMEDIATE takes the write lock up front, waiting up to busy_timeout. A deferred
        # transaction that reads and then writes fails at once with "database is locked"
        # when another writer got in between (the busy handler is not used for that upgrade).
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session(engine: Engine) -> Session:
    # expire_on_commit=False: objects stay readable after session_scope() has committed.
    return Session(engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success, rolls back on error, and is always closed."""
    session = make_session(engine)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None):
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "bot" / "store" / "migrations"))
    # Passed as an attribute, not through the ini option: configparser would mangle '%'.
    config.attributes["url"] = url or database_url()
    return config


def upgrade(url: str | None = None, revision: str = "head") -> str | None:
    """Run `alembic upgrade <revision>`; returns the database's revision afterwards."""
    from alembic import command

    url = url or database_url()
    command.upgrade(alembic_config(url), revision)
    return current_revision(url)


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
