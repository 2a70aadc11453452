"""CSV exports of a design, streamed so memory stays flat whatever the size."""

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from pipelines.csv_format import stream_rows
from pipelines.findings import compute_findings
from pipelines.loader import load_org_data
from pipelines.matrix import MatrixFilters, build_columns, build_rows, filter_pipelines
from pipelines.orgdata import OrgIndex
from teams.access import get_org_for_user


def _csv_response(rows, *, organisation, name: str, bom: bool) -> StreamingHttpResponse:
    filename = f"{organisation.slug}-{name}-{timezone.localdate().isoformat()}.csv"
    response = StreamingHttpResponse(
        stream_rows(rows, bom=bom), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@login_required
def export_matrix(request, slug):
    """matrix.csv: pipeline, pm_owner, lifecycle, then one column per team (its role or
    empty), filtered like the matrix page when its filters are given."""
    organisation = get_org_for_user(request, slug)
    data = load_org_data(organisation)
    index = OrgIndex(data)
    filters = MatrixFilters.from_query(request.GET)
    findings = compute_findings(data, index) if filters.errors_only else []
    groups = build_columns(index, findings, kind=filters.kind)
    teams = [column.team for group in groups for column in group.columns]
    pipelines = filter_pipelines(index, findings, filters)

    def rows():
        yield ["pipeline", "pm_owner", "lifecycle", *(team.name for team in teams)]
        for row in build_rows(index, pipelines, groups, []):
            yield [row.pipeline.name, row.pm_name, row.pipeline.lifecycle,
                   *(cell.role for cell in row.cells)]

    return _csv_response(
        rows(), organisation=organisation, name="matrix", bom=request.GET.get("bom") == "1"
    )
