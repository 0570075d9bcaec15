import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event, func, insert, select, text, update
from sqlalchemy.exc import StatementError

from bot.core.deadlines import compute_deadlines
from bot.store import orders
from bot.store.db import make_engine, session_scope
from bot.store.models import AppendOnlyError, Estate, Organisation, WorkOrder, WorkOrderEvent
from bot.store.orders import (
    DuplicateExternalId, add_info, cancel, contact_hash, create_order, find_open_repeat,
    get_by_external_id, get_by_number, link_repeat, merge, overdue, rate, transition,
)
from bot.store.seed import load_demo_registry
from bot.store.statemachine import IllegalTransition
from bot.store.types import SHANGHAI, UTC, AwareDateTime

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday


def new_order(session, **kwargs):
    values = dict(channel="cli", category="elevator", urgency="normal", kind="repair",
                  description="3号楼电梯坏了", received=T0)
    values.update(kwargs)
    return create_order(session, **values)


def actions(session, order):
    return [(e.action, e.from_status, e.to_status) for e in session.execute(
        select(WorkOrderEvent).where(WorkOrderEvent.order_id == order.id).order_by(WorkOrderEvent.id)
    ).scalars()]


@pytest.fixture
def registry(session):
    load_demo_registry(session)
    session.commit()
    estate = session.execute(select(Estate).where(Estate.name == "阳光花园")).scalar_one()
    return estate, estate.property_project


# ---------------------------------------------------------------- creating


def test_create_minimal(session):
    order = new_order(session, phone="138 1234 5678", conversation_id="c1", building="3号楼")
    session.commit()
    assert order.number == "WY-20260302-0001"
    assert order.status == "new"
    assert order.contact_masked == "138****5678"
    assert order.contact_hash == contact_hash("13812345678") != contact_hash("13812345679")
    assert len(order.contact_hash) == 64
    assert order.created_at == T0 and order.reopen_count == 0 and order.secondary == []
    assert actions(session, order) == [("created", None, "new")]


def test_phone_number_is_not_stored(session):
    order = new_order(session, phone="+86 138-1234-5678")
    session.commit()
    row = session.execute(select(WorkOrder.__table__).where(WorkOrder.id == order.id)).one()
    assert not any("12345678" in str(value) for value in row)


def test_salt_changes_hash(monkeypatch):
    first = contact_hash("13812345678")
    monkeypatch.setenv("BOT_PHONE_SALT", "other")
    assert contact_hash("13812345678") != first
    monkeypatch.delenv("BOT_PHONE_SALT")
    import hashlib
    assert contact_hash("138 1234 5678") == hashlib.sha256(b"13812345678dev-salt").hexdigest()


def test_create_with_assignee_dispatches(session, registry):
    estate, project = registry
    order = new_order(session, estate=estate, assignee=project, assignee_level="project",
                      route_reason="电梯归物业", route_item_id="ps.lift", secondary=["facility_maintenance"])
    session.commit()
    assert order.status == "dispatched"
    assert order.assignee.name == "安居物业阳光花园项目部"
    assert order.estate_id == estate.id and order.secondary == ["facility_maintenance"]
    assert actions(session, order) == [("created", None, "new"), ("status", "new", "dispatched")]
    assert order.events[1].detail["route_item_id"] == "ps.lift"


@pytest.mark.parametrize("field, value", [
    ("category", "lift"), ("urgency", "urgent"), ("kind", "question"), ("channel", "fax"),
    ("description", "  "), ("secondary", ["nope"]),
])
def test_create_validates(session, field, value):
    with pytest.raises(ValueError):
        new_order(session, **{field: value})


def test_invalid_phone_message_is_chinese(session):
    with pytest.raises(ValueError, match="电话号码无效"):
        new_order(session, phone="12345")


def test_naive_received_refused(session):
    with pytest.raises(ValueError, match="naive"):
        new_order(session, received=dt.datetime(2026, 3, 2, 10, 0))


def test_deadlines_are_stored(session):
    deadlines = compute_deadlines("poly_321", "repair", T0)
    order = new_order(session, deadlines=deadlines, received=None)
    session.commit()
    assert order.profile == "poly_321"
    assert order.due_respond == T0 + dt.timedelta(minutes=30)
    assert order.due_onsite == T0 + dt.timedelta(hours=2)
    assert order.due_resolve is None and order.due_reply is None
    assert order.calendar_source == "official" and order.created_at == T0


