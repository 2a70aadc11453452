"""The matrix as the page, the API and the CSV export show it: pure, from an `OrgIndex`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from pipelines.findings import Finding
from pipelines.models import KIND_STAGE, Pipeline
from pipelines.orgdata import OrgIndex
from teams.models import SPECIALISED_KINDS, Team, TeamKind

# Columns run along the pipeline, then the squads and the rest.
KIND_ORDER = [*SPECIALISED_KINDS, TeamKind.PRODUCT_SQUAD, TeamKind.OTHER]


@dataclass
class Column:
    team: Team
    in_ml_org: bool | None
    stage: str | None
    findings: list[Finding] = field(default_factory=list)


@dataclass
class ColumnGroup:
    kind: str
    label: str
    columns: list[Column]


@dataclass
class Cell:
    team_id: int
    role: str


@dataclass
class Row:
    pipeline: Pipeline
    pm_name: str
    cells: list[Cell]
    findings: list[Finding] = field(default_factory=list)

    def cells_html(self) -> SafeString:
        """The row's cells, escaped. Built here rather than in a template loop because an L
        organisation has 400 columns: 20,000 cells a page, which the template engine renders
        ten times slower."""
        return format_html_join(
            "",
            '<td data-pipeline="{}" data-team="{}" class="cell {}">{}</td>',
            (
                (self.pipeline.id, cell.team_id, cell.role or "empty", cell.role)
                for cell in self.cells
            ),
        )

    @property
    def has_errors(self) -> bool:
        return any(finding.severity == "error" for finding in self.findings)


def findings_by_subject(findings: list[Finding]) -> dict[tuple[str, int], list[Finding]]:
    grouped: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[(finding.subject.type, finding.subject.id)].append(finding)
    return grouped


def build_columns(index: OrgIndex, findings: list[Finding]) -> list[ColumnGroup]:
    by_subject = findings_by_subject(findings)
    by_kind: dict[str, list[Team]] = defaultdict(list)
    for team in index.data.teams:
        by_kind[team.kind].append(team)
    groups = []
    for kind in KIND_ORDER:
        teams = sorted(by_kind.get(kind, ()), key=lambda team: (team.name.casefold(), team.id))
        if not teams:
            continue
        columns = [
            Column(
                team=team,
                in_ml_org=index.team_in_ml_org(team),
                stage=KIND_STAGE.get(kind),
                findings=by_subject.get(("team", team.id), []),
            )
            for team in teams
        ]
        groups.append(ColumnGroup(kind=str(kind), label=TeamKind(kind).label, columns=columns))
    return groups


def build_rows(
    index: OrgIndex,
    pipelines: list[Pipeline],
    groups: list[ColumnGroup],
    findings: list[Finding],
) -> list[Row]:
    by_subject = findings_by_subject(findings)
    team_ids = [column.team.id for group in groups for column in group.columns]
    rows = []
    for pipeline in pipelines:
        roles = {e.team_id: e.role for e in index.engagements_by_pipeline.get(pipeline.id, ())}
        rows.append(
            Row(
                pipeline=pipeline,
                pm_name=index.person_name(pipeline.pm_owner_id) if pipeline.pm_owner_id else "",
                cells=[Cell(team_id=team_id, role=roles.get(team_id, "")) for team_id in team_ids],
                findings=by_subject.get(("pipeline", pipeline.id), []),
            )
        )
    return rows


def sorted_pipelines(index: OrgIndex) -> list[Pipeline]:
    return sorted(index.data.pipelines, key=lambda p: (p.name.casefold(), p.id))
