"""The matrix as the page, the API and the CSV export show it: pure, from an `OrgIndex`."""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe

from orgdesign.analysis.finding import Finding
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.rules.catalog import STAGE_OWNED_ELSEWHERE
from orgdesign.analysis.rules.dependencies import OUTSIDE_ML_ORG
from orgdesign.analysis.rules.pipeline_stages import (
    SINGLE_PERSON_STAGE,
    STAGE_MULTIPLE_OWNERS,
    STAGE_UNOWNED,
    owner_teams_by_stage,
)
from pipelines.models import KIND_STAGE, EngagementRole, Lifecycle, Pipeline, Stage, Tier
from teams.models import SPECIALISED_KINDS, Team, TeamKind, as_row_id

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
    # The team kinds shown as one summary column each (a view setting, not a filter).
    collapse: frozenset[str] = frozenset()

    @classmethod
    def from_query(cls, query: QueryDict) -> MatrixFilters:
        """Unknown values are ignored rather than refused: a filter link never breaks."""
        pm = query.get("pm", "")
        lifecycle = query.get("lifecycle", "")
        tier = query.get("tier", "")
        kind = query.get("kind", "")
        collapse = set(query.get("collapse", "").split(","))
        if "all" in collapse:
            collapse = set(TeamKind.values)
        return cls(
            pm=as_row_id(pm),
            lifecycle=lifecycle if lifecycle in Lifecycle.values else "",
            tier=tier if tier in Tier.values else "",
            kind=kind if kind in TeamKind.values else "",
            errors_only=query.get("errors") in ("1", "on", "true"),
            collapse=frozenset(collapse & set(TeamKind.values)),
        )

    @property
    def collapse_param(self) -> str:
        return ",".join(sorted(self.collapse))

    @property
    def active(self) -> bool:
        return bool(self.pm or self.lifecycle or self.tier or self.kind or self.errors_only)


@dataclass
class Column:
    team: Team
    in_ml_org: bool | None
    stage: str | None
    findings: list[Finding] = field(default_factory=list)
    # The team's open positions (`PositionRow`s): its "+N open" badge.
    open_positions: list = field(default_factory=list)


@dataclass
class ColumnGroup:
    kind: str
    label: str
    columns: list[Column]
    # Folded into one summary column (MatrixFilters.collapse).
    collapsed: bool = False
    toggle: str = ""  # the `collapse` value that folds or opens it

    @property
    def span(self) -> int:
        return 1 if self.collapsed else len(self.columns)

    @property
    def outside_count(self) -> int:
        return sum(1 for column in self.columns if column.in_ml_org is False)


@dataclass
class SummaryCell:
    """The cell of a folded kind of teams in one row: how many of them own, contribute or
    serve, and the worst finding marked on any of their cells."""

    kind: str
    label: str
    roles: dict[str, int]
    finding: Finding | None = None

    @property
    def text(self) -> str:
        return ", ".join(f"{count} {role}" for role, count in self.roles.items() if count)

    @property
    def main_role(self) -> str:
        return next((role for role, count in self.roles.items() if count), "")


@dataclass(slots=True)
class Cell:
    team_id: int
    role: str
    # The finding marked on the cell itself, if any: an outside dependency (the team reports
    # outside the ML org), else a stage resting on the one person of this team.
    finding: Finding | None = None
    # The percent of the team's capacity the pipeline takes, when set (owner or contributor).
    effort: int | None = None
    # How many components of the software catalog back the cell: the pipeline's, owned by
    # the team (orgdesign.analysis.catalog).
    components: int = 0


# A stage of a pipeline, as its strip in the matrix shows it.
OWNED, UNOWNED, SINGLE, SEVERAL = "owned", "unowned", "single", "several"
STAGE_STATE_CODES = {
    UNOWNED: STAGE_UNOWNED.code,
    SINGLE: SINGLE_PERSON_STAGE.code,
    SEVERAL: STAGE_MULTIPLE_OWNERS.code,
}


