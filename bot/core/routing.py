"""Who handles a report: the knowledge-base item decides, the registry supplies the organisation.

1. bot/policy/routing.yml picks the ITEM (sub-topic rule, else retrieval, else category default).
2. The item's responsible[0] org type and its route in bot/knowledge/org_types.yml pick the
   ORGANISATION: `estate` types come from the estate's own links (a property company at
   project level, or company level for emergencies), `registry` types are city-wide.
3. Whatever is missing (no estate, unknown estate, no such organisation) sends the order to
   the hotline queue with a reason, never an exception.
No organisation type is written here per category: change the item, and routing follows.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.core.categories import CATEGORY_IDS
from bot.core.estate_match import best_match
from bot.core.routing_rules import RoutingRules, default_rules
from bot.knowledge.kb import Item, KnowledgeBase, default_kb, org_types
from bot.nlu.normalize import normalize

HOTLINE_TYPE = "hotline"
QUEUE_LEVEL = "hotline_queue"
URGENCIES = ("normal", "emergency")


@dataclass(frozen=True)
class Route:
    org_id: int | None
    org_name: str | None
    org_type: str
    level: str  # project | area | company | estate | city | hotline_queue
    reason: str  # one Chinese sentence naming the list item
    item_id: str
    estate_id: int | None = None  # the matched estate, if any (for the order and repeats)
    estate_name: str | None = None
    decided_by: str = "default"  # rule | retrieval | default

    def as_dict(self) -> dict:
        return {"org": self.org_name, "org_type": self.org_type, "level": self.level,
                "reason": self.reason, "item_id": self.item_id}


class Registry:
    """Estates and organisations read once (a batch run must not re-read them per ticket)."""

    def __init__(self, estates, organisations) -> None:
        self.estates = list(estates)
        self.orgs = {o.id: o for o in organisations}
        self._by_type: dict[str, list] = {}
        for org in sorted(self.orgs.values(), key=lambda o: o.id):
            self._by_type.setdefault(org.type, []).append(org)
        self._matches: dict[str, tuple] = {}

    @classmethod
    def load(cls, session) -> "Registry":
        from sqlalchemy import select

        from bot.store.models import Estate, Organisation

        return cls(session.execute(select(Estate).order_by(Estate.id)).scalars(),
                   session.execute(select(Organisation).order_by(Organisation.id)).scalars())

    def match_estate(self, text: str, *, fuzzy: bool = True) -> tuple[object | None, float, str]:
        if not fuzzy:  # free text: rarely repeats, not worth caching
            return best_match(text, self.estates, fuzzy=False)
        if text not in self._matches:
            self._matches[text] = best_match(text, self.estates)
        return self._matches[text]

    def org(self, org_id: int | None):
        return self.orgs.get(org_id) if org_id is not None else None

    def city_org(self, org_type: str):
        """The registry's organisation of a type (the first registered, for determinism)."""
        found = self._by_type.get(org_type)
        return found[0] if found else None

    def company_of(self, org):
        """Walk parent_id up to the top of a property company (project -> area -> company)."""
        seen = set()
        while org.parent_id is not None and org.parent_id in self.orgs and org.id not in seen:
            seen.add(org.id)
            org = self.orgs[org.parent_id]
        return org


def decide_item(category: str, text: str, kb: KnowledgeBase, rules: RoutingRules) -> tuple[Item, str]:
    """(item, how) for a report: how is 'rule', 'retrieval' or 'default'."""
    if category not in CATEGORY_IDS:
        raise ValueError(f"未知的类别 / unknown category {category!r}; known: {', '.join(CATEGORY_IDS)}")
    cat = rules.categories[category]
    norm = normalize(text or "")
    for rule in cat.rules:
        if rule.applies(norm):
            return _item(kb, rules, rule.item), "rule"
    # The best BM25 hit among the dispatching lists (min_score is on BM25's scale); a weak
    # one is worse than the default.
    hits = [(item, score) for item, score in kb.bm25(text or "", categories=(category,))
            if item.list in rules.retrieval_lists]
    if hits and hits[0][1] >= rules.min_score:
        return hits[0][0], "retrieval"
    return _item(kb, rules, cat.default), "default"


def _item(kb: KnowledgeBase, rules: RoutingRules, item_id: str) -> Item:
    item = kb.by_id.get(item_id)
    if item is None:
        raise ValueError(f"路由规则无效 / invalid routing rules {rules.path}: "
                         f"item {item_id} is not in the knowledge base")
    return item


def route(session, *, category: str, text: str, estate_name: str | None = None,
          urgency: str = "normal", kb: KnowledgeBase | None = None,
          rules: RoutingRules | None = None, registry: Registry | None = None) -> Route:
    """Route one report; `registry` (from Registry.load) saves re-reading the registry."""
    if urgency not in URGENCIES:
        raise ValueError(f"未知的紧急程度 / unknown urgency {urgency!r}; known: {', '.join(URGENCIES)}")
    kb = kb if kb is not None else default_kb()
    rules = rules if rules is not None else default_rules()
    registry = registry if registry is not None else Registry.load(session)

    item, how = decide_item(category, text, kb, rules)
    org_type = item.responsible[0]
    info = org_types()[org_type]
    type_name = info["name"]
    basis = f"依据{item.ref}「{item.title}」,由{type_name}负责"

    estate = None
    if estate_name and estate_name.strip():
        estate, _score, _how = registry.match_estate(estate_name.strip())

    def made(org, level: str, note: str = "") -> Route:
        return Route(org.id, org.name, org_type, level, basis + note, item.id,
                     estate.id if estate else None, estate.name if estate else None, how)

    def queue(why: str) -> Route:
        hotline = registry.city_org(HOTLINE_TYPE)
        where = f"转{hotline.name}人工派单" if hotline else "且登记表中没有12345热线工单池,待人工派单"
        return Route(hotline.id if hotline else None, hotline.name if hotline else None, org_type,
                     QUEUE_LEVEL, f"{basis},但{why},{where}", item.id,
                     estate.id if estate else None, estate.name if estate else None, how)

    field = rules.estate_orgs.get(org_type) if info.get("route") == "estate" else None
    if field is None:  # city-wide, or an estate type the estate does not link (lift maintenance)
        org = registry.city_org(org_type)
        if org is None:
            return queue(f"登记表中没有{type_name}")
        return made(org, QUEUE_LEVEL if org_type == HOTLINE_TYPE else "city")

    if not (estate_name and estate_name.strip()):
        return queue("未提供小区名称")
    if estate is None:
        return queue(f"小区「{estate_name.strip()}」未在登记表中找到")
    org = registry.org(getattr(estate, f"{field}_id"))
    if org is None:
        return queue(f"小区「{estate.name}」未登记{type_name}")
    if org_type == "property_company" and urgency == "emergency":
        # Emergencies open at the top level (three-level handling: project -> area -> company).
        org = registry.company_of(org)
        return made(org, org.level or "company", ",紧急工单直接派至公司层级")
    return made(org, org.level or "estate")
