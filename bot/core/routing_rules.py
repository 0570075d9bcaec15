"""Routing rules (bot/policy/routing.yml): loading and validation.

The rules name knowledge-base items, never organisation types: the item's `responsible`
decides the assignee (bot/core/routing.py).
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.categories import CATEGORY_IDS
from bot.nlu.normalize import normalize
from bot.core.yamlcheck import YamlChecker

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "policy" / "routing.yml"
ESTATE_FIELDS = ("property_project", "owners_committee", "grid_worker", "community", "street_office")
KB_LISTS = ("property_service", "department_duty", "committee_duty", "law_fact")


@dataclass(frozen=True)
class Rule:
    match: tuple[str, ...]  # normalised words; any one must occur
    also: tuple[str, ...]  # if given, one of these must occur too (YAML key `and`)
    exclude: tuple[str, ...]  # none of these may occur (YAML key `not`)
    item: str

    def applies(self, norm_text: str) -> bool:
        return (any(w in norm_text for w in self.match)
                and (not self.also or any(w in norm_text for w in self.also))
                and not any(w in norm_text for w in self.exclude))


@dataclass(frozen=True)
class CategoryRules:
    default: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class RoutingRules:
    path: Path
    repeat_window: dt.timedelta
    retrieval_lists: tuple[str, ...]
    min_score: float
    estate_orgs: dict  # org type -> estate field name, or None (use the registry)
    categories: dict  # category id -> CategoryRules

    def item_ids(self) -> set[str]:
        ids = set()
        for cat in self.categories.values():
            ids.add(cat.default)
            ids.update(r.item for r in cat.rules)
        return ids


class _Loader(YamlChecker):
    LABEL = "路由规则无效 / invalid routing rules"

    def words(self, value, where: str, *, optional: bool = False) -> tuple[str, ...]:
        if value is None and optional:
            return ()
        if not isinstance(value, list) or not value:
            raise self.error(where, "expected a non-empty list of words")
        if not all(isinstance(w, str) and w.strip() for w in value):
            raise self.error(where, f"every word must be a non-empty string, got {value!r}")
        return tuple(normalize(w.strip()) for w in value)

    def item(self, value, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(where, f"expected a knowledge-base item id, got {value!r}")
        return value.strip()

    def load(self) -> RoutingRules:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise self.error("(file)", f"cannot read YAML: {exc}") from exc
        data = self.mapping(data, "(top level)",
                            ("repeat_window_hours", "retrieval", "estate_orgs", "categories"),
                            ("repeat_window_hours", "retrieval", "estate_orgs", "categories"))
        hours = data["repeat_window_hours"]
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
            raise self.error("repeat_window_hours", f"expected a number > 0, got {hours!r}")

        retrieval = self.mapping(data["retrieval"], "retrieval", ("lists", "min_score"), ("lists", "min_score"))
        lists = retrieval["lists"]
        if not isinstance(lists, list) or not lists or any(x not in KB_LISTS for x in lists):
            raise self.error("retrieval.lists", f"expected a non-empty list of {', '.join(KB_LISTS)}, got {lists!r}")
        min_score = retrieval["min_score"]
        if isinstance(min_score, bool) or not isinstance(min_score, (int, float)) or min_score < 0:
            raise self.error("retrieval.min_score", f"expected a number >= 0, got {min_score!r}")

        estate_orgs = self.estate_orgs(data["estate_orgs"])

        categories = self.mapping(data["categories"], "categories", CATEGORY_IDS, CATEGORY_IDS)
        parsed = {}
        for cat_id in CATEGORY_IDS:
            where = f"categories.{cat_id}"
            raw = self.mapping(categories[cat_id], where, ("default", "rules"), ("default",))
            rules = []
            raw_rules = raw.get("rules") or []
            if not isinstance(raw_rules, list):
                raise self.error(f"{where}.rules", "expected a list")
            for n, raw_rule in enumerate(raw_rules):
                rw = f"{where}.rules[{n}]"
                raw_rule = self.mapping(raw_rule, rw, ("match", "and", "not", "item"), ("match", "item"))
                rules.append(Rule(self.words(raw_rule["match"], f"{rw}.match"),
                                  self.words(raw_rule.get("and"), f"{rw}.and", optional=True),
                                  self.words(raw_rule.get("not"), f"{rw}.not", optional=True),
                                  self.item(raw_rule["item"], f"{rw}.item")))
            parsed[cat_id] = CategoryRules(self.item(raw["default"], f"{where}.default"), tuple(rules))
        return RoutingRules(self.path, dt.timedelta(hours=hours), tuple(lists), float(min_score),
                            estate_orgs, parsed)

    def estate_orgs(self, value) -> dict:
        from bot.knowledge.kb import org_types

        types = org_types()
        raw = self.mapping(value, "estate_orgs", tuple(types))
        for type_id, info in types.items():
            if info.get("route") == "estate" and type_id not in raw:
                raise self.error(f"estate_orgs.{type_id}", "missing: org_types.yml routes this type via the estate")
        for type_id, field in raw.items():
            if types[type_id].get("route") != "estate":
                raise self.error(f"estate_orgs.{type_id}", "org_types.yml does not route this type via the estate")
            if field is not None and field not in ESTATE_FIELDS:
                raise self.error(f"estate_orgs.{type_id}", f"expected null or one of {', '.join(ESTATE_FIELDS)}, got {field!r}")
        return dict(raw)


def check_items(rules: RoutingRules, kb) -> None:
    """Every item the rules name must exist in `kb` (ValueError naming the file otherwise)."""
    missing = sorted(i for i in rules.item_ids() if i not in kb.by_id)
    if missing:
        raise ValueError(f"路由规则无效 / invalid routing rules {rules.path}: "
                         f"unknown knowledge-base item(s) {', '.join(missing)}")


def load_rules(path: str | Path | None = None, kb=None) -> RoutingRules:
    """Load and validate routing.yml; item ids are checked against `kb` (default: the default KB)."""
    from bot.knowledge.kb import default_kb

    rules = _Loader(Path(path) if path is not None else DEFAULT_PATH).load()
    check_items(rules, kb if kb is not None else default_kb())
    return rules


@functools.lru_cache(maxsize=1)
def default_rules() -> RoutingRules:
    return load_rules()
