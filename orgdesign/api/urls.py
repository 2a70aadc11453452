"""The REST API (v1), its OpenAPI schema and docs, under /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from orgdesign.health.api import HealthView
from orgdesign.jobs.api import JobView
from orgdesign.scenarios.api import (
    CompareView,
    MergesView,
    MergeUndoView,
    ScenarioChangesView,
    ScenarioConflictsView,
    ScenarioMergeView,
    ScenarioRebaseView,
    ScenarioReviewView,
)
from orgdesign.scenarios.fix_api import FixAllView, RemediesView
from pipelines import api as pipelines_api
from teams import api as teams_api

router = SimpleRouter()
router.register("people", teams_api.PersonViewSet, basename="api-person")
router.register("teams", teams_api.TeamViewSet, basename="api-team")
router.register("memberships", teams_api.MembershipViewSet, basename="api-membership")
router.register("pipelines", pipelines_api.PipelineViewSet, basename="api-pipeline")
router.register("engagements", pipelines_api.EngagementViewSet, basename="api-engagement")
router.register("levels", teams_api.LevelViewSet, basename="api-level")
router.register("positions", pipelines_api.PositionViewSet, basename="api-position")
router.register("findings/codes", pipelines_api.CatalogueViewSet, basename="api-finding-code")
router.register("findings", pipelines_api.FindingViewSet, basename="api-finding")

organisation_urls = [
    path("", teams_api.OrganisationView.as_view(), name="api-organisation"),
    path("people/sync/", teams_api.PeopleSyncView.as_view(), name="api-people-sync"),
    path("matrix/", pipelines_api.MatrixView.as_view(), name="api-matrix"),
    path("health/", HealthView.as_view(), name="api-health"),
    path("catalog/", pipelines_api.CatalogView.as_view(), name="api-catalog"),
    # <str:> so that any value answers a JSON 404, not the HTML page of an unmatched URL.
    path("compare/<str:other>/", CompareView.as_view(), name="api-compare"),
    path("scenarios/<str:scenario>/changes/", ScenarioChangesView.as_view(),
         name="api-scenario-changes"),
    path("scenarios/<str:scenario>/conflicts/", ScenarioConflictsView.as_view(),
         name="api-scenario-conflicts"),
    path("scenarios/<str:scenario>/review/", ScenarioReviewView.as_view(),
         name="api-scenario-review"),
    path("scenarios/<str:scenario>/merge/", ScenarioMergeView.as_view(),
         name="api-scenario-merge"),
    path("scenarios/<str:scenario>/rebase/", ScenarioRebaseView.as_view(),
         name="api-scenario-rebase"),
    path("merges/", MergesView.as_view(), name="api-merges"),
    path("merges/<int:pk>/undo/", MergeUndoView.as_view(), name="api-merge-undo"),
    path("jobs/<uuid:pk>/", JobView.as_view(), name="api-job"),
    path("findings/fix-all/", FixAllView.as_view(), name="api-fix-all"),
    path("findings/<str:key>/remedies/", RemediesView.as_view(), name="api-remedies"),
    *router.urls,
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script (orgdesign.web.headers).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/orgs/<slug:slug>/", include(organisation_urls)),
]
