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


# Finish the rest (issue 12) -------------------------------------------------------------------


def test_the_home_page_shows_each_organisations_health(demo):
    from orgdesign.analysis.findings import count_by_severity
    from orgdesign.analysis.kept import analyse_afresh

    client = client_for(demo, "viewer")
    findings = analyse_afresh(demo).findings
    counts = count_by_severity(findings)
    html = client.get("/").content.decode()
    row = html[html.index('data-organisation="demo"'):]
    row = row[:row.index("</tr>")]
    assert f'data-severity="error">{counts["error"]}</a>' in row
    assert f'data-severity="warning">{counts["warning"]}</a>' in row
    assert 'data-structure="hybrid"' in row


def test_the_home_page_runs_a_fixed_number_of_queries(demo, django_assert_num_queries):
    from orgdesign.scenarios.services import scenario_create

    client = client_for(demo, "viewer")
    # session, user, the organisations, then their six tables and software catalog in one go
    # each, and their health snapshots of 90 days.
    with django_assert_num_queries(3 + 7 + 1):
        client.get("/")
    for number in range(3):
        scenario = scenario_create(origin=demo, name=f"Copy {number}")
        AccessFactory(organisation=scenario, user=client.user, role="viewer")
    with django_assert_num_queries(3 + 7 + 1):
        html = client.get("/").content.decode()
    assert html.count("scenario of Northwind Media") == 3


def test_seed_demo_says_the_address_it_is_served_at(db, monkeypatch, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True  # the demo login is made only in development
    monkeypatch.setenv("ORGDESIGN_ADDRESS", "http://127.0.0.1:8123")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "http://127.0.0.1:8123/accounts/login/" in out.getvalue()
    assert "8000" not in out.getvalue()


def test_a_favicon_is_served(client):
    assert client.get("/favicon.ico").status_code == 301
    html = client.get("/accounts/login/").content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html


def test_the_pipelines_page_filters_and_says_stages_in_words(demo):
    client = client_for(demo, "editor")
    html = client.get("/orgs/demo/pipelines/?lifecycle=incubating").content.decode()
    assert "Fraud scoring" in html and "Ad click prediction" not in html
    assert "2 pipelines match the filters" in html
    assert '<span class="stage-chip">Infrastructure</span>' in html
    assert "<summary>Add a pipeline</summary>" in html  # folded until wanted


def test_the_500_page_needs_no_database(django_assert_num_queries):
    from django.test import RequestFactory

    from orgdesign.web.errors import server_error

    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