def test_deadlines_must_match_the_order(session):
    deadlines = compute_deadlines("poly_321", "complaint", T0)
    with pytest.raises(ValueError, match="kind=complaint"):
        new_order(session, deadlines=deadlines)


# ---------------------------------------------------------------- numbers


def test_numbers_per_day(session):
    numbers = [new_order(session, received=T0 + dt.timedelta(minutes=i)).number for i in range(3)]
    numbers.append(new_order(session, received=T0 + dt.timedelta(days=1)).number)
    numbers.append(new_order(session, received=T0 + dt.timedelta(hours=1)).number)
    assert numbers == ["WY-20260302-0001", "WY-20260302-0002", "WY-20260302-0003",
                       "WY-20260303-0001", "WY-20260302-0004"]


def test_number_day_is_shanghai_date(session):
    before = new_order(session, received=dt.datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC))  # 23:59:59 in Jinan
    after = new_order(session, received=dt.datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC))  # 00:00 in Jinan
    ny = new_order(session, received=dt.datetime(2026, 3, 1, 11, 30, tzinfo=ZoneInfo("America/New_York")))
    assert before.number == "WY-20260301-0001"
    assert after.number == "WY-20260302-0001"
    assert ny.number == "WY-20260302-0002"  # 16:30 UTC = 00:30 next day in Shanghai


def test_number_grows_past_9999(session):
    session.execute(insert(WorkOrder.__table__).values(
        number="WY-20260302-9999", number_day=dt.date(2026, 3, 2), number_seq=9999, channel="cli",
        category="other", secondary=[], urgency="normal", kind="consult", description="x",
        status="new", reopen_count=0, created_at=T0, updated_at=T0))
    assert new_order(session).number == "WY-20260302-10000"
    assert new_order(session).number == "WY-20260302-10001"


def test_concurrent_creation_gives_unique_numbers(db_url, engine):
    threads_n, per_thread = 8, 5
    barrier = threading.Barrier(threads_n)
    errors, numbers = [], []
    lock = threading.Lock()

    def work(i):
        try:
            barrier.wait()
            for j in range(per_thread):
                with session_scope(engine) as session:
                    order = new_order(session, description=f"thread {i} order {j}", external_id=f"T{i}-{j}")
                    number = order.number
                with lock:
                    numbers.append(number)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    total = threads_n * per_thread
    assert len(numbers) == len(set(numbers)) == total
    assert sorted(numbers) == [f"WY-20260302-{n:04d}" for n in range(1, total + 1)]
    with session_scope(engine) as session:
        assert session.execute(select(func.count(WorkOrder.id))).scalar_one() == total
        assert session.execute(select(func.count(WorkOrderEvent.id))).scalar_one() == total


def test_number_collision_is_retried(db_url, engine, session):
    """Another writer takes the number between our max() and our insert: we retry."""
    conflicting = dict(
        number="WY-20260302-0001", number_day=dt.date(2026, 3, 2), number_seq=1, channel="cli",
        category="other", secondary="[]", urgency="normal", kind="consult", description="other writer",
        status="new", reopen_count=0)
    fired = []

    def after_execute(conn, cursor, statement, parameters, context, executemany):
        if fired or "max(work_orders.number_seq)" not in statement:
            return
        fired.append(True)
        if conn.dialect.name == "sqlite":
            # SQLite writers are serialised (BEGIN IMMEDIATE): write on our own connection,
            # before the savepoint, as a concurrent writer would have done before our lock.
            cursor.connection.execute(
                "INSERT INTO work_orders (number, number_day, number_seq, channel, category, secondary,"
                " urgency, kind, description, status, reopen_count, created_at, updated_at) VALUES"
                " (:number, '2026-03-02', 1, :channel, :category, :secondary, :urgency, :kind,"
                " :description, :status, :reopen_count, '2026-03-02 02:00:00', '2026-03-02 02:00:00')",
                conflicting)
        else:
            other = make_engine(db_url)
            with other.begin() as c:
                c.execute(insert(WorkOrder.__table__).values(
                    **{**conflicting, "secondary": [], "number_day": dt.date(2026, 3, 2),
                       "created_at": T0, "updated_at": T0}))
            other.dispose()

    event.listen(engine, "after_cursor_execute", after_execute)
    try:
        order = new_order(session)
        session.commit()
    finally:
        event.remove(engine, "after_cursor_execute", after_execute)
    assert fired
    assert order.number == "WY-20260302-0002"
    assert session.execute(select(func.count(WorkOrder.id))).scalar_one() == 2


