"""Creating an organisation, and managing who has which role in it."""

import pytest
from django.test import Client

from teams import services
from teams.models import Organisation, OrganisationAccess
from teams.services import version_of
from tests.factories import AccessFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_user_creates_an_organisation_and_becomes_its_admin():
    user = UserFactory()
    response = login(user).post("/orgs/new/", {"name": "Acme ML", "slug": "acme"})
    assert response.status_code == 302
    assert response["Location"] == "/orgs/acme/"
    organisation = Organisation.objects.get(slug="acme")
    assert OrganisationAccess.objects.get(organisation=organisation, user=user).role == "admin"


def test_a_taken_slug_is_refused_next_to_the_slug():
    OrganisationFactory(slug="acme")
    response = login(UserFactory()).post("/orgs/new/", {"name": "Acme", "slug": "acme"})
    assert response.status_code == 400
    field = response.content.decode().split('id="field-slug"')[1]
    assert "field-error" in field.split("</div>")[0]
    assert Organisation.objects.filter(slug="acme").count() == 1


@pytest.fixture
def org_with_admin():
    organisation = OrganisationFactory()
    admin = UserFactory()
    AccessFactory(organisation=organisation, user=admin, role="admin")
    return organisation, admin


def test_an_admin_adds_a_member(org_with_admin):
    organisation, admin = org_with_admin
    newcomer = UserFactory(username="newcomer")
    response = login(admin).post(
        f"/orgs/{organisation.slug}/members/", {"username": "newcomer", "role": "editor"}
    )
    assert response.status_code == 302
    assert OrganisationAccess.objects.get(organisation=organisation, user=newcomer).role == "editor"


def test_an_unknown_username_is_refused(org_with_admin):
    organisation, admin = org_with_admin
    response = login(admin).post(
        f"/orgs/{organisation.slug}/members/", {"username": "nobody", "role": "editor"}
    )
    assert response.status_code == 400
    assert "No login has this username." in response.content.decode()


def test_the_last_admin_cannot_be_demoted_or_removed(org_with_admin):
    organisation, admin = org_with_admin
    client = login(admin)
    url = f"/orgs/{organisation.slug}/members/{admin.pk}/"
    assert client.post(url, {"role": "viewer"}).status_code == 400
    assert client.post(url, {"role": "none"}).status_code == 400
    assert OrganisationAccess.objects.get(organisation=organisation, user=admin).role == "admin"


def test_an_admin_removes_a_member(org_with_admin):
    organisation, admin = org_with_admin
    member = UserFactory()
    AccessFactory(organisation=organisation, user=member, role="viewer")
    login(admin).post(f"/orgs/{organisation.slug}/members/{member.pk}/", {"role": "none"})
    assert not OrganisationAccess.objects.filter(organisation=organisation, user=member).exists()


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_manage_members(org_with_admin, role):
    organisation, admin = org_with_admin
    user = UserFactory()
    AccessFactory(organisation=organisation, user=user, role=role)
    client = login(user)
    assert client.get(f"/orgs/{organisation.slug}/members/").status_code == 403
    response = client.post(f"/orgs/{organisation.slug}/members/{admin.pk}/", {"role": "viewer"})
    assert response.status_code == 403
    assert OrganisationAccess.objects.get(organisation=organisation, user=admin).role == "admin"


def test_members_of_another_organisation_are_not_reachable(org_with_admin):
    organisation, admin = org_with_admin
    other = OrganisationFactory()
    stranger = UserFactory()
    AccessFactory(organisation=other, user=stranger, role="viewer")
    response = login(admin).post(
        f"/orgs/{organisation.slug}/members/{stranger.pk}/", {"role": "admin"}
    )
    assert response.status_code == 404
    assert OrganisationAccess.objects.get(organisation=other, user=stranger).role == "viewer"


def settings_data(organisation, **changes):
    data = {
        "name": organisation.name,
        "ml_head": organisation.ml_head_id or "",
        "span_max": organisation.span_max,
        "layers_max": organisation.layers_max,
        "version": version_of(organisation),
    }
    data.update(changes)
    return data


def test_an_editor_sets_the_ml_head_and_thresholds():
    organisation = OrganisationFactory()
    editor = UserFactory()
    AccessFactory(organisation=organisation, user=editor, role="editor")
    head = services.person_create(organisation=organisation, name="Hana")
    response = login(editor).post(
        f"/orgs/{organisation.slug}/settings/",
        settings_data(organisation, ml_head=head.pk, span_max=8, layers_max=5),
    )
    assert response.status_code == 200
    assert "Saved." in response.content.decode()
    organisation.refresh_from_db()
    assert (organisation.ml_head_id, organisation.span_max, organisation.layers_max) == (
        head.pk, 8, 5)


def test_an_ml_head_from_another_organisation_is_refused():
    organisation = OrganisationFactory()
    editor = UserFactory()
    AccessFactory(organisation=organisation, user=editor, role="editor")
    stranger = services.person_create(organisation=OrganisationFactory(), name="Stranger")
    response = login(editor).post(
        f"/orgs/{organisation.slug}/settings/", settings_data(organisation, ml_head=stranger.pk)
    )
    assert response.status_code == 400
    organisation.refresh_from_db()
    assert organisation.ml_head_id is None


def test_a_viewer_sees_the_settings_but_cannot_change_them():
    organisation = OrganisationFactory()
    viewer = UserFactory()
    AccessFactory(organisation=organisation, user=viewer, role="viewer")
    client = login(viewer)
    assert client.get(f"/orgs/{organisation.slug}/settings/").status_code == 200
    response = client.post(
        f"/orgs/{organisation.slug}/settings/", settings_data(organisation, span_max=3)
    )
    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.span_max == 10


def test_a_stale_settings_edit_is_refused():
    organisation = OrganisationFactory()
    editor = UserFactory()
    AccessFactory(organisation=organisation, user=editor, role="editor")
    stale = settings_data(organisation, span_max=4)
    services.organisation_update(organisation=organisation, span_max=12)
    response = login(editor).post(f"/orgs/{organisation.slug}/settings/", stale)
    assert response.status_code == 409
    assert 'value="12"' in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.span_max == 12
