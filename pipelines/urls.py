"""The matrix, findings and pipelines pages of one organisation, under /orgs/<slug>/."""

from django.urls import path

from pipelines import views

urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("findings/", views.findings, name="findings"),
]