# ---------------------------------------------------------------- external ids


def test_external_id_idempotency(session):
    first = new_order(session, external_id="12345-2026-000777")
    session.commit()
    with pytest.raises(DuplicateExternalId) as info:
        new_order(session, external_id="12345-2026-000777", description="same ticket again")
    assert info.value.existing.id == first.id
    assert isinstance(info.value, ValueError)
    assert get_by_external_id(session, "12345-2026-000777").number == first.number
    assert session.execute(select(func.count(WorkOrder.id))).scalar_one() == 1


def test_external_id_race_maps_to_duplicate(session, monkeypatch):
    """The pre-check misses a concurrent insert: the unique constraint still catches it,
    and the caller's transaction survives (savepoint)."""
    first = new_order(session, external_id="X-1")
    session.commit()
    real = orders.get_by_external_id
    calls = []

    def stale_first_time(s, external_id):
        calls.append(external_id)
        return None if len(calls) == 1 else real(s, external_id)

    monkeypatch.setattr(orders, "get_by_external_id", stale_first_time)
    keep = new_order(session, description="created earlier in the same transaction")
    with pytest.raises(DuplicateExternalId) as info:
        new_order(session, external_id="X-1")
    assert info.value.existing.id == first.id
    session.commit()
    assert get_by_number(session, keep.number) is not None
    assert session.execute(select(func.count(WorkOrder.id))).scalar_one() == 2


def test_get_by_number(session):
    order = new_order(session)
    assert get_by_number(session, " wy-20260302-0001 ") is order
    assert get_by_number(session, "WY-20260302-0002") is None
    assert get_by_external_id(session, "nope") is None


# ---------------------------------------------------------------- lifecycle


def test_lifecycle_and_events(session, registry):
    estate, project = registry
    order = new_order(session, estate=estate, assignee=project)
    for status in ("accepted", "on_site", "resolved", "closed"):
        transition(session, order, status, actor="staff:wang")
    session.commit()
    assert order.status == "closed"
    assert actions(session, order) == [
        ("created", None, "new"), ("status", "new", "dispatched"), ("status", "dispatched", "accepted"),
        ("status", "accepted", "on_site"), ("status", "on_site", "resolved"), ("status", "resolved", "closed"),
    ]
    assert order.events[-1].actor == "staff:wang"


def test_illegal_transition_refused(session):
    order = new_order(session)
    with pytest.raises(IllegalTransition):
        transition(session, order, "resolved", actor="staff:wang")
    assert order.status == "new"
    assert actions(session, order) == [("created", None, "new")]
    cancel(session, order, "resident", "已自行解决")
    with pytest.raises(IllegalTransition):
        transition(session, order, "dispatched", actor="bot")
    assert order.events[-1].detail == {"reason": "已自行解决"}


def test_add_info(session):
    order = new_order(session)
    add_info(session, order, "补充:是2单元那部", "resident")
    assert order.description.startswith("3号楼电梯坏了\n[补充 ")
    assert order.description.endswith("补充:是2单元那部")
    assert order.events[-1].action == "info_added" and order.status == "new"


def test_rate_low_reopens(session):
    order = new_order(session, assignee=None)
    for status in ("dispatched", "accepted", "resolved"):
        transition(session, order, status, actor="staff:wang")
    rate(session, order, 2, "没修好", "resident")
    assert order.status == "reopened" and order.reopen_count == 1
    assert order.satisfaction == 2 and order.satisfaction_comment == "没修好"
    assert [e.action for e in order.events][-2:] == ["rated", "status"]
    for status in ("dispatched", "accepted", "resolved", "closed"):
        transition(session, order, status, actor="staff:wang")
    rate(session, order, 1, None, "hotline")
    assert order.status == "reopened" and order.reopen_count == 2
    session.commit()


