"""Alembic environment. The URL comes from bot.store.db: config.attributes["url"] when
called through bot.store.db.upgrade(), else database_url(); a caller may also hand over an
open connection as config.attributes["connection"]."""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from bot.store import models
from bot.store.db import database_url, make_engine
from bot.store.types import AwareDateTime

config = context.config
# Logging from alembic.ini only for the `alembic` command line; bot.store.db.upgrade() passes
# the URL as an attribute and leaves the caller's logging (and its stdout) alone.
if config.config_file_name is not None and not {"url", "connection"} & set(config.attributes):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = models.metadata


def _render_item(type_, obj, _autogen_context):
    # Migrations stay free of application imports: AwareDateTime is a timestamptz column.
    if type_ == "type" and isinstance(obj, AwareDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        **kwargs,
    )


def run_offline() -> None:
    _configure(url=config.attributes.get("url") or database_url(), literal_binds=True,
               dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.attributes.get("url") or database_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
