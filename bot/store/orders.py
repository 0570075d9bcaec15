"""Work-order service API: every change to an order goes through here and is logged as an event.

Functions take an open Session and never commit: the caller owns the transaction
(bot/store/db.py: session_scope).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import time
from typing import Iterable

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.categories import CATEGORY_IDS
from bot.core.deadlines import Deadlines
from bot.core.phone import mask_phone, normalise_phone
from bot.store.models import (
    CHANNELS, KINDS, URGENCIES, Estate, Organisation, WorkOrder, WorkOrderEvent, now,
)
from bot.store.statemachine import INACTIVE, check_transition
from bot.store.types import SHANGHAI, require_aware

NUMBER_PREFIX = "WY"
MAX_NUMBER_ATTEMPTS = 50
DEFAULT_PHONE_SALT = "dev-salt"

# Which deadlines still bind an order in a given status (an accepted order has responded,
# an order on site has been visited). Statuses not listed are never overdue.
PENDING_DEADLINES = {
    "new": ("respond", "onsite", "resolve", "reply"),
    "dispatched": ("respond", "onsite", "resolve", "reply"),
    "accepted": ("onsite", "resolve", "reply"),
    "on_site": ("resolve", "reply"),
    "reopened": ("resolve", "reply"),
}


class DuplicateExternalId(ValueError):
    """The hotline ticket already has an order; `existing` is that order (for idempotency)."""

    def __init__(self, existing: WorkOrder):
        self.existing = existing
        super().__init__(
            f"外部工单号 {existing.external_id} 已登记为 {existing.number} / "
            f"external id {existing.external_id!r} already recorded as {existing.number}"
        )


def contact_hash(phone: str) -> str:
    """sha256 hex of the normalised number followed by $BOT_PHONE_SALT (default 'dev-salt')."""
    number = normalise_phone(phone)
    if number is None:
        raise ValueError(_PHONE_ERROR)
    salt = os.environ.get("BOT_PHONE_SALT", DEFAULT_PHONE_SALT)
    return hashlib.sha256(f"{number}{salt}".encode("utf-8")).hexdigest()


_PHONE_ERROR = ("电话号码无效:请提供11位手机号或带区号的固定电话 / "
                "invalid phone number: give an 11-digit mobile or a landline with area code")


def _check(value, allowed: Iterable[str], what: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"无效的{what} / invalid {what} {value!r}; allowed: {', '.join(allowed)}")
    return value


def _text(value, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what}不能为空 / {what} must be a non-empty string")
    return value.strip()


def _id_of(value, model) -> int | None:
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, model):
        if value.id is None:
            raise ValueError(f"{model.__name__} has no id yet: flush it first")
        return value.id
    raise ValueError(f"expected a {model.__name__} or its id, got {type(value).__name__}")


def _log(session: Session, order: WorkOrder, action: str, actor: str, *,
         from_status: str | None = None, to_status: str | None = None,
         detail: dict | None = None) -> WorkOrderEvent:
    entry = WorkOrderEvent(order_id=order.id, at=now(), actor=_text(actor, "actor"), action=action,
                           from_status=from_status, to_status=to_status, detail=detail)
    session.add(entry)
    session.flush()
    return entry


# ---------------------------------------------------------------- creating


def create_order(
    session: Session, *, channel: str, category: str, urgency: str, kind: str, description: str,
    estate=None, estate_text: str | None = None, building: str | None = None,
    unit: str | None = None, room: str | None = None, phone: str | None = None,
    conversation_id: str | None = None, external_id: str | None = None, secondary=(),
    assignee=None, assignee_level: str | None = None, route_reason: str | None = None,
    route_item_id: str | None = None, profile: str | None = None,
    deadlines: Deadlines | None = None, received: dt.datetime | None = None, actor: str = "bot",
) -> WorkOrder:
    """Create an order with status 'new', then 'dispatched' when an assignee is given.

    Raises ValueError for invalid input and DuplicateExternalId when the hotline ticket
    `external_id` already has an order.
    """
    _check(channel, CHANNELS, "渠道 channel")
    _check(category, CATEGORY_IDS, "类别 category")
    _check(urgency, URGENCIES, "紧急程度 urgency")
    _check(kind, KINDS, "诉求类型 kind")
    description = _text(description, "诉求内容 description")
    _text(actor, "actor")
    received = require_aware(received if received is not None else (deadlines.received if deadlines else now()),
                             "受理时间 received").astimezone(SHANGHAI)

    masked = hashed = None
    if phone is not None and str(phone).strip():
        if normalise_phone(str(phone)) is None:
            raise ValueError(_PHONE_ERROR)
        masked, hashed = mask_phone(str(phone)), contact_hash(str(phone))

    due = {}
    if deadlines is not None:
        if deadlines.kind != kind or deadlines.urgency != urgency:
            raise ValueError(
                f"时限与工单不符 / deadlines were computed for kind={deadlines.kind} urgency={deadlines.urgency}, "
                f"order has kind={kind} urgency={urgency}")
        if profile is not None and profile != deadlines.profile:
            raise ValueError(f"时限方案不符 / profile {profile!r} but deadlines are from {deadlines.profile!r}")
        profile = deadlines.profile
        due = {f"due_{name}": getattr(deadlines, name) for name in ("respond", "onsite", "resolve", "reply")}
        due.update(calendar_source=deadlines.calendar_source, calendar_note=deadlines.calendar_note)

    if external_id is not None:
        existing = get_by_external_id(session, external_id)
        if existing is not None:
            raise DuplicateExternalId(existing)

    order = WorkOrder(
        external_id=external_id, channel=channel, conversation_id=conversation_id,
        contact_masked=masked, contact_hash=hashed, estate_id=_id_of(estate, Estate),
        estate_text=estate_text, building=building, unit=unit, room=room, category=category,
        secondary=list(secondary or ()), urgency=urgency, kind=kind, description=description,
        assignee_org_id=_id_of(assignee, Organisation), assignee_level=assignee_level,
        route_reason=route_reason, route_item_id=route_item_id, profile=profile, status="new",
        reopen_count=0, created_at=received, updated_at=now(), **due,
    )
    _insert_with_number(session, order, received.date())
    _log(session, order, "created", actor, to_status="new", detail={
        "number": order.number, "channel": channel, "external_id": external_id,
        "category": category, "urgency": urgency, "kind": kind,
    })
    if order.assignee_org_id is not None:
        transition(session, order, "dispatched", actor=actor, detail={
            "assignee_org_id": order.assignee_org_id, "assignee_level": assignee_level,
            "route_reason": route_reason, "route_item_id": route_item_id,
        })
    return order


def _insert_with_number(session: Session, order: WorkOrder, day: dt.date) -> None:
    """Insert `order` under the next free WY-YYYYMMDD-NNNN of `day`.

    Two creators may read the same max(number_seq); the unique constraint on
    (number_day, number_seq) makes the second insert fail, and it retries inside a savepoint
    so that the caller's transaction survives. (SQLite writers are serialised anyway by
    BEGIN IMMEDIATE, see db.py; PostgreSQL under READ COMMITTED sees the winner on retry.)
    """
    session.flush()  # earlier pending changes must not be part of a savepoint we may roll back
    for attempt in range(MAX_NUMBER_ATTEMPTS):
        seq = session.execute(
            select(func.coalesce(func.max(WorkOrder.number_seq), 0)).where(WorkOrder.number_day == day)
        ).scalar_one() + 1
        order.number_day, order.number_seq = day, seq
        order.number = f"{NUMBER_PREFIX}-{day:%Y%m%d}-{seq:04d}"
        savepoint = session.begin_nested()
        session.add(order)
        try:
            session.flush()
        except IntegrityError:
            savepoint.rollback()
            if order.external_id is not None:
                existing = get_by_external_id(session, order.external_id)
                if existing is not None:
                    raise DuplicateExternalId(existing) from None
            taken = session.execute(select(exists().where(
                WorkOrder.number_day == day, WorkOrder.number_seq == seq))).scalar()
            if not taken:
                raise  # some other constraint (a foreign key, say): not ours to retry
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # spread the retries out
            continue
        savepoint.commit()
        return
    raise RuntimeError(f"could not allocate a work-order number for {day} after {MAX_NUMBER_ATTEMPTS} attempts")


# ---------------------------------------------------------------- changing


def transition(session: Session, order: WorkOrder, to_status: str, *, actor: str,
               detail: dict | None = None) -> WorkOrderEvent:
    """Move `order` to `to_status` (IllegalTransition if the state machine forbids it)."""
    from_status = order.status
    check_transition(from_status, to_status)
    _text(actor, "actor")
    order.status = to_status
    if to_status == "reopened":
        order.reopen_count = (order.reopen_count or 0) + 1
    order.updated_at = now()
    return _log(session, order, "status", actor, from_status=from_status, to_status=to_status, detail=detail)


def add_info(session: Session, order: WorkOrder, text: str, actor: str) -> WorkOrderEvent:
    """The resident adds information: appended to the description and logged."""
    text = _text(text, "补充内容 text")
    order.description = f"{order.description}\n[补充 {now():%Y-%m-%d %H:%M}] {text}"
    order.updated_at = now()
    return _log(session, order, "info_added", actor, detail={"text": text})


def rate(session: Session, order: WorkOrder, score: int, comment: str | None, actor: str) -> WorkOrder:
    """Record the call-back rating; 1-2 on a resolved or closed order reopens it (redo)."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"满意度须为1到5的整数 / satisfaction must be an integer 1-5, got {score!r}")
    order.satisfaction, order.satisfaction_comment = score, comment
    order.updated_at = now()
    _log(session, order, "rated", actor, detail={"score": score, "comment": comment})
    if score <= 2 and order.status in ("resolved", "closed"):
        transition(session, order, "reopened", actor=actor,
                   detail={"reason": "unsatisfied", "score": score, "comment": comment})
    return order


