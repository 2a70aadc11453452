"""People and teams pages of one organisation, under /orgs/<slug>/, with the people import
and people.csv."""

from django.urls import path

from teams import (
    connector_views,
    export_views,
    people_import_views,
    people_views,
    picker_views,
    team_views,
)

urlpatterns = [
    path("people/", people_views.people, name="people"),
    path("people/new/", people_views.person_create, name="person_create"),
    path("people/search/", picker_views.person_search, name="person_search"),
    path("people/picker/", picker_views.person_pick, name="person_pick"),
    path("people/<int:pk>/", people_views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", people_views.person_update, name="person_update"),
    path("people/<int:pk>/deactivate/", people_views.person_deactivate, name="person_deactivate"),
    path(
        "people/<int:pk>/memberships/",
        people_views.person_membership_set,
        name="person_membership_set",
    ),
    path(
        "people/<int:pk>/memberships/<int:team_pk>/remove/",
        people_views.person_membership_remove,
        name="person_membership_remove",
    ),
    path("export/people.csv", export_views.export_people, name="export_people"),
    path("import/people/", people_import_views.import_people, name="import_people"),
    path(
        "import/people/columns/",
        people_import_views.import_people_remap,
        name="import_people_remap",
    ),
    path(
        "import/people/apply/",
        people_import_views.import_people_apply,
        name="import_people_apply",
    ),
    path("connectors/", connector_views.connectors, name="connectors"),
    path("connectors/<str:directory>/run/", connector_views.connector_run,
         name="connector_run"),
    path("connectors/<str:directory>/delete/", connector_views.connector_remove,
         name="connector_delete"),
    path("teams/", team_views.teams, name="teams"),
    path("teams/new/", team_views.team_create, name="team_create"),
    path("teams/<int:pk>/", team_views.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", team_views.team_update, name="team_update"),
    path("teams/<int:pk>/delete/", team_views.team_delete, name="team_delete"),
    path("teams/<int:pk>/members/", team_views.team_member_set, name="team_member_set"),
    path(
        "teams/<int:pk>/members/<int:person_pk>/remove/",
        team_views.team_member_remove,
        name="team_member_remove",
    ),
]
