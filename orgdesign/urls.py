from django.contrib import admin
from django.urls import include, path

from orgdesign.csvio.views import import_page
from orgdesign.health import views as health_views
from orgdesign.history import views as history_views
from orgdesign.jobs import views as jobs_views
from orgdesign.scenarios import fix_views
from orgdesign.scenarios import views as scenario_views
from orgdesign.web.views import favicon, healthz
from pipelines import capacity_views, catalog_views, position_views
from pipelines.structure_views import structure
from teams import level_views, org_views
from teams.chart_views import chart_data, chart_move, org_chart
from teams.home_views import home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("orgdesign.api.urls")),
    path("scim/v2/", include("teams.scim.urls")),
    path("orgs/new/", org_views.org_create, name="org_create"),
    path("orgs/<slug:slug>/settings/", org_views.org_settings, name="org_settings"),
    path("orgs/<slug:slug>/settings/merge-approval/", org_views.org_merge_approval,
         name="org_merge_approval"),
    path("orgs/<slug:slug>/settings/levels/", level_views.level_table, name="levels"),
    path("orgs/<slug:slug>/settings/levels/<int:pk>/", level_views.level_update,
         name="level_update"),
    path("orgs/<slug:slug>/settings/levels/<int:pk>/delete/", level_views.level_delete,
         name="level_delete"),
    path("orgs/<slug:slug>/settings/currency/", level_views.currency_set, name="currency_set"),
    path("orgs/<slug:slug>/members/", org_views.members, name="members"),
    path("orgs/<slug:slug>/tokens/", org_views.api_tokens, name="api_tokens"),
    path("orgs/<slug:slug>/tokens/<int:pk>/revoke/", org_views.api_token_revoke,
         name="api_token_revoke"),
    path("orgs/<slug:slug>/members/<int:user_id>/", org_views.member_change, name="member_change"),
    path("orgs/<slug:slug>/chart/", org_chart, name="chart"),
    path("orgs/<slug:slug>/chart/data/", chart_data, name="chart_data"),
    path("orgs/<slug:slug>/chart/move/", chart_move, name="chart_move"),
    path("orgs/<slug:slug>/structure/", structure, name="structure"),
    path("orgs/<slug:slug>/health/", health_views.health, name="health"),
    path("orgs/<slug:slug>/catalog/", catalog_views.catalog, name="catalog"),
    path("orgs/<slug:slug>/catalog/preview/", catalog_views.catalog_preview,
         name="catalog_preview"),
    path("orgs/<slug:slug>/catalog/import/", catalog_views.catalog_import,
         name="catalog_import"),
    path("orgs/<slug:slug>/catalog/forget/", catalog_views.catalog_forget,
         name="catalog_forget"),
    path("orgs/<slug:slug>/catalog/<int:pk>/match/", catalog_views.catalog_match_view,
         name="catalog_match"),
    path("orgs/<slug:slug>/health/<slug:chart>.csv", health_views.health_csv,
         name="health_csv"),
    path("orgs/<slug:slug>/capacity/", capacity_views.capacity, name="capacity"),
    path("orgs/<slug:slug>/positions/", position_views.positions, name="positions"),
    path("orgs/<slug:slug>/positions/<int:pk>/", position_views.position_detail,
         name="position_detail"),
    path("orgs/<slug:slug>/positions/<int:pk>/edit/", position_views.position_update,
         name="position_update"),
    path("orgs/<slug:slug>/positions/<int:pk>/row/", position_views.position_row,
         name="position_row"),
    path("orgs/<slug:slug>/positions/<int:pk>/fill/", position_views.position_fill,
         name="position_fill"),
    path("orgs/<slug:slug>/positions/<int:pk>/cancel/", position_views.position_cancel,
         name="position_cancel"),
    path("orgs/<slug:slug>/import/", import_page, name="import"),
    path("orgs/<slug:slug>/scenarios/", scenario_views.scenarios, name="scenarios"),
    path("orgs/<slug:slug>/scenarios/<str:scenario>/changes/", scenario_views.scenario_changes,
         name="scenario_changes"),
    path("orgs/<slug:slug>/scenarios/<str:scenario>/review/", scenario_views.scenario_review,
         name="scenario_review"),
    path("orgs/<slug:slug>/scenarios/<str:scenario>/merge/",
         scenario_views.scenario_merge_start, name="scenario_merge"),
    path("orgs/<slug:slug>/scenarios/<str:scenario>/rebase/",
         scenario_views.scenario_rebase_start, name="scenario_rebase"),
    path("orgs/<slug:slug>/merges/<int:pk>/undo/", scenario_views.merge_undo_start,
         name="merge_undo"),
    path("orgs/<slug:slug>/promote/", scenario_views.promote, name="promote"),
    path("orgs/<slug:slug>/scenario/delete/", scenario_views.scenario_delete_view,
         name="scenario_delete"),
    path("orgs/<slug:slug>/jobs/<uuid:pk>/", jobs_views.job, name="job"),
    path("orgs/<slug:slug>/history/", history_views.history, name="history"),
    path("orgs/<slug:slug>/findings/fix-all/", fix_views.fix_all, name="fix_all"),
    path("orgs/<slug:slug>/findings/<str:key>/remedies/", fix_views.remedies,
         name="remedies"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", favicon),
    path(
        "orgs/<slug:slug>/history/<str:kind>/<int:history_id>/restore/",
        history_views.history_restore,
        name="history_restore",
    ),
    path(
        "orgs/<slug:slug>/compare/<slug:other_slug>/", scenario_views.compare, name="compare"
    ),
    path("orgs/<slug:slug>/", include("pipelines.urls")),
    path("orgs/<slug:slug>/", include("teams.urls")),
]

# Error pages inside the app's layout (orgdesign/web/errors.py).
handler403 = "orgdesign.web.errors.permission_denied"
handler404 = "orgdesign.web.errors.page_not_found"
handler500 = "orgdesign.web.errors.server_error"