def cancel(session: Session, order: WorkOrder, actor: str, reason: str) -> WorkOrderEvent:
    reason = _text(reason, "撤销原因 reason")
    return transition(session, order, "cancelled", actor=actor, detail={"reason": reason})


def merge(session: Session, order: WorkOrder, into: WorkOrder, actor: str) -> WorkOrderEvent:
    """Fold a new or dispatched duplicate into the earlier order `into`."""
    if into.id == order.id:
        raise ValueError("工单不能合并到自身 / an order cannot be merged into itself")
    entry = transition(session, order, "merged", actor=actor, detail={"into": into.number})
    order.linked_order_id = into.id
    _log(session, into, "linked", actor, detail={"merged_order": order.number})
    return entry


def link_repeat(session: Session, existing: WorkOrder, *, conversation_id: str | None, channel: str,
                text: str, actor: str) -> WorkOrderEvent:
    """A repeated request on the same facts: note it on the earlier order, create nothing
    (济南12345条例 art. 25: explain, do not handle again)."""
    _check(channel, CHANNELS, "渠道 channel")
    return _log(session, existing, "linked", actor, detail={
        "conversation_id": conversation_id, "channel": channel, "text": text,
    })


# ---------------------------------------------------------------- finding


def get_by_number(session: Session, number: str) -> WorkOrder | None:
    number = (number or "").strip().upper()
    return session.execute(select(WorkOrder).where(WorkOrder.number == number)).scalar_one_or_none()