def test_rate_good_or_unresolved_does_not_reopen(session):
    order = new_order(session)
    rate(session, order, 1, "太慢", "resident")  # not resolved yet: recorded, nothing reopens
    assert order.status == "new" and order.reopen_count == 0
    for status in ("dispatched", "accepted", "resolved"):
        transition(session, order, status, actor="staff:wang")
    rate(session, order, 3, None, "resident")
    assert order.status == "resolved" and order.satisfaction == 3


@pytest.mark.parametrize("score", [0, 6, True, 2.5, "5"])
def test_rate_validates(session, score):
    with pytest.raises(ValueError):
        rate(session, new_order(session), score, None, "resident")


def test_cancel_needs_reason(session):
    with pytest.raises(ValueError):
        cancel(session, new_order(session), "resident", " ")


def test_merge(session):
    first, second = new_order(session), new_order(session)
    merge(session, second, first, "staff:li")
    assert second.status == "merged" and second.linked_order_id == first.id
    assert first.events[-1].action == "linked"
    with pytest.raises(IllegalTransition):
        transition(session, second, "dispatched", actor="bot")


def test_link_repeat_creates_no_order(session):
    order = new_order(session)
    link_repeat(session, order, conversation_id="tg-42", channel="telegram", text="电梯还是坏的", actor="bot")
    session.commit()
    assert session.execute(select(func.count(WorkOrder.id))).scalar_one() == 1
    linked = order.events[-1]
    assert linked.action == "linked"
    assert linked.detail == {"conversation_id": "tg-42", "channel": "telegram", "text": "电梯还是坏的"}


# ---------------------------------------------------------------- append-only events


def test_events_cannot_be_updated(session):
    order = new_order(session)
    session.commit()
    entry = order.events[0]
    entry.actor = "someone else"
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()


def test_events_cannot_be_deleted(session):
    order = new_order(session)
    session.commit()
    session.delete(order.events[0])
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()


def test_events_refuse_bulk_statements(session):
    new_order(session)
    session.commit()
    with pytest.raises(AppendOnlyError):
        session.execute(update(WorkOrderEvent).values(actor="x"))
    with pytest.raises(AppendOnlyError):
        session.execute(delete(WorkOrderEvent))
    session.rollback()
    assert session.execute(select(WorkOrderEvent.actor)).scalar_one() == "bot"


def test_order_with_events_cannot_be_deleted(session):
    order = new_order(session)
    session.commit()
    session.delete(order)
    with pytest.raises(Exception):
        session.flush()
    session.rollback()
    assert session.execute(select(func.count(WorkOrderEvent.id))).scalar_one() == 1


# ---------------------------------------------------------------- aware timestamps


def test_aware_datetimes_round_trip(engine):
    received = dt.datetime(2026, 7, 1, 1, 2, 3, 456000, tzinfo=ZoneInfo("America/New_York"))
    deadlines = compute_deadlines("jinan_12345", "complaint", received)
    with session_scope(engine) as session:
        order = new_order(session, kind="complaint", received=received, deadlines=deadlines)
        order_id = order.id
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":  # the session zone must not matter
            session.execute(text("SET TIME ZONE 'America/Los_Angeles'"))
        loaded = session.get(WorkOrder, order_id)
        assert loaded.created_at == received
        assert loaded.created_at.tzinfo.key == "Asia/Shanghai"
        assert loaded.created_at.isoformat() == "2026-07-01T13:02:03.456000+08:00"
        assert loaded.due_reply == deadlines.reply
        assert loaded.due_reply.isoformat() == "2026-07-08T23:59:59+08:00"
        assert loaded.events[0].at.tzinfo.key == "Asia/Shanghai"
        # stored as UTC
        if engine.dialect.name == "postgresql":
            raw = session.execute(text(
                "SELECT created_at AT TIME ZONE 'UTC' FROM work_orders WHERE id = :id"), {"id": order_id}).scalar_one()
            assert raw == dt.datetime(2026, 7, 1, 5, 2, 3, 456000)
        else:
            raw = session.execute(text("SELECT created_at FROM work_orders WHERE id = :id"), {"id": order_id}).scalar_one()
            assert raw.startswith("2026-07-01 05:02:03.456")
        # comparisons happen on instants, whatever zone the parameter is in
        hit = session.execute(select(WorkOrder.id).where(
            WorkOrder.created_at == dt.datetime(2026, 7, 1, 5, 2, 3, 456000, tzinfo=UTC))).scalar_one()
        assert hit == order_id