@dataclass
class StageMark:
    stage: str
    label: str
    state: str
    owners: list[str]
    finding: Finding | None = None

    @property
    def message(self) -> str:
        if self.finding is not None:
            return self.finding.message
        return f"{self.label}: owned by {', '.join(self.owners)}."


@dataclass
class Row:
    pipeline: Pipeline
    pm_name: str
    cells: list[Cell]
    findings: list[Finding] = field(default_factory=list)
    stages: list[StageMark] = field(default_factory=list)

    @property
    def row_findings(self) -> list[Finding]:
        """The findings shown as the row's badges: not those on its stage strip."""
        on_strip = {id(mark.finding) for mark in self.stages if mark.finding is not None}
        return [finding for finding in self.findings if id(finding) not in on_strip]

    def cells_html(self, editable: bool = False) -> SafeString:
        """The row's cells, escaped. Built here rather than in a template loop because an L
        organisation has 400 columns, which the template engine renders ten times slower.

        Editable cells hold a button that posts the next role with the role the editor saw,
        so a change made meanwhile by someone else is detected rather than overwritten.
        """
        pid = self.pipeline.id
        return mark_safe("".join(_cell_html(pid, cell, editable) for cell in self.cells))

    @property
    def has_errors(self) -> bool:
        return any(finding.severity == "error" for finding in self.findings)


# A team's cell, read-only or as a button; a folded kind's summary cell (read-only: a folded
# kind opens to edit).
READ_CELL = '<td data-pipeline="{}" data-team="{}" class="cell {}"{}>{}</td>'
EDIT_CELL = (
    '<td data-pipeline="{}" data-team="{}" class="cell {}"{}><button type="button" '
    'hx-post="cells/{}/{}/" hx-vals=\'{{"role": "{}", "expected": "{}"}}\'{}>{}</button>{}</td>'
)
# The effort beside the role of an owner or contributor cell: sent when it changes, with the
# role the editor saw (kept as it is).
EFFORT_INPUT = (
    '<input class="effort" type="number" name="effort" min="1" max="100" step="1" value="{}" '
    'placeholder="%" title="Effort: percent of the team\'s capacity" aria-label="Effort, '
    'percent of the team\'s capacity" hx-post="cells/{}/{}/" hx-trigger="change" '
    'hx-vals=\'{{"role": "{}", "expected": "{}", "set_effort": "1"}}\'>'
)
# The roles whose cells take an effort (a service takes none of the team's capacity).
EFFORT_ROLES = ("owner", "contributor")
SUMMARY_CELL = '<td data-pipeline="{}" data-kind="{}" class="cell summary {}"{}>{}</td>'


def _cell_html(pid: int, cell: Cell | SummaryCell, editable: bool) -> str:
    """One cell. `str.format` over values escaped here, not `format_html`: 400 columns of
    100 rows are 40,000 cells, and `format_html` took most of the L matrix page's time."""
    if isinstance(cell, SummaryCell):
        return SUMMARY_CELL.format(int(pid), _e(cell.kind), _e(cell.main_role or "empty"),
                                   _cell_flag(cell), _e(cell.text or "·"))
    role = _e(cell.role)
    backed = _components(cell)
    if not editable:
        shown = role if cell.effort is None or cell.role not in EFFORT_ROLES else \
            f'{role} <small class="effort">{int(cell.effort)}%</small>'
        return READ_CELL.format(int(pid), int(cell.team_id), role or "empty", _cell_flag(cell),
                                shown + backed)
    effort = ""
    if cell.role in EFFORT_ROLES:
        effort = EFFORT_INPUT.format(
            "" if cell.effort is None else int(cell.effort), int(pid), int(cell.team_id),
            role, role,
        )
    return EDIT_CELL.format(
        int(pid), int(cell.team_id), role or "empty", _cell_flag(cell), int(pid),
        int(cell.team_id), _e(next_role(cell.role)), role,
        ' aria-label="none"' if not cell.role else "", role or "·", effort + backed,
    )


