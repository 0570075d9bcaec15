"""Tables: organisations, estates, work orders, their event log, and requests for a human.

Enumerated values (categories, kinds, statuses, organisation types) are validated in Python
when set, so that adding one never needs a schema migration.
"""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import yaml
from sqlalchemy import (
    JSON, CheckConstraint, Column, Date, ForeignKey, Index, Integer, MetaData, String, Text,
    UniqueConstraint, event,
)
from sqlalchemy.orm import Session, declarative_base, relationship, validates

from bot.core.categories import CATEGORY_IDS
from bot.store.statemachine import STATUSES
from bot.store.types import SHANGHAI, AwareDateTime, require_aware

ORG_TYPES_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "org_types.yml"

CHANNELS = ("telegram", "web", "hotline", "cli", "console", "rasa")
URGENCIES = ("emergency", "normal")
KINDS = ("consult", "help", "complaint", "report", "suggestion", "repair")
PROPERTY_LEVELS = ("project", "area", "company")  # child -> parent: project -> area -> company
ESCALATION_STATUSES = ("open", "taken", "closed")

# Stable constraint names, identical on SQLite and PostgreSQL, so migrations can refer to them.
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})
Base = declarative_base(metadata=metadata)


def now() -> dt.datetime:
    return dt.datetime.now(SHANGHAI)


@functools.lru_cache(maxsize=1)
def org_types() -> dict:
    """Organisation type id -> {name, route} from bot/knowledge/org_types.yml."""
    data = yaml.safe_load(ORG_TYPES_FILE.read_text(encoding="utf-8")) or {}
    types = data.get("org_types") or {}
    if not types:
        raise ValueError(f"{ORG_TYPES_FILE}: no org_types")
    return types


def _one_of(value, allowed, what: str, *, nullable: bool = False):
    if value is None and nullable:
        return value
    if value not in allowed:
        raise ValueError(f"无效的{what} / invalid {what} {value!r}; allowed: {', '.join(allowed)}")
    return value


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("type", "name"),)

    id = Column(Integer, primary_key=True)
    type = Column(String(40), nullable=False, index=True)
    name = Column(String(200), nullable=False)
    level = Column(String(20))  # property companies only
    parent_id = Column(Integer, ForeignKey("organisations.id"))
    phone = Column(String(20))  # normalised digits
    contact_name = Column(String(100))
    created_at = Column(AwareDateTime, nullable=False, default=now)

    parent = relationship("Organisation", remote_side=[id], backref="children")

    @validates("type")
    def _check_type(self, _key, value):
        return _one_of(value, tuple(org_types()), "机构类型 organisation type")

    @validates("level")
    def _check_level(self, _key, value):
        return _one_of(value, PROPERTY_LEVELS, "层级 level", nullable=True)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.type} {self.name!r} {self.level or ''}>"


class Estate(Base):
    __tablename__ = "estates"

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False, unique=True)
    aliases = Column(JSON, nullable=False, default=list)
    district = Column(String(50))
    address = Column(String(300))
    property_project_id = Column(Integer, ForeignKey("organisations.id"))
    owners_committee_id = Column(Integer, ForeignKey("organisations.id"))
    grid_worker_id = Column(Integer, ForeignKey("organisations.id"))
    community_id = Column(Integer, ForeignKey("organisations.id"))
    street_office_id = Column(Integer, ForeignKey("organisations.id"))

    property_project = relationship(Organisation, foreign_keys=[property_project_id])
    owners_committee = relationship(Organisation, foreign_keys=[owners_committee_id])
    grid_worker = relationship(Organisation, foreign_keys=[grid_worker_id])
    community = relationship(Organisation, foreign_keys=[community_id])
    street_office = relationship(Organisation, foreign_keys=[street_office_id])

    def __repr__(self) -> str:
        return f"<Estate {self.id} {self.name!r}>"


