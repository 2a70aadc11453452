"""The matrix page, /orgs/<slug>/: pipelines as rows, teams as columns, each problem where it
is; editors change a cell in place."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.analysis.findings import count_by_severity
from orgdesign.analysis.kept import after_cell_write, analysis_of
from orgdesign.analysis.matrix import (
    UNOWNED,
    MatrixFilters,
    build_columns,
    build_rows,
    filter_pipelines,
    overview,
    pm_choices,
    rows_per_page,
    stage_coverage,
)
from orgdesign.health.as_of import design_shown
from pipelines import services
from pipelines.models import Lifecycle, Pipeline, Tier
from teams.actor import browser_actor
from teams.models import AccessRole, Team, TeamKind
from teams.services import UNSET


@require_GET
@login_required
def matrix(request, slug):
    organisation = get_org_for_user(request, slug)
    shown = design_shown(organisation, request.GET)
    analysis = shown.analysis
    index, findings = analysis.index, analysis.findings
    filters = MatrixFilters.from_query(request.GET)
    groups = build_columns(index, findings, kind=filters.kind, collapse=filters.collapse)
    column_count = sum(group.span for group in groups)
    pipelines = filter_pipelines(index, findings, filters)
    page = Paginator(pipelines, rows_per_page(column_count)).get_page(request.GET.get("page"))
    context = {
        "organisation": organisation,
        "editable": shown.editable_now and can_edit(organisation),
        **shown.context(),
        "groups": groups,
        "rows": build_rows(index, list(page.object_list), groups, findings),
        "page": page,
        "counts": count_by_severity(findings),
        "structure": analysis.structure,
        "column_count": column_count,
        "team_count": sum(len(group.columns) for group in groups),
        "filters": filters,
        "pm_choices": pm_choices(index),
        "lifecycles": Lifecycle.choices,
        "tiers": Tier.choices,
        "kinds": TeamKind.choices,
        "pipeline_total": len(index.data.pipelines),
        "filtered_total": len(pipelines),
    }
    template = "pipelines/matrix.html#matrix-table" if request.htmx else "pipelines/matrix.html"
    return render(request, template, context)


@require_GET
@login_required
def matrix_overview(request, slug):
    """Every pipeline's stages on one screen, coloured by who owns them, each linking to its
    row in the matrix: where a large organisation's gaps are, at a glance."""
    organisation = get_org_for_user(request, slug)
    analysis = analysis_of(organisation)
    tiles = overview(analysis.index, analysis.findings)
    # The worst first: stages nobody owns, then any problem; the eye goes where they are.
    ordered = sorted(tiles, key=lambda tile: (
        -sum(1 for mark in tile.marks if mark.state == UNOWNED), -tile.problems,
        tile.pipeline.name.casefold()))
    return render(request, "pipelines/overview.html", {
        "organisation": organisation,
        "tiles": ordered,
        "coverage": stage_coverage(tiles),
        "with_problems": sum(1 for tile in tiles if tile.problems),
        "counts": count_by_severity(analysis.findings),
    })


@require_POST
@login_required
def matrix_cell(request, slug, pipeline_id, team_id):
    """Set or clear one cell, then answer with the row, the team's column header and the
    findings counters, recomputed from the server (htmx swaps the last two out of band)."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    pipeline = get_object_or_404(Pipeline, pk=pipeline_id, organisation=organisation)
    team = get_object_or_404(Team, pk=team_id, organisation=organisation)
    role = request.POST.get("role", "")
    message = ""
    status = 200
    # The effort input beside the role sends `set_effort`: its value, or empty to clear it
    # (the role stays the one the editor saw).
    effort = UNSET
    if request.POST.get("set_effort"):
        text = request.POST.get("effort", "").strip()
        effort = int(text) if text.isdigit() and len(text) <= 3 else text or None
    try:
        analysis = after_cell_write(organisation, lambda: services.engagement_set(
            actor=browser_actor(request), pipeline=pipeline, team=team, role=role or None,
            effort=effort, expected=request.POST.get("expected"),
        ))
    except services.CellChanged as changed:
        # Someone changed this cell since the page was drawn: show theirs, change nothing.
        message, status = changed.message, 409
    except ValidationError as error:
        message = " ".join(error.messages)
        status = 400
    if status != 200:
        analysis = analysis_of(organisation)
    index, findings = analysis.index, analysis.findings
    filters = MatrixFilters.from_query(request.POST)
    groups = build_columns(index, findings, kind=filters.kind, collapse=filters.collapse)
    pipeline = index.pipelines_by_id[pipeline.id]
    row = build_rows(index, [pipeline], groups, findings)[0]
    column = next(c for g in build_columns(index, findings, team_ids={team.id}) for c in g.columns)
    return render(
        request,
        "pipelines/matrix_cell_response.html",
        {
            "organisation": organisation,
            "editable": True,
            "row": row,
            "column": column,
            "counts": count_by_severity(findings),
            "message": message,
        },
        status=status,
    )
