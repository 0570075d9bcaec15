"""Schema (alembic vs models), the database module, and the demo registry seed."""
import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from bot.store import db
from bot.store.db import alembic_config, current_revision, make_engine, session_scope, upgrade
from bot.store.models import Estate, Organisation, metadata, org_types
from bot.store.seed import DEFAULT_PATH, load_demo_registry, read_registry

ROOT = Path(__file__).resolve().parents[2]


def schema_diff(url):
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


# ---------------------------------------------------------------- migrations


def test_migrations_match_models(db_url):
    assert schema_diff(db_url)  # an empty database differs: the comparison is not vacuous
    assert upgrade(db_url) == "0001"
    assert schema_diff(db_url) == []


def test_downgrade_and_upgrade_again(db_url):
    upgrade(db_url)
    command.downgrade(alembic_config(db_url), "base")
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    assert current_revision(db_url) is None
    assert upgrade(db_url) == "0001"
    assert upgrade(db_url) == "0001"  # idempotent


def test_alembic_ini_has_no_url():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "alembic.ini")
    assert parser.get("alembic", "script_location") == "bot/store/migrations"
    assert not parser.get("alembic", "sqlalchemy.url", fallback="")


def test_alembic_command_line_uses_database_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    result = subprocess.run([str(Path(sys.executable).parent / "alembic"), "upgrade", "head"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert current_revision(url) == "0001"


# ---------------------------------------------------------------- db module


def test_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://u@h/db")
    assert db.database_url() == "postgresql+psycopg2://u@h/db"
    monkeypatch.delenv("DATABASE_URL")
    assert db.database_url() == f"sqlite:///{ROOT / 'var' / 'bot.db'}"
    assert (ROOT / "var").is_dir()


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'dir' / 'x.db'}")  # creates the directory
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        engine.dispose()


def test_session_scope_rolls_back(engine):
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            session.add(Organisation(type="hotline", name="tmp"))
            session.flush()
            raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert session.execute(select(func.count(Organisation.id))).scalar_one() == 0


def test_foreign_keys_enforced(engine):
    from sqlalchemy.exc import IntegrityError
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(Organisation(type="property_company", name="x", level="project", parent_id=999))


# ---------------------------------------------------------------- demo registry


def counts(session):
    return (session.execute(select(func.count(Organisation.id))).scalar_one(),
            session.execute(select(func.count(Estate.id))).scalar_one())


def test_seed_is_idempotent(engine):
    with session_scope(engine) as session:
        first = load_demo_registry(session)
    with session_scope(engine) as session:
        snapshot = [tuple(row) for row in session.execute(text("SELECT * FROM organisations ORDER BY id"))]
        estates = [tuple(row) for row in session.execute(text("SELECT * FROM estates ORDER BY id"))]
        second = load_demo_registry(session)
    assert first["organisations"]["created"] > 0 and first["estates"]["created"] == 6
    assert second["organisations"] == {"created": 0, "updated": 0, "unchanged": first["organisations"]["created"]}
    assert second["estates"] == {"created": 0, "updated": 0, "unchanged": 6}
    with session_scope(engine) as session:
        assert [tuple(r) for r in session.execute(text("SELECT * FROM organisations ORDER BY id"))] == snapshot
        assert [tuple(r) for r in session.execute(text("SELECT * FROM estates ORDER BY id"))] == estates


def test_seed_updates_changed_rows(engine, tmp_path):
    with session_scope(engine) as session:
        load_demo_registry(session)
    changed = DEFAULT_PATH.read_text(encoding="utf-8").replace("0531-86060020", "0531-86069999")
    path = tmp_path / "registry.yml"
    path.write_text(changed, encoding="utf-8")
    with session_scope(engine) as session:
        summary = load_demo_registry(session, path)
        hotline = session.execute(select(Organisation).where(Organisation.type == "hotline")).scalar_one()
    assert summary["organisations"]["updated"] == 1 and summary["organisations"]["created"] == 0
    assert hotline.phone == "053186069999"


def test_seed_content(engine):
    with session_scope(engine) as session:
        load_demo_registry(session)
        companies = session.execute(select(Organisation).where(Organisation.level == "company")).scalars().all()
        assert len(companies) == 2
        for company in companies:
            assert company.parent_id is None
            assert len(company.children) == 2 and all(a.level == "area" for a in company.children)
            for area in company.children:
                assert area.children and all(p.level == "project" for p in area.children)
        estates = session.execute(select(Estate)).scalars().all()
        names = {e.name for e in estates}
        assert {"阳光花园", "翠湖苑", "泉城名郡", "幸福里小区", "和谐家园", "龙湖春江郦城"} == names
        for estate in estates:
            assert estate.property_project.level == "project"
            assert estate.grid_worker.type == "grid_worker"
            assert estate.community.type == "community"
            assert estate.street_office.type == "street_office"
            assert estate.owners_committee is None or estate.owners_committee.type == "owners_committee"
        assert sum(e.owners_committee is not None for e in estates) >= 4
        assert "阳光花园小区" in next(e for e in estates if e.name == "阳光花园").aliases
        types = set(session.execute(select(Organisation.type)).scalars())
        registry_types = {t for t, info in org_types().items() if info["route"] == "registry"}
        assert registry_types <= types
        assert "lift_maintenance" in types
        hotline = session.execute(select(Organisation).where(Organisation.type == "hotline")).scalar_one()
        assert hotline.name == "12345热线工单池"


def _broken(tmp_path, edit):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["organisations"].append({"type": "bank", "name": "某银行"}), "unknown organisation type"),
    (lambda d: d["organisations"][0].update(phone="12345"), "not a mainland phone number"),
    (lambda d: d.update(organisations=[o for o in d["organisations"] if o["type"] != "police"]), "police"),
    (lambda d: d["estates"][0].update(property_project="安居物业历下片区"), "is not a property project"),
    (lambda d: d["estates"][0].update(grid_worker="不存在的网格员"), "no grid_worker named"),
    (lambda d: d["estates"][1]["aliases"].append("阳光花园小区"), "already names estate"),
    (lambda d: d["organisations"].append(dict(d["organisations"][0])), "listed twice"),
    (lambda d: d["estates"][0].update(colour="red"), "unknown field"),
    (lambda d: d["estates"][0].pop("community"), "expected a non-empty string"),
])
def test_registry_validation(tmp_path, edit, message):
    with pytest.raises(ValueError, match=message):
        read_registry(_broken(tmp_path, edit))


def test_default_registry_is_valid():
    registry = read_registry()
    assert len(registry.estates) == 6


def test_cli_seed(db_url):
    cmd = [sys.executable, "-m", "bot", "db", "seed", "--url", db_url]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr + first.stdout
    lines = first.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["revision"] == "0001" and summary["estates"]["created"] == 6
    assert "bot_test_pw" not in first.stdout  # password hidden
    second = json.loads(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120).stdout)
    assert second["estates"] == {"created": 0, "updated": 0, "unchanged": 6}
    assert second["organisations"]["created"] == 0


def test_cli_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    result = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"command": "db upgrade", "url": url, "revision": "0001"}
