"""What differs between two designs: a scenario and its origin, or any two the user may see.

Pure, like the rest of the analysis: handed the two designs' lists (and computing their
findings), it returns the people, teams, pipelines and cells that differ, and the findings
each design has that the other has not. Objects are matched across designs by external id
where they have one, else by name (people), and by name (teams and pipelines, which are unique
by name in a design). Changes read from `a` to `b`: a finding of `a` that `b` lacks is fixed,
one of `b` that `a` lacks is introduced.

The caller may hand what it already has of each design (its kept `OrgIndex`, its findings, or
its plan's for `?plan=1`, its capacity) and, for an admin, its costs: the capacity comparison
(`CapacityComparison`: headcount, FTE, open positions and cost, in total and for each team and
pipeline that differs) carries money only when both designs' costs are handed in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from orgdesign.analysis.capacity import Capacity, Costs, capacity_of
from orgdesign.analysis.catalogue import ERROR
from orgdesign.analysis.finding import Finding
from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.orgdata import OrgData, OrgIndex

ADDED, REMOVED, CHANGED = "added", "removed", "changed"

# The figures of the capacity comparison, by kind: how each is rounded and shown.
COUNT, FTE, MONEY = "count", "fte", "money"
TEAM_FIGURES = {"headcount": COUNT, "fte": FTE, "open_positions": COUNT, "planned_fte": FTE}
PIPELINE_FIGURES = {"fte": FTE, "planned_fte": FTE}
TOTAL_FIGURES = TEAM_FIGURES
MONEY_FIGURES = {"cost": MONEY, "planned_cost": MONEY}


@dataclass(frozen=True)
class Change:
    """One object that differs: added in `b`, removed from `a`, or changed, with the
    fields that differ as (value in a, value in b)."""

    type: str  # person, team, pipeline, cell
    key: str  # what matched it across the designs
    name: str
    change: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "change": self.change,
            "fields": {name: {"a": a, "b": b} for name, (a, b) in self.fields.items()},
        }


@dataclass(frozen=True)
class Figure:
    """One figure of a design compared: its value in `a` and in `b` (None where the team or
    pipeline is not in that design). FTE is rounded to two decimals, money to whole units."""

    name: str  # headcount, fte, open_positions, planned_fte, cost, planned_cost
    kind: str  # COUNT, FTE or MONEY
    a: float | int | None
    b: float | int | None

    @property
    def differs(self) -> bool:
        return self.a != self.b

    @property
    def change(self) -> float | int:
        """b - a, a missing side counting as nothing."""
        change = (self.b or 0) - (self.a or 0)
        return round(change, 2) if self.kind == FTE else change

    @property
    def sign(self) -> str:
        return "+" if self.change > 0 else "−" if self.change < 0 else ""

    @property
    def size(self) -> float | int:
        return abs(self.change)


@dataclass(frozen=True)
class CapacityChange:
    """The figures of the total, or of one team or pipeline whose figures differ."""

    type: str  # total, team, pipeline
    name: str
    change: str  # added, removed, changed ("" for a total that does not differ)
    figures: list[Figure]

    @property
    def differing(self) -> list[Figure]:
        return [figure for figure in self.figures if figure.differs]

    def as_dict(self) -> dict[str, Any]:
        head = {} if self.type == "total" else {"name": self.name, "change": self.change}
        return {**head, **{f.name: {"a": f.a, "b": f.b} for f in self.figures}}


@dataclass(frozen=True)
class CapacityComparison:
    total: CapacityChange
    teams: list[CapacityChange]  # only those that differ, by name
    pipelines: list[CapacityChange]
    money: bool  # whether the figures carry cost (both designs' costs were handed in)

    @property
    def rows(self) -> list[CapacityChange]:
        return [self.total, *self.teams, *self.pipelines]

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.as_dict(),
            "teams": [team.as_dict() for team in self.teams],
            "pipelines": [pipeline.as_dict() for pipeline in self.pipelines],
        }


def _rounded(kind: str, value: float | int | None) -> float | int | None:
    if value is None:
        return None
    if kind == FTE:
        return round(value, 2)
    if kind == MONEY:
        return round(value)
    return value


def _capacity_change(
    type_: str, name: str, kinds: dict[str, str],
    a: dict[str, float | int] | None, b: dict[str, float | int] | None,
) -> CapacityChange:
    figures = [
        Figure(figure, kind, _rounded(kind, a[figure]) if a is not None else None,
               _rounded(kind, b[figure]) if b is not None else None)
        for figure, kind in kinds.items()
    ]
    change = ADDED if a is None else REMOVED if b is None else (
        CHANGED if any(f.differs for f in figures) else ""
    )
    return CapacityChange(type_, name, change, figures)


def _capacity_figures(
    capacity: Capacity, costs: Costs | None
) -> tuple[dict[str, float | int], dict[str, dict], dict[str, dict]]:
    """The total's figures, each team's and each pipeline's, by name."""

    def money(cost) -> dict[str, float]:
        return {} if costs is None else {"cost": cost.now, "planned_cost": cost.planned}

    total = {
        "headcount": capacity.headcount, "fte": capacity.fte,
        "open_positions": capacity.open_positions, "planned_fte": capacity.planned_fte,
        **money(costs.total if costs is not None else None),
    }
    teams = {
        team.team.name: {
            "headcount": team.headcount, "fte": team.fte,
            "open_positions": team.open_positions, "planned_fte": team.planned_fte,
            **money(costs.by_team[team.team.id] if costs is not None else None),
        }
        for team in capacity.teams
    }
    pipelines = {
        pipeline.pipeline.name: {
            "fte": pipeline.fte, "planned_fte": pipeline.planned_fte,
            **money(costs.by_pipeline[pipeline.pipeline.id] if costs is not None else None),
        }
        for pipeline in capacity.pipelines
    }
    return total, teams, pipelines


