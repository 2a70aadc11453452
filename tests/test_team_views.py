"""The Teams pages: the list with its ML-org markers, a team's page, and its members."""

import re

import pytest
from django.db.models import Count

from pipelines.generator import generate_org
from teams import services
from teams.models import Membership, Team
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TeamFactory,
    client_for,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lead(org):
    return PersonFactory(organisation=org, name="Lea Lead", role="engineering_manager")


@pytest.fixture
def team(org, lead):
    return TeamFactory(
        organisation=org,
        name="Ranking Models",
        kind="modeling",
        lead=lead,
        kpi="NDCG@10",
        kpi_type="model_outcome",
    )


def field_block(content: str, name: str) -> str:
    """The markup of the form field `name`, up to the next field: what sits next to it."""
    start = content.index(f'data-field="{name}"')
    following = content.find('data-field="', start + 1)
    return content[start : following if following != -1 else len(content)]


def edit_data(team: Team, **changes) -> dict:
    data = {
        "name": team.name,
        "kind": team.kind,
        "lead": team.lead_id or "",
        "kpi": team.kpi,
        "kpi_type": team.kpi_type,
        "version": services.version_of(team),
    }
    data.update(changes)
    return data


def list_row(content: str, team: Team) -> str:
    return re.search(rf'<tr data-team="{team.pk}">.*?</tr>', content, re.S).group(0)


# The list ---------------------------------------------------------------------------------


def test_the_teams_page_shows_kind_lead_kpi_and_active_member_count(editor, org, team):
    MembershipFactory(team=team, person=PersonFactory(organisation=org))
    MembershipFactory(team=team, person=PersonFactory(organisation=org))
    MembershipFactory(team=team, person=PersonFactory(organisation=org, active=False))

    response = editor.get("/orgs/acme/teams/")

    assert response.status_code == 200
    row = list_row(response.content.decode(), team)
    for text in ("Ranking Models", "Modeling", "Lea Lead", "NDCG@10", "Model outcome"):
        assert text in row
    assert '<td class="number">2</td>' in row


def test_the_teams_page_marks_teams_in_outside_and_unknown_to_the_ml_org(editor, org):
    ceo = PersonFactory(organisation=org, name="Ceo")
    head = PersonFactory(organisation=org, name="Ml Head", manager=ceo)
    org.ml_head = head
    org.save()
    manager = PersonFactory(organisation=org, name="Ml Manager", manager=head)
    inside = TeamFactory(organisation=org, lead=PersonFactory(organisation=org, manager=manager))
    outside = TeamFactory(organisation=org, lead=PersonFactory(organisation=org, manager=ceo))
    leaderless = TeamFactory(organisation=org, lead=None)
    left = TeamFactory(
        organisation=org, lead=PersonFactory(organisation=org, manager=head, active=False)
    )

    content = editor.get("/orgs/acme/teams/").content.decode()

    assert 'data-in-ml-org="yes"' in list_row(content, inside)
    assert 'data-in-ml-org="no"' in list_row(content, outside)
    assert 'data-in-ml-org="unknown"' in list_row(content, leaderless)
    assert 'data-in-ml-org="unknown"' in list_row(content, left)


def test_without_an_ml_head_no_team_is_in_or_out(editor, org, team):
    content = editor.get("/orgs/acme/teams/").content.decode()

    assert 'data-in-ml-org="unknown"' in list_row(content, team)
    assert "the organisation has no active ML head" in content


