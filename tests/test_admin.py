"""The admin is one more door into the design: it must apply the same rules as the services."""

import pytest
from django.db.models import RestrictedError
from django.test import Client

from pipelines import services as pipeline_services
from pipelines.models import Engagement
from teams import services
from teams.models import OrganisationAccess, Person, Team
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def person_form(person, **changes):
    data = {
        "organisation": person.organisation_id,
        "external_id": person.external_id,
        "name": person.name,
        "email": person.email,
        "title": person.title,
        "role": person.role,
        "worker_type": person.worker_type,
        "user_type": person.user_type,
        "level": person.level,
        "manager": person.manager_id or "",
        "active": "on" if person.active else "",
    }
    data.update(changes)
    return data


def test_the_admin_refuses_a_manager_change_that_closes_a_cycle(admin_client):
    org = OrganisationFactory()
    ada = services.person_create(organisation=org, name="Ada")
    bob = services.person_create(organisation=org, name="Bob", manager=ada)

    response = admin_client.post(
        f"/admin/teams/person/{ada.pk}/change/", person_form(ada, manager=bob.pk)
    )

    assert response.status_code == 200  # the form again, with the error
    assert "Ada → Bob → Ada" in response.content.decode()
    ada.refresh_from_db()
    assert ada.manager_id is None


def test_the_admin_saves_a_valid_person_through_the_services(admin_client):
    org = OrganisationFactory()
    ada = services.person_create(organisation=org, name="Ada")
    bob = services.person_create(organisation=org, name="Bob")

    response = admin_client.post(
        f"/admin/teams/person/{bob.pk}/change/", person_form(bob, manager=ada.pk, title="Lead")
    )

    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.manager_id, bob.title) == (ada.pk, "Lead")


def test_the_admin_refuses_a_manager_from_another_organisation(admin_client):
    org = OrganisationFactory()
    ada = services.person_create(organisation=org, name="Ada")
    stranger = services.person_create(organisation=OrganisationFactory(), name="Stranger")

    response = admin_client.post(
        f"/admin/teams/person/{ada.pk}/change/", person_form(ada, manager=stranger.pk)
    )

    assert response.status_code == 200
    assert "another organisation" in response.content.decode()
    ada.refresh_from_db()
    assert ada.manager_id is None


def test_the_admin_cannot_delete_people(admin_client):
    ada = services.person_create(organisation=OrganisationFactory(), name="Ada")
    response = admin_client.post(f"/admin/teams/person/{ada.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Person.objects.filter(pk=ada.pk).exists()


def test_the_admin_refuses_an_allocation_of_150(admin_client):
    org = OrganisationFactory()
    person = services.person_create(organisation=org, name="Ada")
    team = services.team_create(organisation=org, name="Models", kind="modeling")
    response = admin_client.post(
        "/admin/teams/membership/add/",
        {"person": person.pk, "team": team.pk, "allocation": 150},
    )
    assert response.status_code == 200
    assert not person.memberships.exists()


# Gaps the admin had around the services: deleting an engaged team, losing the last admin.


def engaged_team(org):
    team = services.team_create(organisation=org, name="ML Platform", kind="infrastructure")
    pipeline = pipeline_services.pipeline_create(organisation=org, name="Feed ranking")
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role="owner")
    return team


def test_the_admin_cannot_delete_a_team_that_pipelines_engage(admin_client):
    org = OrganisationFactory()
    team = engaged_team(org)

    response = admin_client.post(f"/admin/teams/team/{team.pk}/delete/", {"post": "yes"})

    assert response.status_code in (200, 302, 403)
    assert Team.objects.filter(pk=team.pk).exists()
    assert Engagement.objects.filter(team=team).count() == 1


def test_the_admin_cannot_delete_an_engaged_team_in_bulk_either(admin_client):
    org = OrganisationFactory()
    team = engaged_team(org)

    admin_client.post(
        "/admin/teams/team/",
        {"action": "delete_selected", "_selected_action": [team.pk], "post": "yes"},
    )

    assert Team.objects.filter(pk=team.pk).exists()
    assert Engagement.objects.filter(team=team).count() == 1


