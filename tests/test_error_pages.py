"""Errors explain themselves (issue 12): 403, 404 and 500 pages inside the app's layout; a 403
says which role is needed, which the user holds, and who the organisation's admins are."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from orgdesign import urls as project_urls
from tests.factories import AccessFactory, UserFactory, client_for

pytestmark = pytest.mark.django_db


def test_an_admin_page_tells_a_viewer_the_role_needed_and_who_grants_it(org, viewer):
    admin = UserFactory(username="grace", first_name="Grace", last_name="Hopper",
                        email="grace@example.com")
    AccessFactory(organisation=org, user=admin, role="admin")
    response = viewer.get(f"/orgs/{org.slug}/members/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "This needs the <strong>admin</strong> role in Acme; you are a <strong>viewer</strong>" \
        in html
    assert "Grace Hopper" in html and 'href="mailto:grace@example.com"' in html
    assert 'class="topbar"' in html  # inside the app's layout, with its navigation
    assert 'aria-label="Organisation"' in html


def test_an_editor_page_tells_a_viewer_what_editors_do(org, viewer):
    response = viewer.post(f"/orgs/{org.slug}/people/new/", {"name": "Ada"})
    assert response.status_code == 403
    assert "Editors change the design" in response.content.decode()


def test_an_organisation_without_an_admin_says_so(org, viewer):
    html = viewer.get(f"/orgs/{org.slug}/members/").content.decode()
    assert "Acme has no admin yet" in html


def test_an_admins_names_are_escaped(org, viewer):
    admin = UserFactory(username="x", first_name="<script>alert(1)</script>")
    AccessFactory(organisation=org, user=admin, role="admin")
    html = viewer.get(f"/orgs/{org.slug}/members/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_the_api_still_answers_json_for_a_role_too_low(org, reader):
    response = reader.post(f"/api/v1/orgs/{org.slug}/people/", {"name": "Ada"}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")


def test_an_unknown_address_answers_the_layouts_404(org):
    client = client_for(org, "viewer")
    response = client.get("/orgs/acme/people/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Nothing here" in html and 'class="topbar"' in html


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), *project_urls.urlpatterns]
handler500 = project_urls.handler500


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_answers_the_layouts_500():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and "saved whole or not at all" in html
