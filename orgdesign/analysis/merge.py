"""A three-way merge of a scenario into the live design: the scenario's changes since its
base (`changeset.changes_between(base, scenario)`), set against the live design's changes
since the same base, so that every live change the scenario did not touch is kept. Pure: all
three designs come in as `DesignRows` in the origin's ids.

A scenario's change conflicts with the live design when the live design changed the same
field of the same object to another value, removed the object the change is about (or an
object it points at), or changed a field of an object the scenario removes. A conflict is
resolved by keeping the live value (`live`) or taking the scenario's (`scenario`); nothing
merges until every conflict among the chosen changes is resolved. The same change made on
both sides is no conflict: it is already live.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from orgdesign.analysis.changeset import (
    REFERENCES,
    TABLES,
    DesignChange,
    DesignRows,
    changes_between,
)

RESOLUTIONS = ("live", "scenario")


@dataclass(frozen=True)
class Conflict:
    key: str  # the scenario's change
    words: str  # the scenario's change, in words
    live: Any  # the live value now (None: the live design removed it)
    scenario: Any
    live_words: str  # what the live design did, in words

    def as_dict(self) -> dict:
        return {"key": self.key, "words": self.words, "live": self.live,
                "scenario": self.scenario, "live_words": self.live_words}


@dataclass
class MergePlan:
    changes: list[DesignChange]  # the scenario's, in the change list's order
    live_changes: list[DesignChange]  # the live design's since the base
    conflicts: dict[str, Conflict] = field(default_factory=dict)  # by the change's key

    def chosen(self, keys: list[str] | None) -> list[DesignChange]:
        """The changes a merge takes: `keys` (unknown ones refused), or all of them."""
        if keys is None:
            return list(self.changes)
        known = {change.key for change in self.changes}
        unknown = [key for key in keys if key not in known]
        if unknown:
            raise KeyError(", ".join(unknown[:10]))
        wanted = set(keys)
        return [change for change in self.changes if change.key in wanted]

    def unresolved(self, keys: list[str] | None, resolutions: dict[str, str]) -> list[Conflict]:
        return [self.conflicts[change.key] for change in self.chosen(keys)
                if change.key in self.conflicts and resolutions.get(change.key)
                not in RESOLUTIONS]


def _object(key: str) -> str:
    kind, ident, *_ = key.split(":")
    return f"{kind}:{ident}"


def _referenced(change: DesignChange) -> list[str]:
    """The objects a change points at: a manager, lead, PM, team, pipeline, person; for a
    membership or a cell, the two objects its key names."""
    found = []
    if change.type in ("membership", "engagement"):
        first, team = change.id.split("-", 1)
        found += [f"{'person' if change.type == 'membership' else 'pipeline'}:{first}",
                  f"team:{team}"]
    values = change.after if change.field is None else {change.field: change.after}
    for name, value in (values or {}).items():
        if name in REFERENCES and value is not None:
            found.append(f"{REFERENCES[name]}:{value}")
    return found


def plan_merge(base: DesignRows, scenario: DesignRows, live: DesignRows) -> MergePlan:
    changes = changes_between(base, scenario)
    live_changes = changes_between(base, live)
    by_key = {change.key: change for change in live_changes}
    live_objects: dict[str, list[DesignChange]] = {}
    for change in live_changes:
        live_objects.setdefault(_object(change.key), []).append(change)
    plan = MergePlan(changes=changes, live_changes=live_changes)
    for change in changes:
        theirs = by_key.get(change.key)
        if theirs is not None:
            if theirs.after != change.after:
                plan.conflicts[change.key] = Conflict(change.key, change.words, theirs.after,
                                                      change.after, theirs.words)
            continue
        removed = by_key.get(_object(change.key))
        if change.field is not None and removed is not None and removed.action == "removed":
            plan.conflicts[change.key] = Conflict(change.key, change.words, None,
                                                  change.after, removed.words)
            continue
        if change.action == "removed" and live_objects.get(change.key):
            edited = live_objects[change.key][0]
            plan.conflicts[change.key] = Conflict(change.key, change.words, edited.after,
                                                  None, edited.words)
            continue
        for target in _referenced(change):
            gone = by_key.get(target)
            if gone is not None and gone.action == "removed":
                plan.conflicts[change.key] = Conflict(change.key, change.words, None,
                                                      change.after, gone.words)
                break
    return plan


def merged(live: DesignRows, scenario: DesignRows, plan: MergePlan,
           keys: list[str] | None = None,
           resolutions: dict[str, str] | None = None) -> DesignRows:
    """The live design with the chosen changes made (a conflict resolved `live` is left
    out). Refused (ValueError) while a chosen conflict is unresolved."""
    resolutions = resolutions or {}
    open_ = plan.unresolved(keys, resolutions)
    if open_:
        raise ValueError(f"{len(open_)} conflicts are not resolved: "
                         + ", ".join(c.key for c in open_[:10]))
    # The tables are copied, not their rows: a row is copied only when a change writes it,
    # so `live` is never changed and a large design is not copied whole.
    result = DesignRows.from_dict({name: dict(rows) for name, rows in live.as_dict().items()})
    for change in plan.chosen(keys):
        if resolutions.get(change.key) == "live":
            continue
        table = getattr(result, TABLES[change.type])
        if change.action == "removed":
            table.pop(change.id, None)
        elif change.action == "added":
            table[change.id] = copy.deepcopy(change.after)
        elif change.id in table:
            table[change.id] = {**table[change.id], change.field: copy.deepcopy(change.after)}
        else:
            # Taken from the scenario over a live removal: the object comes back whole, as
            # the scenario has it.
            table[change.id] = copy.deepcopy(getattr(scenario, TABLES[change.type])[change.id])
    return result


# An overlay: rows by table and key, None for an object that is absent.
Overlay = dict[str, dict[str, dict | None]]


def overlaid(rows: DesignRows, overlay: Overlay) -> DesignRows:
    """`rows` with the overlay's objects put in (or taken out, where None); `rows` itself
    is left as it was. A merge's undo is the live design with the merge's objects as they
    were before it, counted from the live design with them as the merge left them."""
    tables = {name: dict(table) for name, table in rows.as_dict().items()}
    for name, objects in overlay.items():
        for key, row in objects.items():
            if row is None:
                tables[name].pop(key, None)
            else:
                tables[name][key] = row
    return DesignRows.from_dict(tables)