def test_the_teams_list_fragment_comes_without_the_layout(editor, org, team):
    response = editor.get("/orgs/acme/teams/", **HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="teams-list"')
    assert "<html" not in content and 'id="team-create"' not in content
    assert "Ranking Models" in content


def test_the_teams_list_is_paginated_with_links_that_keep_their_href(editor, org):
    TeamFactory.create_batch(101, organisation=org)

    first = editor.get("/orgs/acme/teams/").content.decode()
    second = editor.get("/orgs/acme/teams/?page=2", **HTMX).content.decode()

    assert first.count("<tr data-team=") == 100
    assert second.count("<tr data-team=") == 1
    assert re.search(
        r'<a href="/orgs/acme/teams/\?page=2" hx-get="/orgs/acme/teams/\?page=2"', first
    )


# Creating a team --------------------------------------------------------------------------


def test_an_editor_measures_a_team_on_publications(editor, org, lead):
    editor.post(
        "/orgs/acme/teams/new/",
        {"name": "Research", "kind": "modeling", "lead": lead.pk, "kpi": "Papers accepted",
         "kpi_type": "publications"},
        **HTMX,
    )

    assert Team.objects.get(organisation=org, name="Research").kpi_type == "publications"
    assert "<td>Publications</td>" in editor.get("/orgs/acme/teams/").content.decode()


def test_an_editor_adds_a_team_inline_with_a_lead(editor, org, lead):
    response = editor.post(
        "/orgs/acme/teams/new/",
        {
            "name": "Data Labeling",
            "kind": "data_ops",
            "lead": lead.pk,
            "kpi": "Label quality",
            "kpi_type": "model_outcome",
        },
        **HTMX,
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="team-create"')
    created = Team.objects.get(organisation=org, name="Data Labeling")
    assert (created.kind, created.lead, created.kpi_type) == ("data_ops", lead, "model_outcome")
    assert f'href="/orgs/acme/teams/{created.pk}/">Data Labeling</a>' in content


def test_adding_a_team_without_javascript_redirects_to_its_page(editor, org):
    response = editor.post("/orgs/acme/teams/new/", {"name": "Tooling", "kind": "tooling"})

    created = Team.objects.get(organisation=org, name="Tooling")
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/acme/teams/{created.pk}/"


def test_a_team_name_with_a_separator_is_refused_next_to_the_name(editor, org):
    response = editor.post(
        "/orgs/acme/teams/new/", {"name": "Data: Ops", "kind": "data_ops"}, **HTMX
    )

    assert response.status_code == 400
    assert "cannot contain" in field_block(response.content.decode(), "name")
    assert not Team.objects.filter(organisation=org).exists()


def test_a_duplicate_team_name_is_refused_and_nothing_is_added(editor, org, team):
    response = editor.post(
        "/orgs/acme/teams/new/", {"name": "Ranking Models", "kind": "other"}, **HTMX
    )

    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Team.objects.filter(organisation=org).count() == 1


# A team's page ----------------------------------------------------------------------------


def test_the_team_page_shows_its_form_and_members(editor, org, team):
    member = PersonFactory(organisation=org, name="Mia Member", title="Scientist")
    MembershipFactory(team=team, person=member, allocation=80)

    response = editor.get(f"/orgs/acme/teams/{team.pk}/")

    content = response.content.decode()
    assert response.status_code == 200
    for name in ("name", "kind", "kpi", "kpi_type"):
        assert re.search(rf'<label for="id_{name}"', content), name
    lead = field_block(content, "lead")
    assert f'<input type="hidden" name="lead" value="{team.lead_id}">' in lead
    assert '<label for="picker-lead-q">Lead</label>' in lead
    assert f'name="version" value="{services.version_of(team)}"' in content
    assert re.search(rf'id="alloc-{member.pk}" value="80"', content)
    assert '<label for="picker-person-q">Person</label>' in content


def test_an_editor_changes_a_team(editor, org, team):
    new_lead = PersonFactory(organisation=org, name="Nel New")

    response = editor.post(
        f"/orgs/acme/teams/{team.pk}/edit/",
        edit_data(
            team, name="Ranking", lead=new_lead.pk, kpi="Labels a day", kpi_type="output_volume"
        ),
        **HTMX,
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="team-form"')
    assert "<html" not in content and "Saved." in content
    team.refresh_from_db()
    assert (team.name, team.lead, team.kpi, team.kpi_type) == (
        "Ranking",
        new_lead,
        "Labels a day",
        "output_volume",
    )


def test_a_team_change_without_javascript_redirects_to_its_page(editor, org, team):
    response = editor.post(f"/orgs/acme/teams/{team.pk}/edit/", edit_data(team, kpi="AUC"))

    assert response.status_code == 302
    assert response["Location"] == f"/orgs/acme/teams/{team.pk}/"
    team.refresh_from_db()
    assert team.kpi == "AUC"


def test_a_lead_from_another_organisation_is_refused_next_to_the_lead(editor, org, team):
    stranger = PersonFactory(name="Stranger")

    response = editor.post(
        f"/orgs/acme/teams/{team.pk}/edit/", edit_data(team, lead=stranger.pk), **HTMX
    )

    assert "No such person in this organisation." in field_block(response.content.decode(), "lead")
    team.refresh_from_db()
    assert team.lead.name == "Lea Lead"


def test_a_refused_team_change_writes_nothing(editor, org, team):
    response = editor.post(
        f"/orgs/acme/teams/{team.pk}/edit/",
        edit_data(team, name="pipeline", kpi="Changed"),
        **HTMX,
    )

    assert response.status_code == 400
    assert "column of matrix.csv" in field_block(response.content.decode(), "name")
    team.refresh_from_db()
    assert (team.name, team.kpi) == ("Ranking Models", "NDCG@10")


def test_a_stale_team_edit_shows_the_current_values_and_overwrites_nothing(editor, org, team):
    seen = edit_data(team, kpi="Mine")
    services.team_update(team=team, kpi="Theirs", expected_version=seen["version"])

    response = editor.post(f"/orgs/acme/teams/{team.pk}/edit/", seen, **HTMX)

    assert response.status_code == 409
    content = response.content.decode()
    assert "was changed by someone else while you were editing" in content
    assert 'value="Theirs"' in content and 'value="Mine"' not in content
    team.refresh_from_db()
    assert team.kpi == "Theirs"
    assert f'name="version" value="{services.version_of(team)}"' in content


# Members ----------------------------------------------------------------------------------


def test_an_editor_adds_changes_and_removes_a_member(editor, org, team):
    mia = PersonFactory(organisation=org, name="Mia Member")
    url = f"/orgs/acme/teams/{team.pk}/members/"

    added = editor.post(url, {"person": mia.pk, "allocation": 50}, **HTMX)
    assert added.content.decode().lstrip().startswith('<section id="team-members"')
    assert "<html" not in added.content.decode()
    assert Membership.objects.get(team=team, person=mia).allocation == 50

    editor.post(url, {"person": mia.pk, "allocation": 90}, **HTMX)
    assert Membership.objects.get(team=team, person=mia).allocation == 90

    removed = editor.post(f"{url}{mia.pk}/remove/", **HTMX)
    assert "has no members" in removed.content.decode()
    assert not Membership.objects.filter(team=team).exists()


def test_a_member_allocation_of_150_is_refused_next_to_the_allocation(editor, org, team):
    mia = PersonFactory(organisation=org, name="Mia Member")
    MembershipFactory(team=team, person=mia, allocation=50)

    response = editor.post(
        f"/orgs/acme/teams/{team.pk}/members/", {"person": mia.pk, "allocation": 150}, **HTMX
    )

    assert response.status_code == 400
    content = response.content.decode()
    row = re.search(rf'<li data-person="{mia.pk}" class="has-error">.*?</li>', content, re.S)
    assert row
    assert re.search(
        rf'id="alloc-{mia.pk}" value="150".*?id="alloc-{mia.pk}_error"><p>Allocation must be',
        row.group(0),
        re.S,
    )
    assert Membership.objects.get(team=team, person=mia).allocation == 50


def test_a_new_member_of_150_is_refused_next_to_the_add_forms_allocation(editor, org, team):
    mia = PersonFactory(organisation=org, name="Mia Member")

    response = editor.post(
        f"/orgs/acme/teams/{team.pk}/members/", {"person": mia.pk, "allocation": 150}, **HTMX
    )

    content = response.content.decode()
    assert "not 150" in field_block(content, "allocation")
    # The picker keeps the person chosen, so correcting the allocation is enough.
    assert f'<input type="hidden" name="person" value="{mia.pk}">' in field_block(content, "person")
    assert not Membership.objects.filter(team=team).exists()


def test_a_person_of_another_organisation_cannot_join(editor, org, team):
    stranger = PersonFactory(name="Stranger")

    response = editor.post(
        f"/orgs/acme/teams/{team.pk}/members/",
        {"person": stranger.pk, "allocation": 50},
        **HTMX,
    )

    assert "No such person in this organisation." in field_block(
        response.content.decode(), "person"
    )
    assert not Membership.objects.filter(team=team).exists()
    assert (
        editor.post(f"/orgs/acme/teams/{team.pk}/members/{stranger.pk}/remove/").status_code == 404
    )


# Who may do what --------------------------------------------------------------------------


def write_requests(team, person) -> list[tuple[str, dict]]:
    return [
        ("/orgs/acme/teams/new/", {"name": "Intruders", "kind": "other"}),
        (f"/orgs/acme/teams/{team.pk}/edit/", edit_data(team, name="Intruders")),
        (f"/orgs/acme/teams/{team.pk}/members/", {"person": person.pk, "allocation": 10}),
        (f"/orgs/acme/teams/{team.pk}/members/{person.pk}/remove/", {}),
    ]


def snapshot(org) -> list:
    return [
        list(Team.objects.filter(organisation=org).values_list("name", "kpi", "updated_at")),
        list(Membership.objects.filter(team__organisation=org).values_list("person", "allocation")),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, org, team, lead):
    for url in ("/orgs/acme/teams/", f"/orgs/acme/teams/{team.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for url, data in write_requests(team, lead):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_without_access_every_team_url_is_not_found(logged_in_client, org, team, lead):
    for url in ("/orgs/acme/teams/", f"/orgs/acme/teams/{team.pk}/"):
        assert logged_in_client.get(url).status_code == 404
    for url, data in write_requests(team, lead):
        assert logged_in_client.post(url, data).status_code == 404, url


def test_a_viewer_reads_but_every_team_write_is_forbidden_and_changes_nothing(
    viewer, org, team, lead
):
    MembershipFactory(team=team, person=lead, allocation=40)
    assert viewer.get("/orgs/acme/teams/").status_code == 200
    detail = viewer.get(f"/orgs/acme/teams/{team.pk}/")
    assert detail.status_code == 200
    assert "<fieldset disabled>" in detail.content.decode()
    assert 'id="team-create"' not in viewer.get("/orgs/acme/teams/").content.decode()
    before = snapshot(org)

    for url, data in write_requests(team, lead):
        assert viewer.post(url, data).status_code == 403, url
        assert viewer.post(url, data, **HTMX).status_code == 403, url

    assert snapshot(org) == before


def test_another_organisations_team_is_not_found(editor, org):
    elsewhere = TeamFactory(name="Elsewhere", kpi="Theirs")
    person = PersonFactory(organisation=elsewhere.organisation)

    assert editor.get(f"/orgs/acme/teams/{elsewhere.pk}/").status_code == 404
    for url, data in write_requests(elsewhere, person)[1:]:
        assert editor.post(url, data).status_code == 404, url
    elsewhere.refresh_from_db()
    assert (elsewhere.name, elsewhere.kpi) == ("Elsewhere", "Theirs")
    assert not Membership.objects.filter(team=elsewhere).exists()


# Query counts -----------------------------------------------------------------------------


def test_the_teams_list_runs_a_fixed_number_of_queries(django_assert_num_queries):
    sizes = []
    for people, teams, pipelines in ((400, 20, 20), (2000, 80, 120)):
        organisation = OrganisationFactory()
        generate_org(organisation, people=people, teams=teams, pipelines=pipelines, seed=7)
        client = client_for(organisation, "editor")  # editors see the most: the forms too
        url = f"/orgs/{organisation.slug}/teams/"
        # session, user, organisation with the user's role and ML head, count, the page of
        # teams with leads and active member counts, and everyone's solid line (for the
        # ML-org markers, whose chains run through the whole company).
        with django_assert_num_queries(6):
            page = client.get(url)
        with django_assert_num_queries(6):
            fragment = client.get(url, **HTMX)
        content = page.content.decode()
        assert (
            content.count("<tr data-team=")
            == Team.objects.filter(organisation=organisation).count()
        )
        assert 'data-in-ml-org="yes"' in content and 'data-in-ml-org="no"' in content
        assert fragment.content.decode().count("<tr data-team=") == content.count("<tr data-team=")
        biggest = (
            Team.objects.filter(organisation=organisation)
            .annotate(size=Count("memberships"))
            .order_by("-size")
            .first()
        )
        # session, user, organisation, the team with its lead, its members with their people,
        # its open positions, and the count of its history (none: a generated design is
        # written in bulk); and, since the generator plants a software catalog, the design's
        # analysis for the components it owns, read the first time (the organisation again,
        # its six tables and its catalog), kept after.
        with django_assert_num_queries(7 + 8):
            detail = client.get(f"{url}{biggest.pk}/")
        assert detail.content.decode().count("<li data-person=") == biggest.size
        sizes.append(Team.objects.filter(organisation=organisation).count())
    assert sizes[1] >= sizes[0] * 3