def compare_capacity(
    a: Capacity, b: Capacity, costs: tuple[Costs, Costs] | None = None
) -> CapacityComparison:
    """Headcount, FTE, open positions and (with both designs' `costs`) cost, from `a` to `b`:
    the totals, and each team and pipeline (matched by name) whose figures differ. Costs in
    two currencies are not compared."""
    if costs is not None and costs[0].currency != costs[1].currency:
        costs = None
    costs_a, costs_b = costs if costs is not None else (None, None)
    money = MONEY_FIGURES if costs is not None else {}
    total_a, teams_a, pipelines_a = _capacity_figures(a, costs_a)
    total_b, teams_b, pipelines_b = _capacity_figures(b, costs_b)

    def changed(type_: str, kinds: dict[str, str], old: dict, new: dict) -> list:
        changes = [
            _capacity_change(type_, name, kinds, old.get(name), new.get(name))
            for name in sorted(old.keys() | new.keys(), key=lambda n: (n.casefold(), n))
        ]
        return [change for change in changes if change.change]

    return CapacityComparison(
        total=_capacity_change("total", "Total", {**TOTAL_FIGURES, **money}, total_a, total_b),
        teams=changed("team", {**TEAM_FIGURES, **money}, teams_a, teams_b),
        pipelines=changed("pipeline", {**PIPELINE_FIGURES, **money}, pipelines_a, pipelines_b),
        money=costs is not None,
    )


