"""The People pages: list, search, a person's page, inline edits and the person picker."""

import re

import factory
import pytest

from pipelines.generator import generate_org
from teams import services
from teams.models import Membership, Person
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TeamFactory,
    client_for,
)
from tests.pages import edit_data

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ada(org):
    return PersonFactory(organisation=org, name="Ada Lovelace", role="science_manager")


@pytest.fixture
def bob(org, ada):
    return PersonFactory(organisation=org, name="Bob Babbage", manager=ada, title="Scientist")


@pytest.fixture
def cy(org, bob):
    return PersonFactory(organisation=org, name="Cy Young", manager=bob)


def field_block(content: str, name: str) -> str:
    """The markup of the form field `name`, up to the next field: what sits next to it."""
    start = content.index(f'data-field="{name}"')
    following = content.find('data-field="', start + 1)
    return content[start : following if following != -1 else len(content)]




# The list ---------------------------------------------------------------------------------


def test_the_people_page_shows_title_role_manager_teams_and_active(editor, org, bob):
    modeling = TeamFactory(organisation=org, name="Ranking Models", kind="modeling")
    squad = TeamFactory(organisation=org, name="Checkout Squad", kind="product_squad")
    MembershipFactory(person=bob, team=squad, allocation=30)
    MembershipFactory(person=bob, team=modeling, allocation=70)
    PersonFactory(organisation=org, name="Dee Left", active=False)

    response = editor.get("/orgs/acme/people/")

    assert response.status_code == 200
    content = response.content.decode()
    row = re.search(rf'<tr data-person="{bob.pk}".*?</tr>', content, re.S).group(0)
    assert "Scientist" in row
    assert "Other" in row  # the role's label
    assert "Ada Lovelace" in row  # the manager
    assert re.search(
        r'class="team-chip main"[^>]*>Ranking Models <span class="allocation">70%', row
    )
    assert "Checkout Squad" in row
    left = re.search(r'<tr data-person="\d+" class="inactive">.*?</tr>', content, re.S).group(0)
    assert "Dee Left" in left and "left" in left


def test_a_tie_in_allocation_puts_the_specialised_team_first(editor, org, bob):
    squad = TeamFactory(organisation=org, name="Alpha Squad", kind="product_squad")
    modeling = TeamFactory(organisation=org, name="Zeta Models", kind="modeling")
    MembershipFactory(person=bob, team=squad, allocation=50)
    MembershipFactory(person=bob, team=modeling, allocation=50)

    content = editor.get("/orgs/acme/people/").content.decode()

    assert re.search(r'class="team-chip main"[^>]*>Zeta Models', content)


def test_the_people_page_shows_fifty_a_page(editor, org):
    PersonFactory.create_batch(51, organisation=org)

    first = editor.get("/orgs/acme/people/").content.decode()
    second = editor.get("/orgs/acme/people/?page=2").content.decode()

    assert first.count("<tr data-person=") == 50
    assert second.count("<tr data-person=") == 1
    assert 'rel="next"' in first and 'hx-get="/orgs/acme/people/?page=2"' in first


@pytest.mark.parametrize("query", ["lovel", "ADA@EXAMPLE", "hr-77"])
def test_search_finds_people_by_name_email_or_external_id(editor, org, query):
    PersonFactory(
        organisation=org, name="Ada Lovelace", email="ada@example.com", external_id="HR-77"
    )
    PersonFactory(
        organisation=org, name="Bob Babbage", email="bob@example.com", external_id="HR-12"
    )

    content = editor.get("/orgs/acme/people/", {"q": query}).content.decode()

    assert "Ada Lovelace" in content
    assert "Bob Babbage" not in content


