from django.contrib import admin
from django.urls import include, path

from orgdesign.views import healthz
from pipelines import views as pipeline_views
from teams import views as team_views

org_patterns = [
    path("", pipeline_views.matrix, name="matrix"),
    path("findings/", pipeline_views.findings, name="findings"),
]

urlpatterns = [
    path("", team_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("orgs/<slug:slug>/", include(org_patterns)),
]
