"""One hotline ticket into the store: classify, route, compute deadlines, create or link.

Used by `python -m bot triage` (bot/commands/triage.py). The caller owns the transaction:
process() only adds and flushes, so a batch can commit many tickets at once and roll back a
single failed one through a SAVEPOINT.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

from bot.core.deadlines import DUE_NAMES, Deadlines, Policy, compute_deadlines
from bot.core.routing import QUEUE_LEVEL, Registry, route
from bot.core.routing_rules import RoutingRules, default_rules
from bot.knowledge.kb import KnowledgeBase, default_kb
from bot.nlu.entities import normalize_value
from bot.nlu.normalize import normalize
from bot.store import orders
from bot.store.models import WorkOrder

CHANNEL = "hotline"
ACTOR = "hotline-triage"
_BUILDING = re.compile(r"([0-9]{1,4}|[一二三四五六七八九十两]{1,4})(?:号楼|栋|幢|座)")
LINK_REASON = "重复诉求,已并入工单 {number}(济南市12345市民服务热线条例第二十五条:同一事项不重复办理)"


@dataclass(frozen=True)
class Ticket:
    ident: object  # the input's `id`, echoed back
    external_id: str
    text: str
    received: dt.datetime  # aware
    kind: str = "complaint"
    phone: str | None = None
    estate: str | None = None
    received_note: str | None = None  # why `received` was interpreted (no offset given)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def _entity(entities: list[dict], name: str) -> str | None:
    return next((e.get("value") for e in entities if e.get("entity") == name and e.get("value")), None)


class Triage:
    def __init__(self, nlu, profile: str, *, policy: Policy | None = None,
                 kb: KnowledgeBase | None = None, rules: RoutingRules | None = None) -> None:
        self.nlu = nlu
        self.profile = profile
        self.policy = policy
        self.kb = kb if kb is not None else default_kb()
        self.rules = rules if rules is not None else default_rules()
        self.registry: Registry | None = None

    def bind(self, session) -> None:
        """Read the registry once per run (routing every ticket re-uses it)."""
        self.registry = Registry.load(session)

    # ------------------------------------------------------------------ processing

    def process(self, session, ticket: Ticket, parsed: dict | None = None) -> dict:
        """`parsed`: the NLU result when a worker process has already computed it."""
        if self.registry is None:
            self.bind(session)
        # Idempotent: a re-sent or re-run ticket creates nothing. (A plain id lookup first:
        # nearly every ticket is new, and loading an ORM object costs more than the query.)
        if session.execute(select(WorkOrder.id).where(WorkOrder.external_id == ticket.external_id)).first():
            existing = orders.get_by_external_id(session, ticket.external_id)
            return self.describe(existing, "existing", ticket.ident)

        parsed = parsed if parsed is not None else self.nlu.parse(ticket.text)
        category, urgency = parsed["category"], parsed["urgency"]
        entities = parsed.get("entities") or []
        estate_mention, estate_name = self._estate(ticket, entities)
        building, unit, room = (self._address_part(ticket, entities, k) for k in ("building", "unit", "room"))

        target = route(session, category=category, text=ticket.text, estate_name=estate_name,
                       urgency=urgency, kb=self.kb, rules=self.rules, registry=self.registry)
        deadlines = compute_deadlines(self.profile, ticket.kind, ticket.received, urgency, policy=self.policy)
        if ticket.received_note:
            deadlines = _with_note(deadlines, ticket.received_note)
        common = dict(channel=CHANNEL, category=category, urgency=urgency, kind=ticket.kind,
                      description=ticket.text, estate=target.estate_id, estate_text=estate_mention,
                      building=building, unit=unit, room=room, phone=ticket.phone,
                      external_id=ticket.external_id, secondary=parsed.get("secondary") or (),
                      profile=self.profile, deadlines=deadlines, received=ticket.received, actor=ACTOR)

        repeat = self._repeat(session, target.estate_id, building, category, urgency, ticket.received)
        if repeat is not None:
            # The ticket keeps a record (its external id must stay idempotent), folded at once
            # into the open order that already handles the same facts.
            record = orders.create_order(session, route_reason=LINK_REASON.format(number=repeat.number),
                                         route_item_id=target.item_id, **common)
            orders.merge(session, record, repeat, actor=ACTOR)
            return self.describe(record, "linked", ticket.ident)

        try:
            order = orders.create_order(session, assignee=target.org_id, assignee_level=target.level,
                                        route_reason=target.reason, route_item_id=target.item_id, **common)
        except orders.DuplicateExternalId as exc:  # another writer got there first (PostgreSQL)
            return self.describe(exc.existing, "existing", ticket.ident)
        out = self.describe(order, "created", ticket.ident)
        out["route"] = target.as_dict()  # org_type as decided (for the queue: the item's type)
        return out

    def _estate(self, ticket: Ticket, entities: list[dict]) -> tuple[str | None, str | None]:
        """(what the caller said, the registry name to route with)."""
        mention = (ticket.estate or "").strip() or _entity(entities, "estate")
        if mention:
            estate, _score, _how = self.registry.match_estate(mention)
            return mention, estate.name if estate else mention
        # No estate named: accept only a registry name written out in the text (no fuzzy
        # guessing over free text, where 阳光花店 would pass for 阳光花园).
        estate, _score, _how = self.registry.match_estate(ticket.text, fuzzy=False)
        return None, estate.name if estate else None

    @staticmethod
    def _address_part(ticket: Ticket, entities: list[dict], name: str) -> str | None:
        value = _entity(entities, name)
        if value is None and ticket.estate and name == "building":
            # "阳光花园小区3号楼" given as the estate field: its building counts for repeats.
            found = _BUILDING.search(normalize(ticket.estate))
            value = normalize_value("building", found.group(1)) if found else None
        return value

    def _repeat(self, session, estate_id, building, category, urgency, received) -> WorkOrder | None:
        repeat = orders.find_open_repeat(session, estate_id=estate_id, building=building, category=category,
                                         window=self.rules.repeat_window, now=received)
        # An emergency is never folded into a routine order: it must reach someone now.
        if repeat is not None and urgency == "emergency" and repeat.urgency != "emergency":
            return None
        return repeat

    # ------------------------------------------------------------------ output

    def describe(self, order: WorkOrder, status: str, ident: object) -> dict:
        """The output line for a stored order; a merged record shows the order handling it."""
        handling = order
        if order.status == "merged" and order.linked_order_id is not None:
            handling = session_get(order, order.linked_order_id)
        out = {
            "id": ident,
            "external_id": order.external_id,
            "order_number": handling.number,
            "category": order.category,
            "secondary": list(order.secondary or []),
            "urgency": order.urgency,
            "route": self._route_of(handling),
            "due": {name: _iso(getattr(handling, f"due_{name}")) for name in DUE_NAMES},
            "calendar": {"source": handling.calendar_source, "note": handling.calendar_note},
            "status": status,
        }
        if handling is not order:
            out["record_number"] = order.number
        return out

    def _route_of(self, order: WorkOrder) -> dict:
        org = self.registry.org(order.assignee_org_id) if self.registry else None
        item = self.kb.by_id.get(order.route_item_id or "")
        if org is not None and order.assignee_level != QUEUE_LEVEL:
            org_type = org.type
        else:
            org_type = item.responsible[0] if item else (org.type if org else None)
        return {"org": org.name if org else None, "org_type": org_type, "level": order.assignee_level,
                "reason": order.route_reason, "item_id": order.route_item_id}


def session_get(order: WorkOrder, order_id: int) -> WorkOrder:
    from sqlalchemy.orm import object_session

    return object_session(order).get(WorkOrder, order_id)


def _with_note(deadlines: Deadlines, note: str) -> Deadlines:
    from dataclasses import replace

    return replace(deadlines, calendar_note=" ".join(filter(None, [note, deadlines.calendar_note])))