def _components(cell: Cell) -> str:
    """The badge of the components of the catalog behind a cell, if any."""
    if not cell.components:
        return ""
    count = int(cell.components)
    words = f"{count} component{'s' if count != 1 else ''} of the catalog"
    return (f' <small class="components" data-components="{count}" title="{words}">'
            f'{count} comp.<span class="visually-hidden"> ({words})</span></small>')


def _e(text: str) -> str:
    # The same five characters as django.utils.html.escape, without its SafeString wrapping.
    return html.escape(str(text), quote=True)


def _cell_flag(cell: Cell) -> str:
    """The attributes of a cell marked with a finding: its code for machines, its class for
    the eye, its message for hover and focus."""
    if cell.finding is None:
        return ""
    return (f' data-finding="{_e(cell.finding.code)}" data-severity="{_e(cell.finding.severity)}"'
            f' data-message="{_e(cell.finding.message)}"')


def findings_by_subject(findings: list[Finding]) -> dict[tuple[str, int], list[Finding]]:
    grouped: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[(finding.subject.type, finding.subject.id)].append(finding)
    return grouped


def build_columns(
    index: OrgIndex,
    findings: list[Finding],
    *,
    kind: str = "",
    team_ids: set[int] | None = None,
    collapse: frozenset[str] = frozenset(),
) -> list[ColumnGroup]:
    """The teams grouped by kind, in pipeline order; only `kind` or `team_ids` when given;
    the kinds in `collapse` folded into one column each."""
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
                open_positions=index.open_positions_by_team.get(team.id, []),
            )
            for team in teams
        ]
        groups.append(
            ColumnGroup(
                kind=str(group_kind),
                label=TeamKind(group_kind).label,
                columns=columns,
                collapsed=group_kind in collapse,
                toggle=",".join(sorted(set(collapse) ^ {str(group_kind)})),
            )
        )
    return groups


def build_rows(
    index: OrgIndex,
    pipelines: list[Pipeline],
    groups: list[ColumnGroup],
    findings: list[Finding],
) -> list[Row]:
    by_subject = findings_by_subject(findings)
    marked = cell_findings(findings)
    backed = index.catalog.cell_counts if index.data.catalog else {}
    rows = []
    for pipeline in pipelines:
        engaged = {e.team_id: e for e in index.engagements_by_pipeline.get(pipeline.id, ())}
        row_findings = by_subject.get(("pipeline", pipeline.id), [])
        cells: list[Cell | SummaryCell] = []
        pid = pipeline.id
        for group in groups:
            # One lookup a cell: 400 columns of a page of rows are tens of thousands.
            group_cells = [
                Cell(team_id, engagement.role, marked.get((pid, team_id)), engagement.effort,
                     backed.get((pid, team_id), 0))
                if (engagement := engaged.get(team_id)) is not None
                else Cell(team_id, "", marked.get((pid, team_id)), None,
                          backed.get((pid, team_id), 0))
                for team_id in (column.team.id for column in group.columns)
            ]
            if group.collapsed:
                cells.append(_summary(group, group_cells))
            else:
                cells.extend(group_cells)
        rows.append(
            Row(
                pipeline=pipeline,
                pm_name=index.person_name(pipeline.pm_owner_id) if pipeline.pm_owner_id else "",
                cells=cells,
                findings=row_findings,
                stages=stage_marks(index, pipeline, row_findings),
            )
        )
    return rows


def _summary(group: ColumnGroup, cells: list[Cell]) -> SummaryCell:
    roles = {str(role): 0 for role in ROLE_CYCLE[1:]}
    for cell in cells:
        if cell.role:
            roles[cell.role] += 1
    flagged = [cell.finding for cell in cells if cell.finding is not None]
    # An error (an outside dependency) outweighs a warning (a stage on one person).
    flagged.sort(key=lambda finding: finding.severity != "error")
    return SummaryCell(group.kind, group.label, roles, flagged[0] if flagged else None)