def test_the_admin_deletes_a_team_no_pipeline_engages_and_keeps_its_people(admin_client):
    org = OrganisationFactory()
    team = services.team_create(organisation=org, name="Guild", kind="other")
    ada = services.person_create(organisation=org, name="Ada")
    services.membership_set(person=ada, team=team, allocation=50)

    response = admin_client.post(f"/admin/teams/team/{team.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Team.objects.filter(pk=team.pk).exists()
    assert Person.objects.filter(pk=ada.pk).exists()


def last_admin(org):
    user = UserFactory()
    services.access_grant(organisation=org, user=user, role="admin")
    return OrganisationAccess.objects.get(organisation=org, user=user)


def test_the_admin_cannot_remove_an_organisations_last_admin(admin_client):
    access = last_admin(OrganisationFactory())

    admin_client.post(f"/admin/teams/organisationaccess/{access.pk}/delete/", {"post": "yes"})

    assert OrganisationAccess.objects.filter(pk=access.pk, role="admin").exists()


def test_the_admin_cannot_remove_the_last_admin_in_bulk(admin_client):
    access = last_admin(OrganisationFactory())

    admin_client.post(
        "/admin/teams/organisationaccess/",
        {"action": "delete_selected", "_selected_action": [access.pk], "post": "yes"},
    )

    assert OrganisationAccess.objects.filter(pk=access.pk, role="admin").exists()


def test_the_admin_cannot_demote_the_last_admin(admin_client):
    access = last_admin(OrganisationFactory())

    response = admin_client.post(
        f"/admin/teams/organisationaccess/{access.pk}/change/",
        {"organisation": access.organisation_id, "user": access.user_id, "role": "viewer"},
    )

    assert response.status_code == 200  # the form again, with the error
    assert "last admin" in response.content.decode()
    access.refresh_from_db()
    assert access.role == "admin"


def test_the_admin_removes_an_admin_when_another_remains(admin_client):
    org = OrganisationFactory()
    first = last_admin(org)
    last_admin(org)

    response = admin_client.post(
        f"/admin/teams/organisationaccess/{first.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not OrganisationAccess.objects.filter(pk=first.pk).exists()


def test_deleting_a_whole_organisation_still_takes_its_matrix_with_it():
    org = OrganisationFactory()
    team = engaged_team(org)

    org.delete()

    assert not Team.objects.filter(pk=team.pk).exists()
    assert not Engagement.objects.filter(team_id=team.pk).exists()


def test_no_door_deletes_an_engaged_team_behind_the_services():
    team = engaged_team(OrganisationFactory())

    with pytest.raises(RestrictedError):
        team.delete()


# Positions and levels: one more door, the same services ------------------------------------


def test_the_admin_opens_edits_and_cancels_a_position_through_the_services(admin_client):
    from pipelines.models import Position

    org = OrganisationFactory()
    team = services.team_create(organisation=org, name="Serving", kind="deployment")
    form = {"organisation": org.pk, "team": team.pk, "title": "SRE", "role": "other",
            "level": "L5", "fte": 100, "target_date": "", "pipeline": ""}
    assert admin_client.post("/admin/pipelines/position/add/", form).status_code == 302
    position = Position.objects.get()
    assert position.history.first().updated_via == "admin"
    refused = admin_client.post(f"/admin/pipelines/position/{position.pk}/change/",
                                {**form, "fte": 150})
    assert refused.status_code == 200
    other = services.team_create(organisation=OrganisationFactory(), name="Elsewhere")
    refused = admin_client.post(f"/admin/pipelines/position/{position.pk}/change/",
                                {**form, "team": other.pk})
    assert refused.status_code == 200 and "belongs to another organisation" in \
        refused.content.decode()
    admin_client.post("/admin/pipelines/position/", {
        "action": "cancel", "_selected_action": [position.pk]})
    position.refresh_from_db()
    assert position.status == "cancelled"
    assert position.history.first().status == "cancelled"
    # A cancelled position keeps its team and FTE: the form says so, nothing is written.
    refused = admin_client.post(f"/admin/pipelines/position/{position.pk}/change/",
                                {**form, "fte": 50})
    assert refused.status_code == 200 and "part of the record" in refused.content.decode()
    position.refresh_from_db()
    assert position.fte == 100


def test_the_admin_keeps_the_level_table_through_the_services(admin_client):
    from teams.models import Level

    org = OrganisationFactory()
    form = {"organisation": org.pk, "name": "L5", "annual_cost": 200000}
    assert admin_client.post("/admin/teams/level/add/", form).status_code == 302
    assert Level.objects.get().history.first().updated_via == "admin"
    taken = admin_client.post("/admin/teams/level/add/", form)
    assert taken.status_code == 200
    assert Level.objects.count() == 1
