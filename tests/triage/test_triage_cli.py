"""`python -m bot triage` as a real subprocess on a temporary SQLite database."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from bot.store.db import make_engine, make_session
from bot.store.models import WorkOrder, WorkOrderEvent
from tests.conftest import MODEL, PROJECT_DIR

TIMEOUT = 600
ORDER_KEYS = {"id", "external_id", "order_number", "category", "secondary", "urgency", "route", "due",
              "calendar", "status"}


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'triage.db'}"


def _env(db: str) -> dict:
    return {**os.environ, "DATABASE_URL": db, "BOT_PHONE_SALT": "test-salt", "PYTHONPATH": str(PROJECT_DIR)}


def _command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "bot", "triage", "-", "--profile", "jinan_12345", "--model", str(MODEL), *extra]


def triage(db: str, lines: list[str], *extra: str) -> list[dict]:
    proc = subprocess.run(_command(*extra), input="\n".join(lines) + "\n", capture_output=True, text=True,
                          cwd=PROJECT_DIR, env=_env(db), timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "internal_error" not in proc.stderr, proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines()]


def ticket(ident, text, **fields) -> str:
    return json.dumps({"id": ident, "text": text, **fields}, ensure_ascii=False)


def orders_in(db: str) -> list[WorkOrder]:
    engine = make_engine(db)
    try:
        session = make_session(engine)
        rows = list(session.execute(select(WorkOrder).order_by(WorkOrder.id)).scalars())
        session.close()
        return rows
    finally:
        engine.dispose()


def test_good_and_bad_tickets_then_an_idempotent_rerun(db):
    lines = [
        ticket("H-1", "3号楼电梯坏了两天没人修", estate="阳光花园小区", phone="138 0531 1234",
               received="2026-03-02T10:00:00+08:00", kind="报修"),
        ticket("H-2", "暖气不热,屋里才15度", estate="翠湖苑", received="2026-03-02T10:10:00+08:00"),
        "{not json",
        ticket("H-3", "   "),
        ticket("H-4", "楼道灯坏了", phone="12345"),
        ticket("H-1", "3号楼电梯坏了两天没人修", estate="阳光花园小区"),  # same external id again
        json.dumps({"text": "没有编号的工单"}, ensure_ascii=False),
        ticket("H-5", "楼道灯坏了", kind="gossip"),
        ticket("H-6", "楼道灯坏了", received="yesterday"),
        json.dumps({"id": "H-7", "external_id": "EXT-7", "title": "电梯困人", "text": "有人被困在里面了",
                    "estate": "泉城名郡", "received": "2026-03-02T11:00:00"}, ensure_ascii=False),
        ticket("H-8", "5号楼电梯坏了好几天了", estate="星河湾", received="2026-03-02T12:00:00+08:00"),
    ]
    out = triage(db, lines)
    assert len(out) == len(lines)
    by_line = dict(enumerate(out))

    first = by_line[0]
    assert set(first) == ORDER_KEYS and first["status"] == "created"
    assert (first["id"], first["external_id"], first["category"]) == ("H-1", "H-1", "elevator")
    assert first["order_number"] == "WY-20260302-0001"
    assert first["route"] == {"org": "安居物业阳光花园项目部", "org_type": "property_company", "level": "project",
                              "reason": "依据物业服务清单 5.5「电梯故障停运维修与公告」,由物业服务企业负责",
                              "item_id": "PS-5.5"}
    assert first["due"]["reply"] == "2026-03-09T23:59:59+08:00"  # 5 working days (济南 art. 24)
    assert first["calendar"]["source"] == "official"

    heat = by_line[1]
    assert heat["route"]["org_type"] == "heat_company" and heat["route"]["level"] == "city"

    for n, ident, needle in [(2, None, "JSON"), (3, "H-3", "text"), (4, "H-4", "phone"),
                             (5, "H-1", "duplicate external_id"), (6, None, "external_id"),
                             (7, "H-5", "kind"), (8, "H-6", "received")]:
        row = by_line[n]
        assert set(row) == {"id", "error"} and row["id"] == ident, row
        assert needle in row["error"], row
        assert any("\u4e00" <= ch <= "\u9fff" for ch in row["error"]), row  # Chinese and English

    trapped = by_line[9]
    assert (trapped["id"], trapped["external_id"], trapped["urgency"]) == ("H-7", "EXT-7", "emergency")
    assert trapped["route"]["level"] == "company" and trapped["route"]["org"] == "泉城龙腾物业管理有限公司"
    assert trapped["due"]["onsite"] == "2026-03-02T11:30:00+08:00"
    assert "Asia/Shanghai" in trapped["calendar"]["note"]  # no offset given: said so

    queued = by_line[10]
    assert queued["route"]["level"] == "hotline_queue" and "星河湾" in queued["route"]["reason"]

    stored = orders_in(db)
    assert sorted(o.external_id for o in stored) == ["EXT-7", "H-1", "H-2", "H-8"]
    assert all(o.channel == "hotline" and o.status == "dispatched" for o in stored)
    h1 = next(o for o in stored if o.external_id == "H-1")
    assert (h1.kind, h1.building, h1.contact_masked) == ("repair", "3", "138****1234")

    again = triage(db, lines)
    assert [row.get("status") for row in again] == [
        "existing", "existing", None, None, None, None, None, None, None, "existing", "existing"]
    for before, after in zip(out, again):
        if "status" in before:
            assert {**before, "status": "existing"} == after
        else:
            assert before == after
    assert len(orders_in(db)) == 4


def test_repeats_are_linked_not_handled_twice(db):
    lines = [
        ticket("R-1", "3号楼电梯坏了,一直停在一楼不动", estate="阳光花园", received="2026-03-02T09:00:00+08:00"),
        ticket("R-2", "电梯坏了好几天了怎么还没修好", estate="阳光花园小区3号楼", received="2026-03-03T09:00:00+08:00"),
        ticket("R-3", "5号楼电梯坏了,一直停在一楼不动", estate="阳光花园", received="2026-03-03T10:00:00+08:00"),
        ticket("R-4", "3号楼电梯坏了,一直停在一楼不动", estate="阳光花园", received="2026-03-09T09:00:00+08:00"),
        ticket("R-5", "3号楼电梯困人了,有人被困在里面", estate="阳光花园", received="2026-03-09T09:30:00+08:00"),
    ]
    out = triage(db, lines)
    assert [row["status"] for row in out] == ["created", "linked", "created", "created", "created"]
    first, linked = out[0], out[1]
    # The repeat points at the order that handles it, and keeps its own (merged) record.
    assert linked["order_number"] == first["order_number"] and linked["route"] == first["route"]
    assert linked["record_number"] != first["order_number"]
    # outside the 72-hour window. R-5: an emergency is never folded into a routine order.
    assert out[4]["urgency"] == "emergency"

    stored = {o.external_id: o for o in orders_in(db)}
    assert stored["R-2"].status == "merged" and stored["R-2"].linked_order_id == stored["R-1"].id
    assert "第二十五条" in stored["R-2"].route_reason
    assert stored["R-1"].status == "dispatched"
    engine = make_engine(db)
    try:
        session = make_session(engine)
        linked_events = session.execute(select(func.count()).select_from(WorkOrderEvent).where(
            WorkOrderEvent.order_id == stored["R-1"].id, WorkOrderEvent.action == "linked")).scalar_one()
        session.close()
    finally:
        engine.dispose()
    assert linked_events == 1

    again = triage(db, lines)
    assert [row["status"] for row in again] == ["existing"] * 5
    assert again[1]["order_number"] == first["order_number"]
    assert len(orders_in(db)) == 5


def test_unknown_profile_is_refused_before_any_work(db):
    proc = subprocess.run([sys.executable, "-m", "bot", "triage", "-", "--profile", "atlantis"], input="",
                          capture_output=True, text=True, cwd=PROJECT_DIR, env=_env(db), timeout=TIMEOUT)
    assert proc.returncode == 2 and "atlantis" in proc.stderr and proc.stdout == ""


def test_killed_halfway_then_rerun_loses_and_doubles_nothing(db, tmp_path):
    estates = ["阳光花园", "翠湖苑", "泉城名郡", "幸福里", "星河湾", None]
    texts = ["{b}号楼电梯坏了没人修", "{b}号楼楼道堆满了杂物", "{b}号楼楼道灯不亮", "暖气不热,{b}号楼好几户都冷",
             "{b}号楼门口的路面塌了个坑", "{b}号楼单元门禁坏了刷不开"]
    lines = []
    for n in range(300):
        fields = {"received": f"2026-03-{2 + n % 20:02d}T{8 + n % 10:02d}:{n % 60:02d}:00+08:00"}
        if estates[n % 6]:
            fields["estate"] = estates[n % 6]
        lines.append(ticket(f"K-{n:04d}", texts[(n // 6) % 6].format(b=1 + n % 9), **fields))
    path = tmp_path / "tickets.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = _command("--batch-size", "10")
    command[4] = str(path)

    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=PROJECT_DIR, env=_env(db))
    printed = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while len(printed) < 40 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            printed.append(json.loads(line))
        assert len(printed) >= 40, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    interrupted = orders_in(db)
    assert 40 <= len(interrupted) < 300, "the kill did not land halfway"

    proc = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_DIR, env=_env(db), timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = [json.loads(line) for line in proc.stdout.splitlines()]

    assert [row["id"] for row in out] == [f"K-{n:04d}" for n in range(300)]
    assert all("error" not in row for row in out)
    statuses = {row["id"]: row["status"] for row in out}
    # Every line the killed run printed was committed: the re-run finds it.
    assert all(statuses[row["id"]] == "existing" for row in printed)
    assert sum(s == "existing" for s in statuses.values()) == len(interrupted)

    stored = orders_in(db)
    ids = [o.external_id for o in stored]
    assert len(ids) == 300 and sorted(ids) == sorted(statuses)  # exactly one order per ticket
    numbers = [o.number for o in stored]
    assert len(set(numbers)) == 300
