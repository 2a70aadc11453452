"""The matrix, findings and pipelines pages of one organisation, under /orgs/<slug>/."""

from django.urls import path

from pipelines import export_views, pipeline_views, views

urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("cells/<int:pipeline_id>/<int:team_id>/", views.matrix_cell, name="matrix_cell"),
    path("findings/", views.findings, name="findings"),
    path("export/matrix.csv", export_views.export_matrix, name="export_matrix"),
    path("pipelines/", pipeline_views.pipelines, name="pipelines"),
    path("pipelines/<int:pk>/", pipeline_views.pipeline_detail, name="pipeline_detail"),
]