@dataclass
class Comparison:
    people: list[Change]
    teams: list[Change]
    pipelines: list[Change]
    cells: list[Change]
    fixed: list[Finding]
    introduced: list[Finding]
    findings_a: int = 0
    findings_b: int = 0
    # The errors of `b`: what a scenario that tried fixes still has to fix.
    errors_b: list[Finding] = field(default_factory=list)
    capacity: CapacityComparison | None = None

    @property
    def counts(self) -> dict[str, int]:
        def count(changes: list[Change], kind: str) -> int:
            return sum(1 for change in changes if change.change == kind)

        return {
            "people_added": count(self.people, ADDED),
            "people_removed": count(self.people, REMOVED),
            "people_moved": sum(
                1
                for change in self.people
                if change.change == CHANGED and {"manager", "teams"} & set(change.fields)
            ),
            "people_changed": count(self.people, CHANGED),
            "teams_added": count(self.teams, ADDED),
            "teams_removed": count(self.teams, REMOVED),
            "teams_changed": count(self.teams, CHANGED),
            "teams_into_ml_org": sum(
                1 for change in self.teams if change.fields.get("in_ml_org", (None, None))[1]
                is True and change.fields["in_ml_org"][0] is not True
            ),
            "teams_out_of_ml_org": sum(
                1 for change in self.teams if change.fields.get("in_ml_org", (None, None))[0]
                is True and change.fields["in_ml_org"][1] is not True
            ),
            "pipelines_added": count(self.pipelines, ADDED),
            "pipelines_removed": count(self.pipelines, REMOVED),
            "pipelines_changed": count(self.pipelines, CHANGED),
            "cells_changed": len(self.cells),
            "findings_fixed": len(self.fixed),
            "findings_introduced": len(self.introduced),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "people": [change.as_dict() for change in self.people],
            "teams": [change.as_dict() for change in self.teams],
            "pipelines": [change.as_dict() for change in self.pipelines],
            "cells": [change.as_dict() for change in self.cells],
            "findings": {
                "fixed": [finding.as_dict() for finding in self.fixed],
                "introduced": [finding.as_dict() for finding in self.introduced],
            },
            **({"capacity": self.capacity.as_dict()} if self.capacity is not None else {}),
        }


class _Side:
    """One design, keyed for matching."""

    def __init__(self, design: OrgData | OrgIndex, findings: list[Finding] | None = None):
        self.index = design if isinstance(design, OrgIndex) else OrgIndex(design)
        self.data = data = self.index.data
        self.findings = findings if findings is not None else compute_findings(data, self.index)
        self.person_key = {
            person.id: (
                f"external_id:{person.external_id}"
                if getattr(person, "external_id", "")
                else f"name:{person.name}"
            )
            for person in data.people
        }

    def person_name(self, person_id: int | None) -> str | None:
        return self.index.people_by_id[person_id].name if person_id in self.person_key else None

    def people(self) -> dict[str, dict[str, Any]]:
        teams: dict[int, dict[str, int]] = defaultdict(dict)
        for membership in self.data.memberships:
            team = self.index.teams_by_id.get(membership.team_id)
            if team is not None:
                teams[membership.person_id][team.name] = membership.allocation
        return {
            self.person_key[person.id]: {
                "name": person.name,
                "role": person.role,
                "active": person.active,
                "manager": self.person_name(person.manager_id),
                "teams": _teams_text(teams.get(person.id, {})),
            }
            for person in self.data.people
        }

    def teams(self) -> dict[str, dict[str, Any]]:
        return {
            team.name: {
                "name": team.name,
                "kind": team.kind,
                "lead": self.person_name(team.lead_id),
                "kpi": team.kpi,
                "kpi_type": team.kpi_type,
                "in_ml_org": self.index.team_in_ml_org(team),
            }
            for team in self.data.teams
        }

    def pipelines(self) -> dict[str, dict[str, Any]]:
        return {
            pipeline.name: {
                "name": pipeline.name,
                "pm_owner": self.person_name(pipeline.pm_owner_id),
                "lifecycle": pipeline.lifecycle,
                "tier": pipeline.tier,
                "metric": pipeline.metric,
                "required_stages": ", ".join(pipeline.required_stages or ()),
            }
            for pipeline in self.data.pipelines
        }

    def cells(self) -> dict[str, dict[str, Any]]:
        pipelines = self.index.pipelines_by_id
        teams = self.index.teams_by_id
        cells = {}
        for engagement in self.data.engagements:
            pipeline, team = pipelines.get(engagement.pipeline_id), teams.get(engagement.team_id)
            if pipeline is not None and team is not None:
                name = f"{pipeline.name} × {team.name}"
                cells[name] = {"name": name, "role": engagement.role}
        return cells

    def finding_key(self, finding: Finding) -> tuple:
        subject = finding.subject
        if subject.type == "person":
            who = self.person_key.get(subject.id, subject.name)
        elif subject.type == "organisation":
            who = ""  # the two designs are two organisations: the same subject
        else:
            who = subject.name
        # A stage resting on one person may have two such owners: one finding each.
        related = finding.related[0].name if finding.related and \
            finding.entry.keyed_by_related else ""
        return (finding.code, subject.type, who, finding.stage or "", related)