def get_by_external_id(session: Session, external_id: str) -> WorkOrder | None:
    return session.execute(
        select(WorkOrder).where(WorkOrder.external_id == external_id)
    ).scalar_one_or_none()


def find_open_repeat(session: Session, *, estate_id: int | None, building: str | None, category: str,
                     window: dt.timedelta, now: dt.datetime) -> WorkOrder | None:
    """The latest order still open on the same estate, building and category within `window`.

    Without an estate there is no telling whether two reports concern the same facts, so
    estate_id None finds nothing. building None matches only orders without a building.
    """
    if estate_id is None:
        return None
    now = require_aware(now, "now")
    building_match = WorkOrder.building.is_(None) if building is None else WorkOrder.building == building
    query = (
        select(WorkOrder)
        .where(WorkOrder.estate_id == estate_id, building_match, WorkOrder.category == category,
               WorkOrder.status.not_in(INACTIVE),
               WorkOrder.created_at >= now - window, WorkOrder.created_at <= now)
        .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def missed_deadlines(order: WorkOrder, now: dt.datetime) -> list[str]:
    """Names of the deadlines that still bind `order` and have passed at `now`."""
    now = require_aware(now, "now")
    return [name for name in PENDING_DEADLINES.get(order.status, ())
            if getattr(order, f"due_{name}") is not None and getattr(order, f"due_{name}") < now]


def overdue(session: Session, now: dt.datetime) -> list[WorkOrder]:
    """Orders past a deadline that still binds them (see PENDING_DEADLINES), oldest first."""
    now = require_aware(now, "now")
    conditions = [
        and_(WorkOrder.status == status,
             or_(*(getattr(WorkOrder, f"due_{name}") < now for name in names)))
        for status, names in PENDING_DEADLINES.items()
    ]
    query = select(WorkOrder).where(or_(*conditions)).order_by(WorkOrder.created_at, WorkOrder.id)
    return list(session.execute(query).scalars())
