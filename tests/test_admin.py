"""The admin is one more door into the design: it must apply the same rules as the services."""

import pytest
from django.test import Client

from teams import services
from teams.models import Person
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
