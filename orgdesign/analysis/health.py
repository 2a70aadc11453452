"""A design's health in numbers: what a snapshot records (docs/design.md section 4).

`health_of` reads one analysed design (its `OrgIndex`, findings, structure and capacity) and
answers the figures the health page draws over time: the findings counted by severity and
code, the structure's label and shares, the spans of control of the ML org's managers, the
people per layer below the ML head, and headcount and FTE by kind of team. Pure: the same
design gives the same figures, whether it is the design of today or one read back from
history (`loader.load_as_of`), which is how a back-fill equals the daily snapshots.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from orgdesign.analysis.capacity import Capacity
from orgdesign.analysis.declare import ERROR, INFO, WARNING
from orgdesign.analysis.finding import Finding
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.rules.dependencies import OUTSIDE_ML_ORG
from orgdesign.analysis.rules.pipeline_stages import STAGE_UNOWNED
from orgdesign.analysis.structure import Structure

# The codes the health page draws a line of their own for, beside errors and warnings.
OUTSIDE_DEPENDENCY = OUTSIDE_ML_ORG.code
UNOWNED_STAGE = STAGE_UNOWNED.code


@dataclass
class Health:
    """The figures of one snapshot. Keys of `spans` and `layers` are strings (JSON's), in
    number order: `spans["3"]` managers have three direct reports, `layers["2"]` people are
    two steps below the ML head (the head is layer 0)."""

    errors: int = 0
    warnings: int = 0
    infos: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    label: str = ""
    central_share: float = 0.0
    embedded_share: float = 0.0
    spans: dict[str, int] = field(default_factory=dict)
    layers: dict[str, int] = field(default_factory=dict)
    headcount: int = 0
    fte: float = 0.0
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    open_positions: int = 0
    open_fte: float = 0.0

    @property
    def outside_dependencies(self) -> int:
        return self.by_code.get(OUTSIDE_DEPENDENCY, 0)

    @property
    def unowned_stages(self) -> int:
        return self.by_code.get(UNOWNED_STAGE, 0)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Health:
        """A snapshot's figures as stored; keys it does not know (a later version's) left out,
        keys it lacks (an earlier version's) at their defaults."""
        known = cls.__dataclass_fields__
        return cls(**{name: value for name, value in values.items() if name in known})


def _ordered(counts: Counter) -> dict[str, int]:
    return {str(key): counts[key] for key in sorted(counts)}


def spans_of(index: OrgIndex) -> dict[str, int]:
    """How many managers in the ML org (the head included) have each number of active direct
    reports: the span-of-control distribution. Without an ML head, none (the span rules do
    not judge a whole company either)."""
    counts = index.active_report_count
    active = index.active_ids
    return _ordered(Counter(
        counts[person] for person in index.ml_steps
        if person in active and counts.get(person, 0) > 0
    ))


def layers_of(index: OrgIndex) -> dict[str, int]:
    """How many active people stand at each number of steps below the ML head."""
    active = index.active_ids
    return _ordered(Counter(
        steps for person, steps in index.ml_steps.items() if person in active
    ))


def managers_of_one(index: OrgIndex) -> list[int]:
    """The ML org's managers with a single active direct report, by id."""
    counts = index.active_report_count
    active = index.active_ids
    return [person for person in index.ml_steps
            if person in active and counts.get(person, 0) == 1]


def _by_kind(index: OrgIndex) -> dict[str, dict[str, float]]:
    """Each kind of team's active people (each once, whatever their number of teams of that
    kind) and FTE (their allocations there / 100)."""
    people: dict[str, set[int]] = defaultdict(set)
    percent: dict[str, int] = defaultdict(int)
    teams = index.teams_by_id
    active = index.active_ids
    for membership in index.data.memberships:
        team = teams.get(membership.team_id)
        if team is None or membership.person_id not in active:
            continue
        people[team.kind].add(membership.person_id)
        percent[team.kind] += membership.allocation
    return {kind: {"headcount": len(people[kind]), "fte": round(percent[kind] / 100, 2)}
            for kind in sorted(people)}


def health_of(index: OrgIndex, findings: Iterable[Finding], structure: Structure,
              capacity: Capacity) -> Health:
    findings = list(findings)
    severities = Counter(finding.severity for finding in findings)
    open_fte = sum(position.fte for position in index.data.positions)
    return Health(
        errors=severities[ERROR],
        warnings=severities[WARNING],
        infos=severities[INFO],
        by_code=dict(sorted(Counter(finding.code for finding in findings).items())),
        label=structure.label,
        central_share=round(structure.central_share, 4),
        embedded_share=round(structure.embedded_share, 4),
        spans=spans_of(index),
        layers=layers_of(index),
        headcount=capacity.headcount,
        fte=round(capacity.fte, 2),
        by_kind=_by_kind(index),
        open_positions=len(index.data.positions),
        open_fte=round(open_fte / 100, 2),
    )
