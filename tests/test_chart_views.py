"""The org chart page at /orgs/<slug>/chart/ and its on-demand subtrees."""

import re

import pytest

from orgdesign.analysis.chart import CHILDREN_LIMIT
from pipelines.generator import generate_org
from teams.models import Person
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    """CEO > VP ML (the ML head) > science manager > scientists, one of whom left with a
    report still under them; CEO > VP Infrastructure > the lead of Compute Platform, an
    infrastructure team a pipeline depends on; and someone without a manager."""
    org = OrganisationFactory(slug="acme", name="Acme")

    def person(name, manager=None, **fields):
        return PersonFactory(organisation=org, name=name, manager=manager, **fields)

    people = {}
    people["ceo"] = person("Helena Brandt", title="Chief Executive Officer", role="executive")
    people["vp_ml"] = person("Amara Okafor", people["ceo"], title="VP Machine Learning",
                             role="executive")
    people["vp_infra"] = person("Priya Shah", people["ceo"], title="VP Infrastructure",
                                role="executive")
    people["science"] = person("Ines Duarte", people["vp_ml"], title="Science Manager",
                               role="science_manager")
    people["scientist"] = person("Lucas Almeida", people["science"], title="Applied Scientist",
                                 role="scientist")
    people["left"] = person("Omar Farouk", people["science"], role="scientist", active=False)
    people["orphan"] = person("Mia Novak", people["left"], role="ml_engineer")
    people["infra_lead"] = person("Dana Kim", people["vp_infra"], role="engineering_manager")
    people["loner"] = person("Yuki Tanaka", title="Contractor")
    org.ml_head = people["vp_ml"]
    org.save()

    ranking = TeamFactory(organisation=org, name="Ranking Models", kind="modeling",
                          lead=people["science"])
    MembershipFactory(person=people["scientist"], team=ranking)
    platform = TeamFactory(organisation=org, name="Compute Platform", kind="infrastructure",
                           lead=people["infra_lead"])
    MembershipFactory(person=people["infra_lead"], team=platform)
    pipeline = PipelineFactory(organisation=org, name="Feed ranking")
    EngagementFactory(pipeline=pipeline, team=ranking, role="owner")
    EngagementFactory(pipeline=pipeline, team=platform, role="service")
    return org, people




@pytest.fixture
def viewer(company):
    return client_for(company[0])


def node_of(content: str, person) -> str:
    """The opening tag of a person's node and their card, up to their reports."""
    match = re.search(
        rf'<li class="([^"]*)" data-person="{person.id}" data-ml-org="(\w+)" '
        r'data-active="(\w+)">(.*?)(?:<ul class="reports"|</li>)',
        content,
        re.S,
    )
    assert match, f"{person.name} is not on the page"
    return match


def test_the_chart_renders_the_reporting_lines_for_a_viewer(viewer, company):
    _, people = company
    response = viewer.get("/orgs/acme/chart/")

    assert response.status_code == 200
    content = response.content.decode()
    scientist = node_of(content, people["scientist"]).group(4)
    assert "Lucas Almeida" in scientist
    assert "Applied Scientist" in scientist  # title
    assert "Scientist" in scientist.replace("Applied Scientist", "")  # role
    assert "Ranking Models" in scientist  # main team
    # The scientist is below the science manager, below the ML head, below the CEO.
    positions = [content.index(f'data-person="{people[key].id}"')
                 for key in ("ceo", "vp_ml", "science", "scientist")]
    assert positions == sorted(positions)