class WorkOrder(Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        # The number's parts, so that the next sequence is max(number_seq) for the day and
        # concurrent creators collide on a constraint instead of silently sharing a number.
        UniqueConstraint("number_day", "number_seq"),
        CheckConstraint("satisfaction IS NULL OR (satisfaction BETWEEN 1 AND 5)", name="satisfaction_range"),
        Index(None, "estate_id", "category", "created_at"),  # repeat detection
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)  # WY-YYYYMMDD-NNNN
    number_day = Column(Date, nullable=False)  # Asia/Shanghai date of receipt
    number_seq = Column(Integer, nullable=False)
    external_id = Column(String(100), unique=True)
    channel = Column(String(20), nullable=False)
    conversation_id = Column(String(200), index=True)
    contact_masked = Column(String(20))
    contact_hash = Column(String(64), index=True)
    estate_id = Column(Integer, ForeignKey("estates.id"))
    estate_text = Column(String(200))
    building = Column(String(50))
    unit = Column(String(50))
    room = Column(String(50))
    category = Column(String(40), nullable=False)
    secondary = Column(JSON, nullable=False, default=list)
    urgency = Column(String(20), nullable=False)
    kind = Column(String(20), nullable=False)
    description = Column(Text, nullable=False)
    assignee_org_id = Column(Integer, ForeignKey("organisations.id"))
    assignee_level = Column(String(40))
    route_reason = Column(Text)
    route_item_id = Column(String(100))
    profile = Column(String(100))
    due_respond = Column(AwareDateTime)
    due_onsite = Column(AwareDateTime)
    due_resolve = Column(AwareDateTime)
    due_reply = Column(AwareDateTime)
    calendar_source = Column(String(20))
    calendar_note = Column(Text)
    status = Column(String(20), nullable=False, index=True)
    linked_order_id = Column(Integer, ForeignKey("work_orders.id"))
    satisfaction = Column(Integer)
    satisfaction_comment = Column(Text)
    reopen_count = Column(Integer, nullable=False, default=0)
    created_at = Column(AwareDateTime, nullable=False, default=now)  # time of receipt
    updated_at = Column(AwareDateTime, nullable=False, default=now)

    estate = relationship(Estate)
    assignee = relationship(Organisation)
    linked_order = relationship("WorkOrder", remote_side=[id])
    events = relationship("WorkOrderEvent", back_populates="order",
                          order_by="WorkOrderEvent.id")

    @validates("channel")
    def _check_channel(self, _key, value):
        return _one_of(value, CHANNELS, "渠道 channel")

    @validates("category")
    def _check_category(self, _key, value):
        return _one_of(value, CATEGORY_IDS, "类别 category")

    @validates("urgency")
    def _check_urgency(self, _key, value):
        return _one_of(value, URGENCIES, "紧急程度 urgency")

    @validates("kind")
    def _check_kind(self, _key, value):
        return _one_of(value, KINDS, "诉求类型 kind")

    @validates("status")
    def _check_status(self, _key, value):
        return _one_of(value, STATUSES, "状态 status")

    @validates("secondary")
    def _check_secondary(self, _key, value):
        value = list(value or ())
        for item in value:
            _one_of(item, CATEGORY_IDS, "次要类别 secondary category")
        return value

    def __repr__(self) -> str:
        return f"<WorkOrder {self.number} {self.category} {self.status}>"


class WorkOrderEvent(Base):
    """The order's history. Append-only: see the listeners below."""

    __tablename__ = "work_order_events"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("work_orders.id"), nullable=False, index=True)
    at = Column(AwareDateTime, nullable=False, default=now)
    actor = Column(String(100), nullable=False)
    action = Column(String(40), nullable=False)
    from_status = Column(String(20))
    to_status = Column(String(20))
    detail = Column(JSON)

    order = relationship(WorkOrder, back_populates="events")

    def __repr__(self) -> str:
        return f"<WorkOrderEvent {self.id} {self.action} {self.from_status}->{self.to_status}>"


class ConversationEscalation(Base):
    """A resident asked for a human; staff take it from the open queue."""

    __tablename__ = "conversation_escalations"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(200), nullable=False, index=True)
    channel = Column(String(20), nullable=False)
    order_id = Column(Integer, ForeignKey("work_orders.id"))
    reason = Column(Text)
    status = Column(String(20), nullable=False, default="open", index=True)
    created_at = Column(AwareDateTime, nullable=False, default=now)

    order = relationship(WorkOrder)

    @validates("channel")
    def _check_channel(self, _key, value):
        return _one_of(value, CHANNELS, "渠道 channel")

    @validates("status")
    def _check_status(self, _key, value):
        return _one_of(value, ESCALATION_STATUSES, "状态 status")


# ---------------------------------------------------------------- append-only events


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete a work-order event."""


def _refuse(what: str):
    raise AppendOnlyError(f"工单事件只能追加,不能{what} / work-order events are append-only: refusing {what}")


@event.listens_for(WorkOrderEvent, "before_update")
def _refuse_update(_mapper, _connection, _target):
    _refuse("update")


@event.listens_for(WorkOrderEvent, "before_delete")
def _refuse_delete(_mapper, _connection, _target):
    _refuse("delete")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state):
    # session.execute(update(WorkOrderEvent)...) bypasses the mapper events above.
    if (state.is_update or state.is_delete) and any(
        m.class_ is WorkOrderEvent for m in state.all_mappers
    ):
        _refuse("bulk update" if state.is_update else "bulk delete")


# ---------------------------------------------------------------- aware timestamps on assignment


def _aware_on_set(_target, value, _oldvalue, _initiator):
    # Fail at assignment with a plain ValueError, not later inside flush(); keep the
    # in-memory value in the same zone as values loaded from the database.
    if value is None:
        return None
    return require_aware(value).astimezone(SHANGHAI)


for _model in (Organisation, Estate, WorkOrder, WorkOrderEvent, ConversationEscalation):
    for _column in _model.__table__.columns:
        if isinstance(_column.type, AwareDateTime):
            event.listen(getattr(_model, _column.key), "set", _aware_on_set, retval=True)