def cell_findings(findings: list[Finding]) -> dict[tuple[int, int], Finding]:
    """The finding to mark on each (pipeline, team) cell: a dependency on a team outside the
    ML org first, else a stage resting on the one person of the owning team."""
    marked: dict[tuple[int, int], Finding] = {}
    for finding in findings:
        if finding.code == SINGLE_PERSON_STAGE.code:
            for team in finding.related:
                marked.setdefault((finding.subject.id, team.id), finding)
    for finding in findings:
        if finding.code == OUTSIDE_ML_ORG.code:
            for pipeline in finding.related:
                marked[(pipeline.id, finding.subject.id)] = finding
    # A component of the catalog owned by another team than its stage's: marked on the cell
    # of the team that owns it, where the design and the code disagree.
    for finding in findings:
        if finding.code == STAGE_OWNED_ELSEWHERE.code:
            pipeline, owner = finding.related[0], finding.related[1]
            marked.setdefault((pipeline.id, owner.id), finding)
    return marked


def stage_marks(index: OrgIndex, pipeline: Pipeline, findings: list[Finding]) -> list[StageMark]:
    """Every required stage of the pipeline, in pipeline order, with who owns it and the
    finding it carries (nobody, one person, several owners)."""
    by_stage = {
        (finding.stage, finding.code): finding for finding in findings if finding.stage
    }
    owners = owner_teams_by_stage(index, pipeline)
    required = set(pipeline.required_stages or ())
    marks = []
    for stage in Stage:
        if stage.value not in required:
            continue
        for state in (UNOWNED, SINGLE, SEVERAL):
            finding = by_stage.get((stage.value, STAGE_STATE_CODES[state]))
            if finding is not None:
                break
        else:
            state = OWNED
        marks.append(StageMark(
            stage=stage.value,
            label=str(stage.label),
            state=state,
            owners=[team.name for team in owners.get(stage.value, ())],
            finding=finding,
        ))
    return marks


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


# The overview: every pipeline's stages on one screen ----------------------------------------

NOT_REQUIRED = "optional"  # a stage the pipeline does not require


@dataclass
class OverviewTile:
    pipeline: Pipeline
    marks: list[StageMark]  # all five stages, in order; a stage not required is NOT_REQUIRED
    page: int  # the matrix page the pipeline's row is on

    @property
    def problems(self) -> int:
        return sum(1 for mark in self.marks if mark.state not in (OWNED, NOT_REQUIRED))

    @property
    def summary(self) -> str:
        wrong = [f"{mark.label}: {STATE_WORDS[mark.state]}" for mark in self.marks
                 if mark.state not in (OWNED, NOT_REQUIRED)]
        return f"{self.pipeline.name}: " + ("; ".join(wrong) if wrong else "every stage owned")


STATE_WORDS = {
    OWNED: "owned",
    UNOWNED: "nobody owns it",
    SINGLE: "rests on one person",
    SEVERAL: "several owners",
    NOT_REQUIRED: "not required",
}


def overview(index: OrgIndex, findings: list[Finding]) -> list[OverviewTile]:
    """Every pipeline with the state of each of its stages (the heat map of the overview),
    in the matrix's order, each knowing the matrix page its row is on."""
    by_subject = findings_by_subject(findings)
    per_page = rows_per_page(len(index.data.teams))
    tiles = []
    for position, pipeline in enumerate(sorted_pipelines(index)):
        required = {mark.stage: mark for mark in stage_marks(
            index, pipeline, by_subject.get(("pipeline", pipeline.id), []))}
        marks = [
            required.get(stage.value)
            or StageMark(stage=stage.value, label=str(stage.label), state=NOT_REQUIRED, owners=[])
            for stage in Stage
        ]
        tiles.append(OverviewTile(pipeline=pipeline, marks=marks, page=position // per_page + 1))
    return tiles


def stage_coverage(tiles: list[OverviewTile]) -> list[dict]:
    """Per stage, how many pipelines have it owned, on one person, with several owners or
    nobody: the overview's totals."""
    rows = []
    for number, stage in enumerate(Stage):
        counts = dict.fromkeys((OWNED, SINGLE, SEVERAL, UNOWNED, NOT_REQUIRED), 0)
        for tile in tiles:
            counts[tile.marks[number].state] += 1
        rows.append({"stage": stage.value, "label": str(stage.label), **counts})
    return rows
