"""A scenario as a set of changes: what differs between a design as it was copied (its base)
and a design now, object by object, in words. Pure: both designs come in as `DesignRows`
(orgdesign/scenarios/base.py reads them), keyed by the ids of the origin, so the copy's own
ids never show; an object the scenario added is keyed `new<id>`.

Each change is one field of one object ("Dana Kim: manager Priya Shah → Amara Okafor"), or an
object added or removed; its `key` names it the same way in every list (the API's changes,
its conflicts, a merge's subset): `<type>:<id>:<field>`, or `<type>:<id>` for an object
added or removed. Memberships are keyed by person and team (`membership:<person>-<team>`),
engagements (cells) by pipeline and team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Each kind of object, the fields a change lists in the order they are read, and what a
# field that names another object points at.
FIELDS = {
    "person": ["name", "manager", "title", "role", "worker_type", "level", "department",
               "email", "external_id", "active"],
    "team": ["name", "kind", "lead", "kpi", "kpi_type", "external_id"],
    "pipeline": ["name", "pm_owner", "lifecycle", "tier", "metric", "required_stages"],
    "membership": ["allocation"],
    "engagement": ["role", "effort"],
    "position": ["title", "team", "pipeline", "role", "level", "fte", "status", "person",
                 "target_date"],
}
REFERENCES = {"manager": "person", "lead": "person", "pm_owner": "person", "person": "person",
              "team": "team", "pipeline": "pipeline"}
LABELS = {"pm_owner": "PM", "kpi": "KPI", "kpi_type": "KPI type", "fte": "FTE",
          "worker_type": "worker type", "external_id": "external id",
          "required_stages": "required stages", "target_date": "target date"}
TABLES = {"person": "people", "team": "teams", "pipeline": "pipelines",
          "membership": "memberships", "engagement": "engagements", "position": "positions"}


@dataclass
class DesignRows:
    """A design's objects as plain values, keyed by id (as strings, as JSON keeps them):
    `people`, `teams`, `pipelines`, `positions` by their id; `memberships` by
    "<person>-<team>", `engagements` by "<pipeline>-<team>"."""

    people: dict[str, dict] = field(default_factory=dict)
    teams: dict[str, dict] = field(default_factory=dict)
    pipelines: dict[str, dict] = field(default_factory=dict)
    memberships: dict[str, dict] = field(default_factory=dict)
    engagements: dict[str, dict] = field(default_factory=dict)
    positions: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in TABLES.values()}

    @classmethod
    def from_dict(cls, data: dict) -> DesignRows:
        return cls(**{name: data.get(name, {}) for name in TABLES.values()})

    def table(self, kind: str) -> dict[str, dict]:
        return getattr(self, TABLES[kind])


@dataclass(frozen=True)
class DesignChange:
    key: str
    type: str  # person, team, pipeline, membership, engagement, position
    id: str
    name: str
    field: str | None  # None: the object was added or removed
    action: str  # added, removed, changed
    before: Any
    after: Any
    words: str

    def as_dict(self) -> dict:
        return {"key": self.key, "object": {"type": self.type, "id": self.id, "name": self.name},
                "field": self.field, "action": self.action, "before": self.before,
                "after": self.after, "words": self.words}


def _name_of(rows: DesignRows, kind: str, key: str | None) -> str:
    if key is None or key == "":
        return "nobody" if kind == "person" else "none"
    row = rows.table(kind).get(str(key))
    if row is None:
        return f"{kind} {key}"
    return str(row.get("name") or row.get("title") or key)


def object_name(rows: DesignRows, kind: str, key: str) -> str:
    row = rows.table(kind).get(key) or {}
    if kind == "membership":
        person, team = key.split("-", 1)
        return f"{_name_of(rows, 'person', person)} in {_name_of(rows, 'team', team)}"
    if kind == "engagement":
        pipeline, team = key.split("-", 1)
        return f"{_name_of(rows, 'pipeline', pipeline)} × {_name_of(rows, 'team', team)}"
    if kind == "position":
        return f"position {row.get('title', key)!s}"
    return str(row.get("name", key))


def _shown(value: Any, field_name: str, rows: DesignRows) -> str:
    if field_name in REFERENCES:
        return _name_of(rows, REFERENCES[field_name], value)
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def changes_between(base: DesignRows, now: DesignRows) -> list[DesignChange]:
    """Every change from `base` to `now`, kind by kind, then object by object in the order
    of their keys, then field by field in FIELDS' order."""
    changes: list[DesignChange] = []
    for kind, fields in FIELDS.items():
        before_rows, after_rows = base.table(kind), now.table(kind)
        # Most objects of a large design are unchanged: they are skipped by comparing their
        # rows whole (in C) before any is named or sorted.
        differing = [key for key, row in after_rows.items() if before_rows.get(key) != row]
        differing += list(before_rows.keys() - after_rows.keys())
        for key in sorted(differing, key=_order):
            before, after = before_rows.get(key), after_rows.get(key)
            if before is None:
                name = object_name(now, kind, key)
                changes.append(DesignChange(f"{kind}:{key}", kind, key, name, None, "added",
                                            None, after, _added_words(kind, name, after)))
                continue
            if after is None:
                name = object_name(base, kind, key)
                changes.append(DesignChange(f"{kind}:{key}", kind, key, name, None, "removed",
                                            before, None, _removed_words(kind, name)))
                continue
            name = object_name(now, kind, key)
            for field_name in fields:
                old, new = before.get(field_name), after.get(field_name)
                if old == new:
                    continue
                label = LABELS.get(field_name, field_name.replace("_", " "))
                words = (f"{name}: {label} {_shown(old, field_name, base)} → "
                         f"{_shown(new, field_name, now)}")
                changes.append(DesignChange(f"{kind}:{key}:{field_name}", kind, key, name,
                                            field_name, "changed", old, new, words))
    return changes


