"""The matrix, findings and pipelines pages of one organisation, under /orgs/<slug>/."""

from django.urls import path

from pipelines import export_views, import_views, pipeline_views, views

urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("cells/<int:pipeline_id>/<int:team_id>/", views.matrix_cell, name="matrix_cell"),
    path("findings/", views.findings, name="findings"),
    path("export/matrix.csv", export_views.export_matrix, name="export_matrix"),
    path("export/engagements.csv", export_views.export_engagements, name="export_engagements"),
    path("export/people.csv", export_views.export_people, name="export_people"),
    path("export/findings.csv", export_views.export_findings, name="export_findings"),
    path("import/", import_views.import_page, name="import"),
    path("import/people/", import_views.import_people, name="import_people"),
    path("import/people/apply/", import_views.import_people_apply, name="import_people_apply"),
    path("import/matrix/", import_views.import_matrix, name="import_matrix"),
    path("import/matrix/apply/", import_views.import_matrix_apply, name="import_matrix_apply"),
    path("pipelines/", pipeline_views.pipelines, name="pipelines"),
    path("pipelines/<int:pk>/", pipeline_views.pipeline_detail, name="pipeline_detail"),
]