def _teams_text(teams: dict[str, int]) -> str:
    """A person's teams as people.csv writes them: largest allocation first."""
    ordered = sorted(teams.items(), key=lambda item: (-item[1], item[0]))
    return ";".join(f"{name}:{allocation}" for name, allocation in ordered)


def _diff(kind: str, a: dict[str, dict], b: dict[str, dict]) -> list[Change]:
    changes = []
    for key in sorted(a.keys() | b.keys(), key=lambda k: ((a.get(k) or b[k])["name"], k)):
        old, new = a.get(key), b.get(key)
        if old is None:
            fields = {"role": (None, new["role"])} if kind == "cell" else {}
            changes.append(Change(kind, key, new["name"], ADDED, fields))
        elif new is None:
            fields = {"role": (old["role"], None)} if kind == "cell" else {}
            changes.append(Change(kind, key, old["name"], REMOVED, fields))
        else:
            fields = {
                name: (old[name], new[name]) for name in old if old[name] != new[name]
            }
            if fields:
                changes.append(Change(kind, key, new["name"], CHANGED, fields))
    return changes


def compare_designs(
    a: OrgData | OrgIndex,
    b: OrgData | OrgIndex,
    *,
    findings: tuple[list[Finding], list[Finding]] | None = None,
    capacities: tuple[Capacity, Capacity] | None = None,
    costs: tuple[Costs, Costs] | None = None,
) -> Comparison:
    """Everything that differs from design `a` to design `b`. What the caller already has of
    them may be handed in: their indexes (as `a` and `b`), their `findings` (the plan's, to
    judge the plans), their `capacities`; and, for a caller who sees money, their `costs`."""
    findings_a, findings_b = findings if findings is not None else (None, None)
    side_a, side_b = _Side(a, findings_a), _Side(b, findings_b)
    capacity_a, capacity_b = capacities if capacities is not None else (
        capacity_of(side_a.index), capacity_of(side_b.index)
    )
    keys_a = {side_a.finding_key(finding): finding for finding in side_a.findings}
    keys_b = {side_b.finding_key(finding): finding for finding in side_b.findings}
    return Comparison(
        people=_diff("person", side_a.people(), side_b.people()),
        teams=_diff("team", side_a.teams(), side_b.teams()),
        pipelines=_diff("pipeline", side_a.pipelines(), side_b.pipelines()),
        cells=_diff("cell", side_a.cells(), side_b.cells()),
        fixed=[finding for key, finding in keys_a.items() if key not in keys_b],
        introduced=[finding for key, finding in keys_b.items() if key not in keys_a],
        findings_a=len(side_a.findings),
        findings_b=len(side_b.findings),
        errors_b=[finding for finding in side_b.findings if finding.severity == ERROR],
        capacity=compare_capacity(capacity_a, capacity_b, costs),
    )


def findings_diff(a: OrgData | OrgIndex, b: OrgData | OrgIndex, findings_a: list[Finding],
                  findings_b: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """Only the findings of `compare_designs`: those of `a` that `b` has not (fixed), and
    those of `b` that `a` has not (introduced), matched the same way."""
    side_a, side_b = _Side(a, findings_a), _Side(b, findings_b)
    keys_a = {side_a.finding_key(finding): finding for finding in findings_a}
    keys_b = {side_b.finding_key(finding): finding for finding in findings_b}
    return ([finding for key, finding in keys_a.items() if key not in keys_b],
            [finding for key, finding in keys_b.items() if key not in keys_a])
