"""matrix.csv, engagements.csv, findings.csv and positions.csv (docs/design.md section 4),
streamed so memory stays flat whatever the size, each in a fixed number of queries. Who may
fetch them and the response are `orgdesign/csvio/exports.py`'s."""

from orgdesign.access.policy import sees_money
from orgdesign.analysis.capacity import costs_of
from orgdesign.analysis.kept import analysis_of, level_costs
from orgdesign.analysis.matrix import MatrixFilters, build_columns, build_rows, filter_pipelines
from orgdesign.csvio.exports import csv_response, export_view
from orgdesign.csvio.format import decimal_text
from pipelines.models import Position

MATRIX_COLUMNS = ["pipeline", "pm_owner", "lifecycle"]
ENGAGEMENT_COLUMNS = [
    "pipeline", "pm_owner", "team", "team_kind", "stage", "role", "team_in_ml_org",
]
POSITION_COLUMNS = [
    "position_id", "team", "title", "role", "level", "fte", "status", "target_date", "pipeline",
]
FINDING_COLUMNS = [
    "code", "severity", "subject_type", "subject_id", "subject_name", "message", "base_severity"
]


def _yes_no(value: bool | None) -> str:
    """true, false, or empty when unknown (a team without an active lead)."""
    return "" if value is None else "true" if value else "false"


@export_view
def export_matrix(request, organisation):
    """matrix.csv: pipeline, pm_owner, lifecycle, then one column per team (its role or
    empty), filtered like the matrix page when its filters are given."""
    analysis = analysis_of(organisation)
    index = analysis.index
    filters = MatrixFilters.from_query(request.GET)
    findings = analysis.findings if filters.errors_only else []
    groups = build_columns(index, findings, kind=filters.kind)
    teams = [column.team for group in groups for column in group.columns]
    pipelines = filter_pipelines(index, findings, filters)

    def rows():
        yield [*MATRIX_COLUMNS, *(team.name for team in teams)]
        for row in build_rows(index, pipelines, groups, []):
            yield [row.pipeline.name, row.pm_name, row.pipeline.lifecycle,
                   *(cell.role for cell in row.cells)]

    return csv_response(rows(), organisation=organisation, name="matrix", request=request)


@export_view
def export_engagements(request, organisation):
    """engagements.csv: one row per engaged cell of the matrix, in the matrix's order, with
    the team's kind, the stage it covers and whether it is in the ML org; filtered like the
    matrix page."""
    analysis = analysis_of(organisation)
    index = analysis.index
    filters = MatrixFilters.from_query(request.GET)
    findings = analysis.findings if filters.errors_only else []
    columns = [
        column
        for group in build_columns(index, findings, kind=filters.kind)
        for column in group.columns
    ]
    pipelines = filter_pipelines(index, findings, filters)

    def rows():
        yield ENGAGEMENT_COLUMNS
        for pipeline in pipelines:
            roles = {e.team_id: e.role for e in index.engagements_by_pipeline.get(pipeline.id, ())}
            pm_name = index.person_name(pipeline.pm_owner_id) if pipeline.pm_owner_id else ""
            for column in columns:
                if role := roles.get(column.team.id):
                    yield [pipeline.name, pm_name, column.team.name, column.team.kind,
                           column.stage or "", role, _yes_no(column.in_ml_org)]

    return csv_response(rows(), organisation=organisation, name="engagements", request=request)


@export_view
def export_findings(request, organisation):
    """findings.csv: every finding in the findings page's order, or those of `severity` and
    `code` when given, like the page's filters."""
    findings = analysis_of(organisation).findings
    severity = request.GET.get("severity", "")
    code = request.GET.get("code", "")

    def rows():
        yield FINDING_COLUMNS
        for finding in findings:
            if (severity and finding.severity != severity) or (code and finding.code != code):
                continue
            subject = finding.subject
            yield [finding.code, finding.severity, subject.type, subject.id, subject.name,
                   finding.message, finding.base_severity]

    return csv_response(rows(), organisation=organisation, name="findings", request=request)




@export_view
def export_positions(request, organisation):
    """positions.csv, the format the positions import reads back: every position, open,
    filled or cancelled, in the order they were opened, its team and pipeline by name. One
    query, read in chunks; no money (a level's cost is the capacity page's, for admins)."""
    positions = (
        Position.objects.filter(organisation=organisation)
        .order_by("id")
        .values_list("id", "team__name", "title", "role", "level", "fte", "status",
                     "target_date", "pipeline__name")
        .iterator(chunk_size=2000)
    )

    def rows():
        yield POSITION_COLUMNS
        for *fields, target_date, pipeline in positions:
            yield [*fields, target_date.isoformat() if target_date else "", pipeline or ""]

    return csv_response(rows(), organisation=organisation, name="positions", request=request)


CAPACITY_COLUMNS = ["pipeline", "stage", "team", "fte_now", "fte_planned"]


@export_view
def export_capacity(request, organisation):
    """capacity.csv: what each team gives each pipeline, by stage, in FTE now and planned
    (the open positions filled); with `cost` (annual, the organisation's currency) for admins
    and tokens of scope admin only (docs/design.md section 1, cost)."""
    analysis = analysis_of(organisation)
    capacity = analysis.capacity
    money = sees_money(organisation.user_role)
    costs = costs_of(analysis.index, level_costs(organisation), capacity) if money else None

    def rows():
        yield [*CAPACITY_COLUMNS, "cost"] if money else CAPACITY_COLUMNS
        for cell in capacity.cells:
            row = [cell.pipeline.name, cell.stage, cell.team.name, decimal_text(cell.fte),
                   decimal_text(cell.planned_fte)]
            if costs is not None:
                row.append(decimal_text(costs.by_cell[(cell.pipeline.id, cell.team.id)].now, 0))
            yield row

    return csv_response(rows(), organisation=organisation, name="capacity", request=request)
