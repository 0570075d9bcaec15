"""`python -m bot db upgrade|seed`: migrate the database; load the demo registry."""
from __future__ import annotations

import argparse
import json

from sqlalchemy.engine import make_url


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "db", help="database: upgrade the schema, load the demo registry",
        description="Database maintenance. The database is --url, else $DATABASE_URL, else var/bot.db.",
    )
    actions = parser.add_subparsers(dest="db_command", required=True)
    upgrade = actions.add_parser("upgrade", help="alembic upgrade head")
    upgrade.add_argument("--url", help="database URL (default: $DATABASE_URL or sqlite var/bot.db)")
    upgrade.set_defaults(func=run_upgrade)
    seed = actions.add_parser("seed", help="upgrade, then load the demo registry (idempotent)")
    seed.add_argument("--url", help="database URL (default: $DATABASE_URL or sqlite var/bot.db)")
    seed.add_argument("--file", help="registry YAML (default bot/store/seed/demo_registry.yml)")
    seed.set_defaults(func=run_seed)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _print(data: dict) -> None:
    print(json.dumps(data, ensure_ascii=False))


def run_upgrade(args: argparse.Namespace) -> int:
    from bot.store.db import database_url, upgrade

    url = args.url or database_url()
    try:
        revision = upgrade(url)
    except Exception as exc:  # report in the one-line JSON format, whatever failed
        _print({"command": "db upgrade", "url": _shown(url), "error": f"{type(exc).__name__}: {exc}"})
        return 1
    _print({"command": "db upgrade", "url": _shown(url), "revision": revision})
    return 0


def run_seed(args: argparse.Namespace) -> int:
    from bot.store.db import database_url, make_engine, session_scope, upgrade
    from bot.store.seed import load_demo_registry

    url = args.url or database_url()
    try:
        revision = upgrade(url)
        engine = make_engine(url)
        try:
            with session_scope(engine) as session:
                summary = load_demo_registry(session, args.file)
        finally:
            engine.dispose()
    except ValueError as exc:  # an invalid registry file
        _print({"command": "db seed", "url": _shown(url), "error": str(exc)})
        return 2
    except Exception as exc:
        _print({"command": "db seed", "url": _shown(url), "error": f"{type(exc).__name__}: {exc}"})
        return 1
    _print({"command": "db seed", "url": _shown(url), "revision": revision, **summary})
    return 0
