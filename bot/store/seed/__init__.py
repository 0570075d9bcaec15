"""The demo registry (demo_registry.yml): organisations and estates for development and demos.

read_registry() validates the file; load_demo_registry() writes it idempotently, matching
organisations by (type, name) and estates by name, so running it twice changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.phone import normalise_phone
from bot.store.models import Estate, Organisation, org_types
from bot.core.yamlcheck import YamlChecker

DEFAULT_PATH = Path(__file__).resolve().parent / "demo_registry.yml"
ESTATE_REFS = {  # estate field -> (organisation type, required)
    "owners_committee": ("owners_committee", False),
    "grid_worker": ("grid_worker", True),
    "community": ("community", True),
    "street_office": ("street_office", True),
}


@dataclass(frozen=True)
class OrgSpec:
    type: str
    name: str
    level: str | None = None
    parent: str | None = None  # name of the parent property organisation
    phone: str | None = None
    contact_name: str | None = None


@dataclass(frozen=True)
class EstateSpec:
    name: str
    aliases: tuple[str, ...]
    district: str | None
    address: str | None
    property_project: str
    refs: dict = field(default_factory=dict)  # field -> organisation name or None


@dataclass(frozen=True)
class Registry:
    organisations: tuple[OrgSpec, ...]  # parents before children
    estates: tuple[EstateSpec, ...]


class _Reader(YamlChecker):
    LABEL = "演示登记表无效 / invalid registry"

    def mapping(self, value, where: str, allowed: tuple, required: tuple = ("name",)) -> dict:
        return super().mapping(value, where, allowed, required)

    def items(self, value, where: str) -> list:
        if not isinstance(value, list) or not value:
            raise self.error(where, "expected a non-empty list")
        return value

    def text(self, value, where: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(where, f"expected a non-empty string, got {value!r}")
        return value.strip()

    def phone(self, value, where: str) -> str | None:
        if value is None:
            return None
        number = normalise_phone(str(value))
        if number is None:
            raise self.error(where, f"not a mainland phone number: {value!r}")
        return number

    def org(self, raw: dict, where: str, type_: str, level=None, parent=None) -> OrgSpec:
        return OrgSpec(type_, self.text(raw["name"], f"{where}.name"), level, parent,
                       self.phone(raw.get("phone"), f"{where}.phone"),
                       self.text(raw.get("contact_name"), f"{where}.contact_name", optional=True))

    def read(self) -> Registry:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise self.error("(file)", f"cannot read YAML: {exc}") from exc
        data = self.mapping(data, "(top level)", ("property_companies", "organisations", "estates"),
                            ("property_companies", "organisations", "estates"))
        orgs: list[OrgSpec] = []
        fields = ("name", "phone", "contact_name")
        for i, company in enumerate(self.items(data["property_companies"], "property_companies")):
            where = f"property_companies[{i}]"
            company = self.mapping(company, where, fields + ("areas",))
            company_spec = self.org(company, where, "property_company", "company")
            orgs.append(company_spec)
            for j, area in enumerate(self.items(company.get("areas"), f"{where}.areas")):
                area_where = f"{where}.areas[{j}]"
                area = self.mapping(area, area_where, fields + ("projects",))
                area_spec = self.org(area, area_where, "property_company", "area", company_spec.name)
                orgs.append(area_spec)
                for k, project in enumerate(self.items(area.get("projects"), f"{area_where}.projects")):
                    project_where = f"{area_where}.projects[{k}]"
                    project = self.mapping(project, project_where, fields)
                    orgs.append(self.org(project, project_where, "property_company", "project", area_spec.name))

        known_types = org_types()
        for i, raw in enumerate(self.items(data["organisations"], "organisations")):
            where = f"organisations[{i}]"
            raw = self.mapping(raw, where, ("type",) + fields, ("type", "name"))
            if raw["type"] not in known_types:
                raise self.error(f"{where}.type", f"unknown organisation type {raw['type']!r}")
            if raw["type"] == "property_company":
                raise self.error(f"{where}.type", "property companies belong under property_companies")
            orgs.append(self.org(raw, where, raw["type"]))

        seen = set()
        for spec in orgs:
            if (spec.type, spec.name) in seen:
                raise self.error("organisations", f"{spec.type} {spec.name!r} is listed twice")
            seen.add((spec.type, spec.name))
        missing = sorted(t for t, info in known_types.items()
                         if info.get("route") == "registry" and not any(o.type == t for o in orgs))
        if missing:
            raise self.error("organisations", f"no organisation of registry type(s): {', '.join(missing)}")

        return Registry(tuple(orgs), tuple(self.estates(data["estates"], orgs)))

    def estates(self, raw_estates, orgs: list[OrgSpec]) -> list[EstateSpec]:
        projects = {o.name for o in orgs if o.level == "project"}
        estates, names = [], {}
        for i, raw in enumerate(self.items(raw_estates, "estates")):
            where = f"estates[{i}]"
            raw = self.mapping(raw, where, ("name", "aliases", "district", "address", "property_project",
                                            *ESTATE_REFS), ("name", "property_project"))
            name = self.text(raw["name"], f"{where}.name")
            aliases = raw.get("aliases") or []
            if not isinstance(aliases, list):
                raise self.error(f"{where}.aliases", "expected a list")
            aliases = tuple(self.text(a, f"{where}.aliases") for a in aliases)
            for label in (name,) + aliases:  # a name or alias must lead to one estate only
                if names.get(label, name) != name:
                    raise self.error(where, f"{label!r} already names estate {names[label]!r}")
                names[label] = name
            project = self.text(raw["property_project"], f"{where}.property_project")
            if project not in projects:
                raise self.error(f"{where}.property_project", f"{project!r} is not a property project")
            refs = {}
            for key, (type_, required) in ESTATE_REFS.items():
                ref = self.text(raw.get(key), f"{where}.{key}", optional=not required)
                if ref is not None and not any(o.type == type_ and o.name == ref for o in orgs):
                    raise self.error(f"{where}.{key}", f"no {type_} named {ref!r} in organisations")
                refs[key] = ref
            estates.append(EstateSpec(name, aliases, self.text(raw.get("district"), f"{where}.district", optional=True),
                                      self.text(raw.get("address"), f"{where}.address", optional=True), project, refs))
        return estates


def read_registry(path: str | Path | None = None) -> Registry:
    """Read and validate the registry file; ValueError names the file and the field."""
    return _Reader(Path(path) if path is not None else DEFAULT_PATH).read()


def _upsert(session: Session, model, key: dict, values: dict, counts: dict):
    row = session.execute(select(model).filter_by(**key)).scalar_one_or_none()
    if row is None:
        row = model(**key, **values)
        session.add(row)
        session.flush()
        counts["created"] += 1
        return row
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    for k, v in changed.items():
        setattr(row, k, v)
    counts["updated" if changed else "unchanged"] += 1
    session.flush()
    return row


def load_demo_registry(session: Session, path: str | Path | None = None) -> dict:
    """Write the registry into the database; returns created/updated/unchanged counts."""
    registry = read_registry(path)
    summary = {"organisations": dict.fromkeys(("created", "updated", "unchanged"), 0),
               "estates": dict.fromkeys(("created", "updated", "unchanged"), 0)}
    ids: dict[tuple[str, str], int] = {}
    for spec in registry.organisations:  # parents come first (company, area, project)
        parent_id = ids[("property_company", spec.parent)] if spec.parent else None
        row = _upsert(session, Organisation, {"type": spec.type, "name": spec.name},
                      {"level": spec.level, "parent_id": parent_id, "phone": spec.phone,
                       "contact_name": spec.contact_name}, summary["organisations"])
        ids[(spec.type, spec.name)] = row.id
    for spec in registry.estates:
        values = {"aliases": list(spec.aliases), "district": spec.district, "address": spec.address,
                  "property_project_id": ids[("property_company", spec.property_project)]}
        for key, (type_, _required) in ESTATE_REFS.items():
            ref = spec.refs.get(key)
            values[f"{key}_id"] = ids[(type_, ref)] if ref else None
        _upsert(session, Estate, {"name": spec.name}, values, summary["estates"])
    return summary
