"""The matrix as the page, the API and the CSV export show it: pure, from an `OrgIndex`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from orgdesign.analysis.findings import Finding
from orgdesign.analysis.orgdata import OrgIndex
from pipelines.models import KIND_STAGE, EngagementRole, Lifecycle, Pipeline, Tier
from teams.models import SPECIALISED_KINDS, Team, TeamKind

# Columns run along the pipeline, then the squads and the rest.
KIND_ORDER = [*SPECIALISED_KINDS, TeamKind.PRODUCT_SQUAD, TeamKind.OTHER]

# Clicking a cell moves it to the next role: empty, owner, contributor, service, empty.
ROLE_CYCLE = ["", EngagementRole.OWNER, EngagementRole.CONTRIBUTOR, EngagementRole.SERVICE]


def next_role(role: str) -> str:
    return str(ROLE_CYCLE[(ROLE_CYCLE.index(role) + 1) % len(ROLE_CYCLE)])


@dataclass
class MatrixFilters:
    pm: int | None = None
    lifecycle: str = ""
    tier: str = ""
    kind: str = ""
    errors_only: bool = False

    @classmethod
    def from_query(cls, query: QueryDict) -> MatrixFilters:
        """Unknown values are ignored rather than refused: a filter link never breaks."""
        pm = query.get("pm", "")
        lifecycle = query.get("lifecycle", "")
        tier = query.get("tier", "")
        kind = query.get("kind", "")
        return cls(
            pm=int(pm) if pm.isdigit() else None,
            lifecycle=lifecycle if lifecycle in Lifecycle.values else "",
            tier=tier if tier in Tier.values else "",
            kind=kind if kind in TeamKind.values else "",
            errors_only=query.get("errors") in ("1", "on", "true"),
        )

    @property
    def active(self) -> bool:
        return bool(self.pm or self.lifecycle or self.tier or self.kind or self.errors_only)


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

    def cells_html(self, editable: bool = False) -> SafeString:
        """The row's cells, escaped. Built here rather than in a template loop because an L
        organisation has 400 columns, which the template engine renders ten times slower.

        Editable cells hold a button that posts the next role with the role the editor saw,
        so a change made meanwhile by someone else is detected rather than overwritten.
        """
        pid = self.pipeline.id
        if not editable:
            return format_html_join(
                "",
                '<td data-pipeline="{}" data-team="{}" class="cell {}">{}</td>',
                ((pid, c.team_id, c.role or "empty", c.role) for c in self.cells),
            )
        return format_html_join(
            "",
            '<td data-pipeline="{}" data-team="{}" class="cell {}"><button type="button" '
            'hx-post="cells/{}/{}/" hx-vals=\'{{"role": "{}", "expected": "{}"}}\'{}>{}</button>'
            "</td>",
            (
                (
                    pid,
                    c.team_id,
                    c.role or "empty",
                    pid,
                    c.team_id,
                    next_role(c.role),
                    c.role,
                    mark_safe(' aria-label="none"') if not c.role else "",
                    c.role or "·",
                )
                for c in self.cells
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


def build_columns(
    index: OrgIndex, findings: list[Finding], *, kind: str = "", team_ids: set[int] | None = None
) -> list[ColumnGroup]:
    """The teams grouped by kind, in pipeline order; only `kind` or `team_ids` when given."""
    by_subject = findings_by_subject(findings)
    by_kind: dict[str, list[Team]] = defaultdict(list)
    for team in index.data.teams:
        if team_ids is not None and team.id not in team_ids:
            continue
        by_kind[team.kind].append(team)
    groups = []
    for group_kind in KIND_ORDER:
        if kind and group_kind != kind:
            continue
        teams = sorted(by_kind.get(group_kind, ()), key=lambda t: (t.name.casefold(), t.id))
        if not teams:
            continue
        columns = [
            Column(
                team=team,
                in_ml_org=index.team_in_ml_org(team),
                stage=KIND_STAGE.get(group_kind),
                findings=by_subject.get(("team", team.id), []),
            )
            for team in teams
        ]
        groups.append(
            ColumnGroup(kind=str(group_kind), label=TeamKind(group_kind).label, columns=columns)
        )
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


def filter_pipelines(
    index: OrgIndex, findings: list[Finding], filters: MatrixFilters
) -> list[Pipeline]:
    with_errors = {
        f.subject.id for f in findings if f.subject.type == "pipeline" and f.severity == "error"
    }
    return [
        pipeline
        for pipeline in sorted_pipelines(index)
        if (filters.pm is None or pipeline.pm_owner_id == filters.pm)
        and (not filters.lifecycle or pipeline.lifecycle == filters.lifecycle)
        and (not filters.tier or pipeline.tier == filters.tier)
        and (not filters.errors_only or pipeline.id in with_errors)
    ]


def pm_choices(index: OrgIndex) -> list[tuple[int, str]]:
    """The people who own at least one pipeline, for the PM filter."""
    return sorted(
        ((pid, index.person_name(pid)) for pid in index.pm_owner_ids),
        key=lambda item: (item[1].casefold(), item[0]),
    )


def rows_per_page(column_count: int, *, cells: int = 5000, most: int = 50, least: int = 10) -> int:
    """Fewer rows a page when there are many columns, so a page stays light at L size."""
    return max(least, min(most, cells // max(column_count, 1)))