def test_naive_datetimes_refused(session):
    order = new_order(session)
    with pytest.raises(ValueError, match="naive"):
        order.due_resolve = dt.datetime(2026, 3, 5, 12, 0)
    order.due_resolve = dt.datetime(2026, 3, 5, 4, 0, tzinfo=UTC)
    assert order.due_resolve.tzinfo is SHANGHAI and order.due_resolve.hour == 12
    with pytest.raises(ValueError, match="naive"):
        AwareDateTime().process_bind_param(dt.datetime(2026, 3, 5), session.bind.dialect)
    with pytest.raises(StatementError, match="naive"):  # a naive query parameter
        session.execute(select(WorkOrder).where(WorkOrder.created_at < dt.datetime(2026, 3, 5)))


# ---------------------------------------------------------------- repeats and overdue


def test_repeat_window(session, registry):
    estate, _ = registry
    order = new_order(session, estate=estate, building="3号楼")
    new_order(session, estate=estate, building="5号楼", received=T0 + dt.timedelta(minutes=5))

    def find(**kwargs):
        values = dict(estate_id=estate.id, building="3号楼", category="elevator",
                      window=dt.timedelta(hours=24), now=T0 + dt.timedelta(hours=1))
        values.update(kwargs)
        return find_open_repeat(session, **values)

    assert find() is order
    assert find(now=T0 + dt.timedelta(hours=23, minutes=59)) is order
    assert find(now=T0 + dt.timedelta(hours=24, minutes=1)) is None
    assert find(window=dt.timedelta(minutes=30)) is None
    assert find(now=T0 - dt.timedelta(minutes=1)) is None  # not yet received
    assert find(category="parking") is None
    assert find(building="4号楼") is None
    assert find(building=None) is None
    assert find(estate_id=None) is None
    assert find(now=(T0 + dt.timedelta(hours=1)).astimezone(UTC)) is order

    no_building = new_order(session, estate=estate, building=None)
    assert find(building=None) is no_building

    cancel(session, order, "resident", "重复")
    assert find() is None


def test_repeat_ignores_closed(session, registry):
    estate, _ = registry
    order = new_order(session, estate=estate, building="3号楼")
    for status in ("dispatched", "accepted", "resolved"):
        transition(session, order, status, actor="staff:wang")
    args = dict(estate_id=estate.id, building="3号楼", category="elevator",
                window=dt.timedelta(days=2), now=T0 + dt.timedelta(hours=1))
    assert find_open_repeat(session, **args) is order  # resolved is not closed yet
    transition(session, order, "closed", actor="staff:wang")
    assert find_open_repeat(session, **args) is None


def test_overdue(session):
    deadlines = compute_deadlines("poly_321", "repair", T0)  # respond 10:30, on site 12:00
    late = new_order(session, deadlines=deadlines)
    accepted = new_order(session, deadlines=deadlines)
    for status in ("dispatched", "accepted"):
        transition(session, accepted, status, actor="staff:wang")
    resolved = new_order(session, deadlines=deadlines)
    for status in ("dispatched", "accepted", "resolved"):
        transition(session, resolved, status, actor="staff:wang")
    no_deadline = new_order(session)

    assert overdue(session, T0 + dt.timedelta(minutes=29)) == []
    assert overdue(session, T0 + dt.timedelta(minutes=31)) == [late]  # accepted has responded
    assert overdue(session, T0 + dt.timedelta(hours=2, minutes=1)) == [late, accepted]
    assert orders.missed_deadlines(late, T0 + dt.timedelta(hours=3)) == ["respond", "onsite"]
    assert no_deadline not in overdue(session, T0 + dt.timedelta(days=30))
    with pytest.raises(ValueError):
        overdue(session, dt.datetime(2026, 3, 2, 12))


def test_organisation_type_validated():
    with pytest.raises(ValueError):
        Organisation(type="bank", name="x")
    with pytest.raises(ValueError):
        Organisation(type="property_company", name="x", level="branch")
    assert Organisation(type="hotline", name="12345").type == "hotline"
