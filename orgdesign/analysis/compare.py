"""What differs between two designs: a scenario and its origin, or any two the user may see.

Pure, like the rest of the analysis: handed the two designs' lists (and computing their
findings), it returns the people, teams, pipelines and cells that differ, and the findings
each design has that the other has not. Objects are matched across designs by external id
where they have one, else by name (people), and by name (teams and pipelines, which are unique
by name in a design). Changes read from `a` to `b`: a finding of `a` that `b` lacks is fixed,
one of `b` that `a` lacks is introduced.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from orgdesign.analysis.catalogue import ERROR
from orgdesign.analysis.finding import Finding
from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.orgdata import OrgData, OrgIndex

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


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
        }


class _Side:
    """One design, keyed for matching."""

    def __init__(self, data: OrgData):
        self.data = data
        self.index = OrgIndex(data)
        self.findings = compute_findings(data, self.index)
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


def compare_designs(a: OrgData, b: OrgData) -> Comparison:
    """Everything that differs from design `a` to design `b`."""
    side_a, side_b = _Side(a), _Side(b)
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
    )
