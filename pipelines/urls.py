"""The matrix, findings and pipelines pages of one organisation, under /orgs/<slug>/, with
the matrix's and the positions' imports and the matrix, engagements, findings and positions
exports."""

from django.urls import path

from pipelines import (
    export_views,
    findings_views,
    matrix_import_views,
    matrix_views,
    pipeline_views,
    positions_import_views,
)

urlpatterns = [
    path("", matrix_views.matrix, name="matrix"),
    path("overview/", matrix_views.matrix_overview, name="matrix_overview"),
    path("cells/<int:pipeline_id>/<int:team_id>/", matrix_views.matrix_cell, name="matrix_cell"),
    path("findings/", findings_views.findings, name="findings"),
    path("export/matrix.csv", export_views.export_matrix, name="export_matrix"),
    path("export/engagements.csv", export_views.export_engagements, name="export_engagements"),
    path("export/findings.csv", export_views.export_findings, name="export_findings"),
    path("import/matrix/", matrix_import_views.import_matrix, name="import_matrix"),
    path(
        "import/matrix/apply/",
        matrix_import_views.import_matrix_apply,
        name="import_matrix_apply",
    ),
    path("pipelines/", pipeline_views.pipelines, name="pipelines"),
    path("pipelines/<int:pk>/", pipeline_views.pipeline_detail, name="pipeline_detail"),
    path(
        "pipelines/<int:pk>/teams/<int:team_id>/effort/",
        pipeline_views.engagement_effort,
        name="engagement_effort",
    ),
    path("export/positions.csv", export_views.export_positions, name="export_positions"),
    path("export/capacity.csv", export_views.export_capacity, name="export_capacity"),
    path("import/positions/", positions_import_views.import_positions, name="import_positions"),
    path(
        "import/positions/apply/",
        positions_import_views.import_positions_apply,
        name="import_positions_apply",
    ),
]