def _order(key: str) -> tuple:
    # Numbers in their order, the scenario's new objects after the copied ones.
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in key.replace("new", "~").split("-"))


def _added_words(kind: str, name: str, row: dict) -> str:
    if kind == "membership":
        return f"{name} at {row.get('allocation')}% (joins)"
    if kind == "engagement":
        return f"{name}: engaged as {row.get('role')}"
    return f"{name} ({kind}) added"


def _removed_words(kind: str, name: str) -> str:
    if kind == "membership":
        return f"{name}: leaves the team"
    if kind == "engagement":
        return f"{name}: no longer engaged"
    return f"{name} ({kind}) removed"


# Fields no rule reads: a change of one of them fixes and brings nothing.
UNJUDGED = frozenset({"name", "title", "email", "department", "external_id", "level", "kpi",
                      "metric", "target_date"})


def objects_of(change: DesignChange, rows: DesignRows | None = None) -> set[tuple[str, str]]:
    """The people, teams and pipelines a change is about, in the origin's ids: its object
    (the two a membership or a cell pairs), whoever or whatever its values point at, and,
    given the design's `rows`, the teams a changed person leads or is in (a team's place in
    the organisation is its lead's)."""
    if change.field in UNJUDGED:
        return set()
    found = _direct(change)
    if rows is not None:
        people = {ident for kind, ident in found if kind == "person"}
        for key, team in rows.teams.items():
            if team.get("lead") in people:
                found.add(("team", key))
        for pair in rows.memberships:
            person, team = pair.split("-", 1)
            if person in people:
                found.add(("team", team))
    return found


def _direct(change: DesignChange) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    if change.type == "membership":
        person, team = change.id.split("-", 1)
        found |= {("person", person), ("team", team)}
    elif change.type == "engagement":
        pipeline, team = change.id.split("-", 1)
        found |= {("pipeline", pipeline), ("team", team)}
    elif change.type in ("person", "team", "pipeline"):
        found.add((change.type, change.id))
    for value in (change.before, change.after):
        values = value if isinstance(value, dict) else (
            {change.field: value} if change.field else {})
        for name, target in values.items():
            if name in REFERENCES and target is not None:
                found.add((REFERENCES[name], str(target)))
    return found


def findings_by_change(changes: list[DesignChange], fixed: list, introduced: list,
                       in_origin: dict[str, dict[int, str]],
                       rows: DesignRows | None = None) -> dict[str, dict[str, list]]:
    """For each change, the findings (fixed: of the live design, in its ids; introduced: of
    the scenario, put in the origin's ids through `in_origin`, by Ref type) whose subject or
    related objects are among the objects the change is about. A finding about several
    changed objects is listed with each of them."""
    def refs(finding, translate: bool) -> set[tuple[str, str]]:
        out = set()
        for ref in (finding.subject, *finding.related):
            ident = in_origin.get(ref.type, {}).get(ref.id, f"new{ref.id}") if translate \
                else str(ref.id)
            out.add((ref.type, ident))
        return out

    fixed_refs = [(finding, refs(finding, False)) for finding in fixed]
    introduced_refs = [(finding, refs(finding, True)) for finding in introduced]
    result = {}
    for change in changes:
        objects = objects_of(change, rows)
        fixes = [f for f, found in fixed_refs if found & objects]
        brings = [f for f, found in introduced_refs if found & objects]
        if fixes or brings:
            result[change.key] = {"fixes": fixes, "brings": brings}
    return result
