"""The first pages: the read-only matrix and the findings list, behind a login."""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from orgdesign.analysis.catalogue import CATALOGUE, SEVERITY_RULES
from pipelines.generator import generate_org
from pipelines.models import Engagement, Pipeline
from teams.models import Person, Team
from tests.factories import AccessFactory, OrganisationFactory, UserFactory
from tests.pages import without_csrf

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]



def test_pages_need_a_login(client, demo):
    for url in ("/", "/orgs/demo/", "/orgs/demo/findings/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_login_page_renders(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_healthz_answers_without_a_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200


def test_an_organisation_without_access_is_not_found(logged_in_client, demo):
    assert logged_in_client.get("/orgs/demo/").status_code == 404
    assert logged_in_client.get("/orgs/demo/findings/").status_code == 404
    assert logged_in_client.get("/orgs/no-such-org/").status_code == 404


def test_the_home_page_lists_only_the_organisations_of_the_user(viewer, demo):
    OrganisationFactory(name="Someone Else's Org")
    content = viewer.get("/").content.decode()
    assert demo.name in content
    assert "Someone Else" not in content


def test_the_matrix_shows_pipelines_teams_and_roles(viewer, demo):
    response = viewer.get("/orgs/demo/")
    assert response.status_code == 200
    content = response.content.decode()
    for pipeline in Pipeline.objects.filter(organisation=demo):
        assert f'data-pipeline="{pipeline.id}"' in content
    engagement = Engagement.objects.select_related("pipeline", "team").filter(
        pipeline__name="Search relevance", team__name="Labeling Ops"
    ).get()
    cell = re.search(
        rf'<td data-pipeline="{engagement.pipeline_id}" data-team="{engagement.team_id}"'
        r'[^>]*>([^<]*)(?:<small class="components".*?</small>)?</td>',
        content,
    )
    # The role, then the components of the catalog behind the cell (search-judgements).
    assert cell and cell.group(1).strip() == "owner"
    assert 'data-components="1"' in content
    assert "Jonas Weber" in content  # the PM of the row


def test_the_matrix_marks_teams_outside_the_ml_org(viewer, demo):
    content = viewer.get("/orgs/demo/").content.decode()
    platform = Team.objects.get(organisation=demo, name="ML Platform")
    tooling = Team.objects.get(organisation=demo, name="ML Tooling")
    header = re.search(rf'<th scope="col" id="team-{platform.id}"[^>]* class="([^"]*)"', content)
    assert header and "outside" in header.group(1).split()
    header = re.search(rf'<th scope="col" id="team-{tooling.id}"[^>]* class="([^"]*)"', content)
    assert header and "outside" not in header.group(1).split()


def test_the_matrix_groups_teams_by_kind_in_pipeline_order(viewer, demo):
    content = viewer.get("/orgs/demo/").content.decode()
    positions = [content.index(label) for label in
                 ("Data operations", "Tooling", "Infrastructure", "Modeling", "Deployment",
                  "Product squad")]
    assert positions == sorted(positions)


def test_the_findings_page_lists_the_demo_problems_grouped_by_severity(viewer, demo):
    content = viewer.get("/orgs/demo/findings/").content.decode()
    for code in (
        "dependency.outside_ml_org",
        "pipeline.no_pm",
        "pipeline.stage_unowned",
        "team.kpi_output_volume",
        "person.over_allocated",
    ):
        assert f'data-finding="{code}"' in content
    errors = content.index('<section class="severity-group error"')
    warnings = content.index('<section class="severity-group warning"')
    assert errors < warnings
    assert content.index('data-finding="pipeline.no_pm"') < warnings
    assert content.index('data-finding="person.over_allocated"') > warnings


def test_the_findings_page_filters_by_code(viewer, demo):
    content = viewer.get("/orgs/demo/findings/?code=pipeline.no_pm").content.decode()
    assert 'data-finding="pipeline.no_pm"' in content
    assert 'data-finding="dependency.outside_ml_org"' not in content


def test_the_findings_page_explains_each_code(viewer, demo):
    content = viewer.get("/orgs/demo/findings/").content.decode()
    assert "all of its critical dependencies under the same management" in content


def test_the_findings_page_shows_the_whole_catalogue_with_the_new_texts(viewer, demo):
    content = viewer.get("/orgs/demo/findings/?code=pipeline.no_pm").content.decode()
    # Every code, also those this page's filter hides or the design does not raise.
    for code in CATALOGUE:
        assert f'data-code="{code}"' in content
    for text in (
        CATALOGUE["team.kpi_publications"].why,
        CATALOGUE["pipeline.stage_unowned"].fix,
        CATALOGUE["person.unallocated"].fix,
        *SEVERITY_RULES,
    ):
        assert escape(text) in content


def test_a_finding_moved_off_its_base_severity_says_so(viewer, demo):
    Pipeline.objects.filter(organisation=demo, name="Content moderation").update(tier="critical")

    content = viewer.get("/orgs/demo/findings/?code=pipeline.no_metric").content.decode()

    item = re.search(r'<li class="finding error" data-finding="pipeline.no_metric">.*?</li>',
                     content, re.S)
    assert item is not None
    assert 'data-base-severity="warning"' in item.group(0)


def test_names_are_escaped(viewer, demo):
    Person.objects.filter(organisation=demo, name="Jonas Weber").update(
        name="<script>alert(1)</script>"
    )
    content = viewer.get("/orgs/demo/").content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content




@pytest.mark.parametrize("url", ["/orgs/{slug}/", "/orgs/{slug}/findings/"])
def test_page_queries_do_not_grow_with_the_organisation(django_assert_num_queries, url):
    sizes = []
    for people, teams, pipelines in ((400, 20, 20), (2000, 80, 120)):
        organisation = OrganisationFactory()
        generate_org(organisation, people=people, teams=teams, pipelines=pipelines, seed=7)
        user = UserFactory()
        AccessFactory(organisation=organisation, user=user)
        client = Client()
        client.force_login(user)
        # session, user, organisation with the user's role; the first read of the design's
        # version reads the organisation again (its settings and version together), then one
        # query per table: people, teams, memberships, pipelines, engagements, positions, and
        # the software catalog the generator plants.
        with django_assert_num_queries(11):
            response = client.get(url.format(slug=organisation.slug))
        assert response.status_code == 200
        # Then the analysis is kept (orgdesign.analysis.kept): session, user, organisation.
        with django_assert_num_queries(3):
            again = client.get(url.format(slug=organisation.slug))
        assert without_csrf(again.content) == without_csrf(response.content)
        assert b"data-finding=" in response.content
        sizes.append(Person.objects.filter(organisation=organisation).count())
    assert sizes[1] >= sizes[0] * 5


def test_each_finding_links_to_the_object_to_fix(viewer, demo):
    content = viewer.get("/orgs/demo/findings/").content.decode()
    podcast = Pipeline.objects.get(organisation=demo, name="Podcast recommendations")
    platform = Team.objects.get(organisation=demo, name="ML Platform")
    mia = Person.objects.get(organisation=demo, name="Mia Novak")
    for code, url in (
        ("pipeline.no_pm", f"/orgs/demo/pipelines/{podcast.pk}/"),
        ("dependency.outside_ml_org", f"/orgs/demo/teams/{platform.pk}/"),
        ("person.over_allocated", f"/orgs/demo/people/{mia.pk}/"),
    ):
        items = re.findall(rf'<li class="finding [a-z]+" data-finding="{re.escape(code)}">.*?</li>',
                           content, re.S)
        assert any(f'href="{url}"' in item for item in items)
        assert viewer.get(url).status_code == 200
