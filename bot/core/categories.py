"""The category table (bot/policy/categories.yml), loaded and validated once."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA_FILE = Path(__file__).resolve().parents[1] / "policy" / "categories.yml"
CATEGORY_IDS = (
    "parking", "service_quality", "elevator", "facility_maintenance", "access_control",
    "property_fee", "road_repair", "corridor_clutter", "cleaning_greening", "flood_snow", "other",
)


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    short: str


@functools.lru_cache(maxsize=1)
def load_categories(path: str = str(DATA_FILE)) -> dict[str, Category]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    raw = data.get("categories") or {}
    if tuple(raw) != CATEGORY_IDS:
        raise ValueError(f"{path}: categories must be exactly {CATEGORY_IDS}, got {tuple(raw)}")
    result = {}
    for cid, item in raw.items():
        if not item.get("name") or not item.get("short"):
            raise ValueError(f"{path}: category {cid} needs name and short")
        result[cid] = Category(cid, item["name"], item["short"])
    return result


def is_category(name: str | None) -> bool:
    return name in CATEGORY_IDS