def test_the_chart_needs_a_login(client, company):
    response = client.get("/orgs/acme/chart/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_organisation_without_access_has_no_chart(logged_in_client, company):
    assert logged_in_client.get("/orgs/acme/chart/").status_code == 404


def test_the_chart_answers_get_only(viewer, company):
    assert viewer.post("/orgs/acme/chart/").status_code == 405


def test_the_ml_org_is_highlighted_and_nobody_else(viewer, company):
    _, people = company
    content = viewer.get("/orgs/acme/chart/").content.decode()

    for key in ("vp_ml", "science", "scientist"):
        node = node_of(content, people[key])
        assert "ml-org" in node.group(1).split() and node.group(2) == "true"
    for key in ("ceo", "vp_infra"):
        node = node_of(content, people[key])
        assert "ml-org" not in node.group(1).split() and node.group(2) == "false"
        assert "outside" in node.group(1).split()
    # No manager and not the top: a gap in the HR data, neither inside nor outside.
    loner = node_of(content, people["loner"])
    assert loner.group(1).split() == [] and loner.group(2) == "unknown"
    assert "ML head" in node_of(content, people["vp_ml"]).group(4)


def test_people_who_left_are_marked_and_their_reports_still_hang_below_them(viewer, company):
    _, people = company
    content = viewer.get("/orgs/acme/chart/").content.decode()

    left = node_of(content, people["left"])
    assert "inactive" in left.group(1).split() and left.group(3) == "false"
    assert '<span class="marker left">left</span>' in left.group(4)
    assert node_of(content, people["scientist"]).group(3) == "true"
    assert content.index(f'data-person="{people["left"].id}"') < content.index(
        f'data-person="{people["orphan"].id}"'
    )


def test_subtrees_outside_the_way_to_the_ml_head_are_collapsed_with_their_size(viewer, company):
    org, people = company
    content = viewer.get("/orgs/acme/chart/").content.decode()

    vp_infra = people["vp_infra"]
    assert f'hx-get="/orgs/acme/chart/?root={vp_infra.id}" hx-trigger="toggle once"' in content
    assert f'href="/orgs/acme/chart/?root={vp_infra.id}"' in content
    assert "1 under" in node_of(content, vp_infra).group(4)
    assert f'data-person="{people["infra_lead"].id}"' not in content


def test_opening_a_collapsed_node_loads_its_reports_without_the_layout(viewer, company):
    _, people = company
    response = viewer.get(f"/orgs/acme/chart/?root={people['vp_infra'].id}", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content and 'class="topbar"' not in content
    assert content.lstrip().startswith("<li")
    lead = node_of(content, people["infra_lead"])
    assert "Dana Kim" in lead.group(4)


def test_the_lead_of_a_dependency_outside_the_ml_org_is_marked(viewer, company):
    _, people = company
    content = viewer.get(
        f"/orgs/acme/chart/?root={people['vp_infra'].id}", HTTP_HX_REQUEST="true"
    ).content.decode()
    full = viewer.get("/orgs/acme/chart/").content.decode()

    lead = node_of(content, people["infra_lead"]).group(4)
    assert 'data-finding="dependency.outside_ml_org"' in lead
    assert "Compute Platform" in lead
    # The science manager leads Ranking Models too, but inside the ML org.
    science = node_of(full, people["science"]).group(4)
    assert 'data-finding="dependency.outside_ml_org"' not in science


def test_a_person_as_root_without_htmx_is_a_page_of_their_own(viewer, company):
    _, people = company
    response = viewer.get(f"/orgs/acme/chart/?root={people['vp_infra'].id}")

    content = response.content.decode()
    assert response.status_code == 200 and "<html" in content
    assert 'aria-label="Reporting chain"' in content
    assert f'<a href="/orgs/acme/chart/?root={people["ceo"].id}">Helena Brandt</a>' in content
    assert f'data-person="{people["infra_lead"].id}"' in content
    assert f'data-person="{people["vp_ml"].id}"' not in content


def test_people_without_a_manager_are_listed_below_the_main_tree(viewer, company):
    _, people = company
    content = viewer.get("/orgs/acme/chart/").content.decode()

    others = content.index('id="others-heading"')
    assert content.index(f'data-person="{people["loner"].id}"') > others
    assert content.index(f'data-person="{people["ceo"].id}"') < others


def test_a_wide_span_is_shown_in_chunks_with_a_link_to_the_rest(viewer, company):
    org, people = company
    boss = people["loner"]
    Person.objects.bulk_create(
        Person(organisation=org, name=f"Report {n:03d}", external_id=f"R{n}", manager=boss)
        for n in range(CHILDREN_LIMIT + 3)
    )
    url = f"/orgs/acme/chart/?root={boss.id}"

    first = viewer.get(url, HTTP_HX_REQUEST="true").content.decode()
    rest = viewer.get(f"{url}&offset={CHILDREN_LIMIT}", HTTP_HX_REQUEST="true").content.decode()

    assert first.count("data-person=") == CHILDREN_LIMIT
    more = f"{url}&amp;offset={CHILDREN_LIMIT}"
    assert f'href="{more}" hx-get="{more}" hx-target="closest li" hx-swap="outerHTML"' in first
    assert "Show 3 more reports of Yuki Tanaka" in first
    assert rest.count("data-person=") == 3 and 'class="more"' not in rest
    assert "Report 000" in first and "Report 102" in rest and "Report 102" not in first


@pytest.mark.parametrize("htmx", [False, True])
def test_a_person_of_another_organisation_as_root_is_not_found(viewer, company, htmx):
    stranger = PersonFactory(organisation=OrganisationFactory(), name="Stranger")
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = viewer.get(f"/orgs/acme/chart/?root={stranger.id}", **headers)

    assert response.status_code == 404
    assert b"Stranger" not in response.content


@pytest.mark.parametrize("query", ["root=abc", "root=-1", "root=1&offset=x"])
def test_a_malformed_root_is_not_found(viewer, company, query):
    assert viewer.get(f"/orgs/acme/chart/?{query}").status_code == 404


def test_names_and_titles_are_escaped(viewer, company):
    _, people = company
    people["scientist"].name = "<script>alert(1)</script>"
    people["scientist"].title = "<b>Boss</b>"
    people["scientist"].save()

    content = viewer.get("/orgs/acme/chart/").content.decode()

    assert "<script>alert(1)</script>" not in content and "<b>Boss</b>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_chart_queries_do_not_grow_with_the_organisation(django_assert_num_queries):
    sizes = []
    for people, teams, pipelines in ((400, 20, 20), (2000, 80, 120)):
        organisation = OrganisationFactory()
        generate_org(organisation, people=people, teams=teams, pipelines=pipelines, seed=7)
        organisation.refresh_from_db()
        client = client_for(organisation)
        url = f"/orgs/{organisation.slug}/chart/"
        # session, user, organisation with the user's role; the organisation again and one
        # query per table (people, teams, memberships, pipelines, engagements) the first time
        # the design's version is read, then kept (and the software catalog the generator
        # plants); the titles of the people shown.
        with django_assert_num_queries(12):
            page = client.get(url)
        with django_assert_num_queries(4):
            subtree = client.get(f"{url}?root={organisation.ml_head_id}")
        with django_assert_num_queries(4):
            fragment = client.get(f"{url}?root={organisation.ml_head_id}", HTTP_HX_REQUEST="true")
        assert page.status_code == subtree.status_code == fragment.status_code == 200
        assert b'data-ml-org="true"' in page.content and b"hx-get=" in page.content
        assert b'data-ml-org="true"' in fragment.content
        sizes.append(len(page.content))
    # Deeper levels stay collapsed: five times the people is not five times the page.
    assert sizes[1] < sizes[0] * 3


def test_without_an_ml_head_the_chart_says_so_and_marks_nobody(company):
    org, people = company
    org.ml_head = None
    org.save()

    content = client_for(org).get("/orgs/acme/chart/").content.decode()

    assert "has no active ML head" in content
    assert node_of(content, people["ceo"]).group(2) == "unknown"
    assert 'data-ml-org="true"' not in content and 'data-ml-org="false"' not in content


def test_an_organisation_without_people_has_an_empty_chart():
    org = OrganisationFactory(slug="empty")

    response = client_for(org).get("/orgs/empty/chart/")

    assert response.status_code == 200
    assert b"This organisation has no people yet." in response.content
