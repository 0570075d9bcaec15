"""Routing against a real SQLite database holding the demo registry."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.core.estate_match import match_estate
from bot.core.routing import Registry, route
from bot.core.routing_rules import DEFAULT_PATH, load_rules
from bot.knowledge.kb import KB_DIR, KnowledgeBase, default_kb

LIFT_REPAIR = "3号楼电梯坏了两天了没人修"
LIFT_TRAPPED = "电梯困人了,我妈被困在里面"


def test_lift_repair_goes_to_the_estate_project(seeded):
    r = route(seeded, category="elevator", text=LIFT_REPAIR, estate_name="阳光花园")
    assert (r.org_name, r.org_type, r.level) == ("安居物业阳光花园项目部", "property_company", "project")
    assert r.item_id == "PS-5.5" and r.estate_name == "阳光花园"
    assert r.reason == "依据物业服务清单 5.5「电梯故障停运维修与公告」,由物业服务企业负责"


def test_lift_emergency_goes_to_the_company(seeded):
    r = route(seeded, category="elevator", text=LIFT_TRAPPED, estate_name="泉城名郡", urgency="emergency")
    assert (r.org_name, r.level, r.item_id) == ("泉城龙腾物业管理有限公司", "company", "PS-5.4")
    assert "电梯困人应急救援" in r.reason and "公司层级" in r.reason


def test_the_same_text_without_emergency_stays_at_project_level(seeded):
    r = route(seeded, category="elevator", text=LIFT_TRAPPED, estate_name="泉城名郡")
    assert (r.org_name, r.level) == ("龙腾物业泉城名郡项目部", "project")


@pytest.mark.parametrize("category, text, org_type, org_name, item_id", [
    ("other", "暖气不热,屋里才15度", "heat_company", "济南能源集团热力公司", "DD-40"),
    ("other", "楼上邻居半夜蹦迪,噪音太大", "police", "济南市公安局泉新派出所", "DD-24"),
    ("other", "有人在楼顶私搭乱建彩钢房", "urban_management", "济南市城市管理综合执法局", "DD-11"),
    ("facility_maintenance", "整个小区都停水了", "water_company", "济南水务集团供水服务中心", "DD-35"),
    ("parking", "消防通道被私家车堵死了", "fire_rescue", "济南市消防救援支队", "DD-20"),
])
def test_sub_topic_rules_reach_city_wide_organisations(seeded, category, text, org_type, org_name, item_id):
    r = route(seeded, category=category, text=text, estate_name="阳光花园")
    assert (r.org_type, r.org_name, r.level, r.item_id, r.decided_by) == (org_type, org_name, "city", item_id, "rule")
    assert r.reason.startswith("依据政府职能部门职责清单 " + item_id)


def test_other_without_a_rule_goes_to_the_estate_grid_worker(seeded):
    r = route(seeded, category="other", text="请问最近的银行在哪里", estate_name="翠湖苑")
    assert (r.item_id, r.org_type, r.org_name, r.level) == ("DD-51", "grid_worker", "翠湖苑网格员", "estate")


@pytest.mark.parametrize("estate_name, why", [
    ("星河湾", "小区「星河湾」未在登记表中找到"),
    (None, "未提供小区名称"),
    ("", "未提供小区名称"),
])
def test_unknown_or_missing_estate_goes_to_the_hotline_queue(seeded, estate_name, why):
    r = route(seeded, category="elevator", text=LIFT_REPAIR, estate_name=estate_name)
    assert (r.org_name, r.level, r.org_type) == ("12345热线工单池", "hotline_queue", "property_company")
    assert why in r.reason and "转12345热线工单池人工派单" in r.reason and r.reason.startswith("依据物业服务清单")


def test_estate_without_that_organisation_goes_to_the_hotline_queue(seeded, tmp_path):
    # Rules naming an owners'-committee item; 幸福里小区 has no committee in the registry.
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["categories"]["service_quality"] = {"default": "OC-04", "rules": [{"match": ["业委会"], "item": "OC-04"}]}
    path = tmp_path / "routing.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rules = load_rules(path)
    r = route(seeded, category="service_quality", text="想找业委会反映问题", estate_name="幸福里", rules=rules)
    assert r.level == "hotline_queue" and "小区「幸福里小区」未登记业主委员会" in r.reason
    r = route(seeded, category="service_quality", text="想找业委会反映问题", estate_name="阳光花园", rules=rules)
    assert (r.org_name, r.org_type, r.level) == ("阳光花园业主委员会", "owners_committee", "estate")


def test_registry_without_a_hotline_org_still_routes(seeded):
    registry = Registry.load(seeded)
    registry._by_type.pop("hotline")
    r = route(seeded, category="elevator", text=LIFT_REPAIR, estate_name="星河湾", registry=registry)
    assert r.org_id is None and r.level == "hotline_queue" and "待人工派单" in r.reason


@pytest.mark.parametrize("mention, expected", [
    ("阳光花园", "阳光花园"),
    ("阳光花园小区3号楼", "阳光花园"),       # alias plus the address tail
    ("阳光小区", "阳光花园"),                # alias
    ("阳光花圆", "阳光花园"),                # typo
    ("阳光花圆小区3号楼", "阳光花园"),
    ("泉城名群", "泉城名郡"),
    ("龙湖春江丽城", "龙湖春江郦城"),
    ("和谐佳园", "和谐家园"),
    ("历下区阳光花园", "阳光花园"),          # district prefix
    ("名郡", "泉城名郡"),
    ("翠湖", "翠湖苑"),
    ("星河湾", None),
    ("阳光城", None),                         # a different estate sharing two characters
    ("翠湖公园", None),
    ("", None),
])
def test_match_estate(seeded, mention, expected):
    estate, score = match_estate(seeded, mention)
    assert (estate.name if estate else None) == expected
    if expected:
        assert score >= 0.75
    else:
        assert score < 0.75


def test_fuzzy_estate_routes_like_the_exact_name(seeded):
    for mention in ("阳光花园小区3号楼", "阳光花圆"):
        r = route(seeded, category="elevator", text=LIFT_REPAIR, estate_name=mention)
        assert (r.org_name, r.estate_name) == ("安居物业阳光花园项目部", "阳光花园")


def test_unknown_category_and_urgency_are_refused(seeded):
    with pytest.raises(ValueError, match="unknown category"):
        route(seeded, category="weather", text="下雨了")
    with pytest.raises(ValueError, match="unknown urgency"):
        route(seeded, category="elevator", text=LIFT_REPAIR, urgency="high")


# ---------------------------------------------------------------- one source of truth


def _kb_with(tmp_path: Path, item_id: str, responsible: list[str]) -> KnowledgeBase:
    """The knowledge base from a copy of bot/knowledge where one item's `responsible` changed."""
    copy = tmp_path / "knowledge"
    shutil.copytree(KB_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    for path in copy.glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in (data or {}).get("items") or []:
            if item.get("id") == item_id:
                item["responsible"] = responsible
                path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
                return KnowledgeBase.load(copy)
    raise AssertionError(f"{item_id} not found")


@pytest.mark.parametrize("category, text, estate", [
    ("elevator", LIFT_REPAIR, "阳光花园"),             # item chosen by retrieval
    ("other", "暖气不热,屋里才15度", "阳光花园"),         # item chosen by a sub-topic rule
])
def test_changing_the_item_changes_the_route(seeded, tmp_path, category, text, estate):
    before = route(seeded, category=category, text=text, estate_name=estate)
    assert before.org_type != "urban_management"

    kb = _kb_with(tmp_path, before.item_id, ["urban_management", "property_company"])
    after = route(seeded, category=category, text=text, estate_name=estate, kb=kb)

    assert after.item_id == before.item_id
    assert (after.org_type, after.org_name, after.level) == ("urban_management", "济南市城市管理综合执法局", "city")
    assert "由城市管理综合执法部门负责" in after.reason
    # and the default knowledge base is untouched
    assert route(seeded, category=category, text=text, estate_name=estate, kb=default_kb()) == before


# ---------------------------------------------------------------- the rules file


@pytest.mark.parametrize("change, field", [
    (lambda d: d["categories"]["elevator"].update(default="PS-99.9"), "PS-99.9"),
    (lambda d: d["categories"]["elevator"].pop("default"), "categories.elevator.default"),
    (lambda d: d["categories"].pop("parking"), "categories.parking"),
    (lambda d: d["categories"]["other"]["rules"][0].update(match="暖气"), "categories.other.rules[0].match"),
    (lambda d: d["categories"]["other"]["rules"][0].update(colour="red"), "categories.other.rules[0].colour"),
    (lambda d: d.update(repeat_window_hours=0), "repeat_window_hours"),
    (lambda d: d["retrieval"].update(lists=["gossip"]), "retrieval.lists"),
    (lambda d: d["estate_orgs"].pop("grid_worker"), "estate_orgs.grid_worker"),
    (lambda d: d["estate_orgs"].update(police="community"), "estate_orgs.police"),
])
def test_invalid_rules_name_file_and_field(tmp_path, change, field):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "routing.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_rules(path)
    assert str(path) in str(info.value) and field in str(info.value)


def test_the_shipped_rules_load():
    rules = load_rules()
    assert rules.repeat_window.total_seconds() == 72 * 3600
    assert set(rules.categories) >= {"elevator", "other"}