def test_live_search_answers_the_list_fragment_only(editor, org, ada, bob):
    response = editor.get("/orgs/acme/people/", {"q": "bob"}, **HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="people-list"')
    assert "<html" not in content and 'id="people-filters"' not in content
    assert f'data-person="{bob.pk}"' in content
    assert f'data-person="{ada.pk}"' not in content
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_the_search_box_searches_live_and_submits_without_javascript(editor, org):
    content = editor.get("/orgs/acme/people/").content.decode()

    search = re.search(r'<input type="search" name="q" id="filter-q"[^>]*>', content).group(0)
    assert 'hx-get="/orgs/acme/people/"' in search
    assert 'hx-trigger="input changed delay:300ms"' in search
    assert 'hx-target="#people-list"' in search
    assert '<label for="filter-q">' in content
    form = re.search(r'<form id="people-filters"[^>]*>', content).group(0)
    assert 'method="get"' in form and 'action="/orgs/acme/people/"' in form


def test_the_list_filters_by_active_and_by_role(editor, org):
    PersonFactory(organisation=org, name="Active Scientist", role="scientist")
    PersonFactory(organisation=org, name="Former Scientist", role="scientist", active=False)
    PersonFactory(organisation=org, name="Active Engineer", role="ml_engineer")

    inactive = editor.get("/orgs/acme/people/", {"status": "inactive"}).content.decode()
    scientists = editor.get(
        "/orgs/acme/people/", {"status": "active", "role": "scientist"}
    ).content.decode()

    assert "Former Scientist" in inactive
    assert "Active Scientist" not in inactive and "Active Engineer" not in inactive
    assert "Active Scientist" in scientists
    assert "Former Scientist" not in scientists and "Active Engineer" not in scientists


def test_names_are_escaped_in_the_list_and_the_picker(editor, org):
    PersonFactory(organisation=org, name="<script>alert(1)</script>")

    listing = editor.get("/orgs/acme/people/").content.decode()
    matches = editor.get("/orgs/acme/people/search/", {"q": "script"}).content.decode()

    for content in (listing, matches):
        assert "<script>alert(1)</script>" not in content
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


# Creating a person ------------------------------------------------------------------------


def test_an_editor_adds_a_person_inline_with_a_manager(editor, org, ada):
    response = editor.post(
        "/orgs/acme/people/new/",
        {
            "name": "Nia Newcomer",
            "email": "nia@example.com",
            "role": "scientist",
            "manager": ada.pk,
        },
        **HTMX,
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="person-create"')
    assert "<html" not in content
    nia = Person.objects.get(organisation=org, name="Nia Newcomer")
    assert nia.manager == ada and nia.role == "scientist"
    assert f'href="/orgs/acme/people/{nia.pk}/">Nia Newcomer</a>' in content
    assert 'value="Nia Newcomer"' not in content  # a fresh form for the next person


def test_adding_a_person_without_javascript_redirects_to_their_page(editor, org):
    response = editor.post("/orgs/acme/people/new/", {"name": "Nia Newcomer", "role": "other"})

    nia = Person.objects.get(organisation=org, name="Nia Newcomer")
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/acme/people/{nia.pk}/"


def test_a_refused_new_person_shows_the_error_next_to_the_field_and_saves_nothing(editor, org):
    response = editor.post(
        "/orgs/acme/people/new/",
        {"name": "Twin", "email": "not-an-email", "role": "other"},
        **HTMX,
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert 'value="Twin"' in content  # the form keeps what was typed
    assert "not-an-email&#x27; is not an email address." in field_block(content, "email")
    assert not Person.objects.filter(name="Twin").exists()


def test_a_new_person_without_a_name_is_refused_next_to_the_name(editor, org):
    response = editor.post("/orgs/acme/people/new/", {"name": "", "role": "other"}, **HTMX)

    assert "The name cannot be empty." in field_block(response.content.decode(), "name")
    assert not Person.objects.filter(organisation=org).exists()


def test_a_manager_from_another_organisation_is_refused_next_to_the_manager_field(editor, org):
    stranger = PersonFactory(name="Stranger")

    response = editor.post(
        "/orgs/acme/people/new/", {"name": "Nia", "role": "other", "manager": stranger.pk}, **HTMX
    )

    assert "No such person in this organisation." in field_block(
        response.content.decode(), "manager"
    )
    assert not Person.objects.filter(name="Nia").exists()


# A person's page and edits ----------------------------------------------------------------


def test_the_person_page_shows_their_details_managers_and_teams(editor, org, ada, bob):
    mentor = PersonFactory(organisation=org, name="Mo Mentor")
    bob.dotted_line_managers.add(mentor)
    team = TeamFactory(organisation=org, name="Ranking Models")
    MembershipFactory(person=bob, team=team, allocation=60)

    response = editor.get(f"/orgs/acme/people/{bob.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    for name in ("name", "external_id", "email", "title", "role", "active"):
        assert re.search(rf'<label for="id_{name}"', content), name
    manager = field_block(content, "manager")
    assert f'<input type="hidden" name="manager" value="{ada.pk}">' in manager
    assert '<label for="picker-manager-q">Manager</label>' in manager
    dotted = field_block(content, "dotted_line_managers")
    assert f'name="dotted_line_managers" value="{mentor.pk}"' in dotted
    assert f'name="version" value="{services.version_of(bob)}"' in content
    assert re.search(rf'id="alloc-{team.pk}" value="60"', content)
    assert f'<label for="alloc-{team.pk}"' in content


def test_an_editor_changes_a_person_and_the_form_comes_back_with_the_new_version(
    editor, org, ada, bob
):
    mentor = PersonFactory(organisation=org, name="Mo Mentor")

    response = editor.post(
        f"/orgs/acme/people/{bob.pk}/edit/",
        edit_data(
            bob,
            title="Staff Scientist",
            role="scientist",
            manager="",
            dotted_line_managers=[mentor.pk, ada.pk],
        ),
        **HTMX,
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="person-form"')
    assert "<html" not in content and "Saved." in content
    bob.refresh_from_db()
    assert (bob.title, bob.role, bob.manager_id) == ("Staff Scientist", "scientist", None)
    assert set(bob.dotted_line_managers.all()) == {mentor, ada}
    assert f'name="version" value="{services.version_of(bob)}"' in content


def test_a_change_without_javascript_redirects_to_the_person_page(editor, org, bob):
    response = editor.post(f"/orgs/acme/people/{bob.pk}/edit/", edit_data(bob, title="Lead"))

    assert response.status_code == 302
    assert response["Location"] == f"/orgs/acme/people/{bob.pk}/"
    bob.refresh_from_db()
    assert bob.title == "Lead"


def test_a_manager_change_that_closes_a_loop_is_refused_next_to_the_manager_field(
    editor, org, ada, bob, cy
):
    response = editor.post(
        f"/orgs/acme/people/{ada.pk}/edit/",
        edit_data(ada, title="Renamed while looping", manager=cy.pk),
        **HTMX,
    )

    assert response.status_code == 400
    content = response.content.decode()
    manager = field_block(content, "manager")
    assert "Ada Lovelace → Cy Young → Bob Babbage → Ada Lovelace" in manager
    assert 'aria-describedby="picker-manager_error"' in manager
    # The refused choice stays in the form, so saving again cannot clear the field.
    assert f'<input type="hidden" name="manager" value="{cy.pk}">' in manager
    ada.refresh_from_db()
    assert ada.manager_id is None
    assert ada.title == ""  # nothing half-written


def test_a_stale_edit_shows_the_current_values_and_overwrites_nothing(editor, org, bob):
    seen = edit_data(bob, title="Mine")
    services.person_update(person=bob, title="Theirs", expected_version=seen["version"])

    response = editor.post(f"/orgs/acme/people/{bob.pk}/edit/", seen, **HTMX)

    assert response.status_code == 409
    content = response.content.decode()
    assert "was changed by someone else while you were editing" in content
    assert 'value="Theirs"' in content and 'value="Mine"' not in content
    bob.refresh_from_db()
    assert bob.title == "Theirs"
    assert f'name="version" value="{services.version_of(bob)}"' in content


def test_an_edit_without_a_version_is_treated_as_stale(editor, org, bob):
    data = edit_data(bob, title="Blind")
    del data["version"]

    response = editor.post(f"/orgs/acme/people/{bob.pk}/edit/", data, **HTMX)

    assert response.status_code == 409
    assert "was changed by someone else" in response.content.decode()
    bob.refresh_from_db()
    assert bob.title == "Scientist"


def test_deactivating_keeps_the_person_as_someone_who_left(editor, org, bob):
    response = editor.post(f"/orgs/acme/people/{bob.pk}/deactivate/", **HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="person-form"')
    assert "is deactivated" in content and 'class="marker left"' in content
    bob.refresh_from_db()
    assert bob.active is False


def test_deactivating_without_javascript_redirects_to_the_person_page(editor, org, bob):
    response = editor.post(f"/orgs/acme/people/{bob.pk}/deactivate/")

    assert response.status_code == 302
    assert Person.objects.get(pk=bob.pk).active is False


# Memberships from a person's page ---------------------------------------------------------


def test_an_editor_adds_changes_and_removes_a_team(editor, org, bob):
    team = TeamFactory(organisation=org, name="Ranking Models")
    url = f"/orgs/acme/people/{bob.pk}/memberships/"

    added = editor.post(url, {"team": team.pk, "allocation": 60}, **HTMX)
    assert added.content.decode().lstrip().startswith('<section id="person-memberships"')
    assert Membership.objects.get(person=bob, team=team).allocation == 60

    editor.post(url, {"team": team.pk, "allocation": 40}, **HTMX)
    assert Membership.objects.get(person=bob, team=team).allocation == 40

    removed = editor.post(f"{url}{team.pk}/remove/", **HTMX)
    assert "is in no team" in removed.content.decode()
    assert not Membership.objects.filter(person=bob).exists()


def test_an_allocation_of_150_is_refused_next_to_the_allocation(editor, org, bob):
    team = TeamFactory(organisation=org, name="Ranking Models")
    MembershipFactory(person=bob, team=team, allocation=60)

    response = editor.post(
        f"/orgs/acme/people/{bob.pk}/memberships/",
        {"team": team.pk, "allocation": 150},
        **HTMX,
    )

    assert response.status_code == 400
    content = response.content.decode()
    row = re.search(rf'<li data-team="{team.pk}" class="has-error">.*?</li>', content, re.S)
    assert row, content
    assert re.search(
        rf'id="alloc-{team.pk}" value="150".*?<div class="field-error" id="alloc-{team.pk}_error">'
        r"<p>Allocation must be a whole percent from 1 to 100, not 150.</p>",
        row.group(0),
        re.S,
    )
    assert Membership.objects.get(person=bob, team=team).allocation == 60


def test_a_new_membership_of_150_is_refused_next_to_the_add_forms_allocation(editor, org, bob):
    team = TeamFactory(organisation=org)

    response = editor.post(
        f"/orgs/acme/people/{bob.pk}/memberships/", {"team": team.pk, "allocation": 150}, **HTMX
    )

    assert "not 150" in field_block(response.content.decode(), "allocation")
    assert not Membership.objects.filter(person=bob).exists()


def test_a_team_of_another_organisation_is_not_offered_nor_accepted(editor, org, bob):
    elsewhere = TeamFactory(name="Elsewhere")

    page = editor.get(f"/orgs/acme/people/{bob.pk}/").content.decode()
    response = editor.post(
        f"/orgs/acme/people/{bob.pk}/memberships/",
        {"team": elsewhere.pk, "allocation": 50},
        **HTMX,
    )

    assert "Elsewhere" not in page
    assert "No such team in this organisation." in field_block(response.content.decode(), "team")
    assert not Membership.objects.filter(person=bob).exists()
    assert (
        editor.post(f"/orgs/acme/people/{bob.pk}/memberships/{elsewhere.pk}/remove/").status_code
        == 404
    )


# The person picker ------------------------------------------------------------------------


def test_the_picker_finds_at_most_twenty_people_of_this_organisation(editor, org):
    PersonFactory.create_batch(
        25, organisation=org, name=factory.Sequence(lambda n: f"Sam {n:03d}")
    )
    other = OrganisationFactory()
    PersonFactory(organisation=other, name="Sam Outsider")

    response = editor.get("/orgs/acme/people/search/", {"q": "sam"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.count('name="pick"') == 20
    assert "Sam Outsider" not in content


def test_the_picker_matches_names_only(editor, org):
    PersonFactory(organisation=org, name="Ada Lovelace", email="zed@example.com")

    assert "Ada" not in editor.get("/orgs/acme/people/search/", {"q": "zed"}).content.decode()
    assert "Ada" in editor.get("/orgs/acme/people/search/", {"q": "LOVE"}).content.decode()


def test_picking_a_person_sets_the_hidden_manager_field(editor, org, ada):
    response = editor.get(
        "/orgs/acme/people/picker/", {"field": "manager", "pick": ada.pk, "q": "ad"}
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<div class="picker" id="picker-manager"')
    assert f'<input type="hidden" name="manager" value="{ada.pk}">' in content
    assert '<label for="picker-manager-q">Manager</label>' in content
    assert "autofocus" in content  # keyboard users carry on from the search box


def test_the_dotted_line_picker_adds_and_removes_people(editor, org, ada, bob):
    added = editor.get(
        "/orgs/acme/people/picker/",
        {"field": "dotted_line_managers", "dotted_line_managers": [ada.pk], "pick": bob.pk},
    ).content.decode()
    removed = editor.get(
        "/orgs/acme/people/picker/",
        {
            "field": "dotted_line_managers",
            "dotted_line_managers": [ada.pk, bob.pk],
            "remove": ada.pk,
        },
    ).content.decode()

    assert added.count('name="dotted_line_managers"') == 2
    assert f'name="dotted_line_managers" value="{ada.pk}"' not in removed
    assert f'name="dotted_line_managers" value="{bob.pk}"' in removed


def test_the_picker_ignores_people_of_another_organisation(editor, org):
    stranger = PersonFactory(name="Stranger")

    content = editor.get(
        "/orgs/acme/people/picker/", {"field": "manager", "pick": stranger.pk}
    ).content.decode()

    assert "Stranger" not in content
    assert '<input type="hidden" name="manager" value="">' in content


def test_an_unknown_picker_field_is_a_bad_request(editor, org):
    response = editor.get("/orgs/acme/people/picker/", {"field": "password", "pick": 1})
    assert response.status_code == 400


# Who may do what --------------------------------------------------------------------------


def read_urls(person) -> list[str]:
    return [
        "/orgs/acme/people/",
        f"/orgs/acme/people/{person.pk}/",
        "/orgs/acme/people/search/?q=a",
        "/orgs/acme/people/picker/?field=manager",
    ]


def write_requests(person, team) -> list[tuple[str, dict]]:
    return [
        ("/orgs/acme/people/new/", {"name": "Intruder", "role": "other"}),
        (f"/orgs/acme/people/{person.pk}/edit/", edit_data(person, name="Intruder")),
        (f"/orgs/acme/people/{person.pk}/deactivate/", {}),
        (f"/orgs/acme/people/{person.pk}/memberships/", {"team": team.pk, "allocation": 10}),
        (f"/orgs/acme/people/{person.pk}/memberships/{team.pk}/remove/", {}),
    ]


def snapshot(org) -> list:
    return [
        list(Person.objects.filter(organisation=org).values_list("name", "active", "updated_at")),
        list(Membership.objects.filter(person__organisation=org).values_list("team", "allocation")),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, org, bob):
    team = TeamFactory(organisation=org)
    for url in read_urls(bob):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for url, data in write_requests(bob, team):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_without_access_every_people_url_is_not_found(logged_in_client, org, bob):
    team = TeamFactory(organisation=org)
    for url in read_urls(bob):
        assert logged_in_client.get(url).status_code == 404, url
    for url, data in write_requests(bob, team):
        assert logged_in_client.post(url, data).status_code == 404, url


def test_a_viewer_reads_but_every_write_is_forbidden_and_changes_nothing(viewer, org, bob):
    team = TeamFactory(organisation=org)
    MembershipFactory(person=bob, team=team, allocation=50)
    for url in read_urls(bob):
        assert viewer.get(url).status_code == 200, url
    before = snapshot(org)

    for url, data in write_requests(bob, team):
        assert viewer.post(url, data).status_code == 403, url
        assert viewer.post(url, data, **HTMX).status_code == 403, url

    assert snapshot(org) == before


def test_a_viewer_sees_the_person_read_only(viewer, org, bob):
    content = viewer.get(f"/orgs/acme/people/{bob.pk}/").content.decode()
    listing = viewer.get("/orgs/acme/people/").content.decode()

    assert "<fieldset disabled>" in content
    assert "Deactivate" not in content and ">Save</button>" not in content
    assert 'id="person-create"' not in listing


def test_writes_answer_only_post(editor, org, bob):
    assert editor.get(f"/orgs/acme/people/{bob.pk}/edit/").status_code == 405
    assert editor.get(f"/orgs/acme/people/{bob.pk}/deactivate/").status_code == 405
    assert editor.post("/orgs/acme/people/").status_code == 405


def test_another_organisations_person_is_not_found(editor, org):
    stranger = PersonFactory(name="Stranger")
    team = TeamFactory(organisation=stranger.organisation)
    for url in (f"/orgs/acme/people/{stranger.pk}/",):
        assert editor.get(url).status_code == 404
    for url, data in write_requests(stranger, team)[1:]:
        assert editor.post(url, data).status_code == 404, url
    stranger.refresh_from_db()
    assert stranger.name == "Stranger" and stranger.active


# Query counts -----------------------------------------------------------------------------


def test_people_pages_run_a_fixed_number_of_queries(django_assert_num_queries):
    sizes = []
    for people, teams, pipelines in ((400, 20, 20), (2000, 80, 120)):
        organisation = OrganisationFactory()
        generate_org(organisation, people=people, teams=teams, pipelines=pipelines, seed=7)
        client = client_for(organisation, "editor")  # editors see the most: the forms too
        url = f"/orgs/{organisation.slug}/people/"
        # session, user, organisation with the user's role, count, the page of people with
        # their managers, and the page's memberships with their teams.
        with django_assert_num_queries(6):
            page = client.get(url)
        with django_assert_num_queries(6):
            fragment = client.get(url, {"q": "a", "page": 2}, **HTMX)
        # session, user, organisation, at most 20 matches.
        with django_assert_num_queries(4):
            matches = client.get(f"{url}search/", {"q": "an"})
        member = Membership.objects.filter(team__organisation=organisation).first().person
        # session, user, organisation, the person with their manager, their dotted-line
        # managers, their memberships with teams, the teams to add them to, and the count of
        # their history (none: a generated design is written in bulk; see test_history).
        with django_assert_num_queries(8):
            detail = client.get(f"{url}{member.pk}/")
        assert detail.status_code == 200
        assert page.content.decode().count("<tr data-person=") == 50
        assert fragment.content.decode().count("<tr data-person=") == 50
        assert 'class="team-chip main"' in page.content.decode()
        assert matches.content.decode().count('name="pick"') == 20
        sizes.append(Person.objects.filter(organisation=organisation).count())
    assert sizes[1] >= sizes[0] * 5
