"""The history page (/orgs/<slug>/history/), its filters, and restoring from it: earlier
values, a deactivated person, a deleted team with its memberships, a deleted pipeline with its
cells, a deleted cell; and the page's fixed number of queries."""

import datetime
import re

import pytest
from django.db.models import F
from django.utils import timezone

from orgdesign.history.services import Filters, history_page
from pipelines import services as pipeline_services
from pipelines.models import Engagement, Pipeline
from teams import services
from teams.actor import Actor
from teams.models import Door, Membership, Person, Team
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)

pytestmark = pytest.mark.django_db

BROWSER = Actor(via=Door.BROWSER)


def history_url(organisation, query=""):
    return f"/orgs/{organisation.slug}/history/{query}"


def restore_url(organisation, kind, history_id):
    return f"/orgs/{organisation.slug}/history/{kind}/{history_id}/restore/"


def rows(response) -> list[str]:
    """The history entries of a page, as `kind action` in page order."""
    html = response.content.decode()
    return [
        f"{kind} {action}"
        for kind, action in re.findall(r'data-history="(\w+)" data-history-id="\d+" '
                                       r'data-action="(\w+)"', html)
    ]


def test_the_page_lists_each_change_with_who_door_and_the_values_before_and__after(org, editor):
    person = services.person_create(organisation=org, name="Ada", title="Scientist")
    services.person_update(
        person=person, title="Lead scientist", actor=Actor(via=Door.BROWSER, user=editor.user)
    )
    response = editor.get(history_url(org))
    assert response.status_code == 200
    assert rows(response) == ["person changed", "person added", "organisation added"]
    html = response.content.decode()
    newest = html[html.index('data-action="changed"'):html.index('data-action="added"')]
    assert editor.user.username in newest
    assert "Browser" in newest
    assert "<del>Scientist</del>" in newest and "<ins>Lead scientist</ins>" in newest


def test_a_change_of_another_organisation_is_not_shown(org, editor):
    other = OrganisationFactory()
    services.person_create(organisation=other, name="Someone Else")
    services.person_create(organisation=org, name="Ada")
    html = editor.get(history_url(org)).content.decode()
    assert "Ada" in html and "Someone Else" not in html


def test_the_history_filters_by_object_type_door_person_and_date(org, editor):
    ada = services.person_create(organisation=org, name="Ada")
    bob = services.person_create(organisation=org, name="Bob", actor=BROWSER)
    team = services.team_create(organisation=org, name="Vision", actor=BROWSER)
    services.membership_set(person=ada, team=team, allocation=50, actor=BROWSER)

    assert rows(editor.get(history_url(org, "?kind=team"))) == ["team added"]
    assert len(rows(editor.get(history_url(org, "?door=browser")))) == 3
    # A person's history: their own entries and their memberships.
    about_ada = rows(editor.get(history_url(org, f"?person={ada.pk}")))
    assert about_ada == ["membership added", "person added"]
    assert rows(editor.get(history_url(org, f"?person={bob.pk}"))) == ["person added"]
    assert rows(editor.get(history_url(org, f"?team={team.pk}"))) == [
        "membership added", "team added"]
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).date()
    assert rows(editor.get(history_url(org, f"?since={tomorrow}"))) == []
    assert len(rows(editor.get(history_url(org, f"?until={tomorrow}")))) == 5  # with the org


def test_an_invalid_filter_is_shown_and_left_out(org, editor):
    services.person_create(organisation=org, name="Ada")
    response = editor.get(history_url(org, "?since=not-a-date&door=nowhere&kind=person"))
    assert response.status_code == 200
    assert rows(response) == ["person added"]
    assert "Enter a valid date" in response.content.decode()


def test_the_dates_run_to_the_last_day_a_date_can_be(org, editor):
    # The end of 9999-12-31 is no date Python can hold: the filter takes everything to it.
    services.person_create(organisation=org, name="Ada")
    for query in ("?until=9999-12-31", "?since=0001-01-01&until=31/12/9999"):
        response = editor.get(history_url(org, query))
        assert response.status_code == 200, query
        assert rows(response) == ["person added", "organisation added"], query
    assert rows(editor.get(history_url(org, "?since=9999-12-31"))) == []


@pytest.mark.parametrize("query", ["?since=0000-12-31", "?until=10000-01-01",
                                   "?since=31/12/0000", "?until=9999-13-01"])
def test_a_date_out_of_range_is_shown_and_left_out(org, editor, query):
    services.person_create(organisation=org, name="Ada")
    response = editor.get(history_url(org, query))
    assert response.status_code == 200
    assert rows(response) == ["person added", "organisation added"]
    assert ("Enter a valid date: YYYY-MM-DD, from 0001-01-01 to 9999-12-31."
            in response.content.decode())


def test_the_page_needs_a_role_in_the_organisation(org):
    other = client_for(OrganisationFactory(), "admin")
    assert other.get(history_url(org)).status_code == 404


@pytest.mark.parametrize("people", [20, 200])
def test_the_page_runs_a_fixed_number_of_queries(org, people, django_assert_num_queries):
    client = client_for(org, "editor")
    team = TeamFactory(organisation=org)
    pipeline = PipelineFactory(organisation=org)
    for number in range(people):
        person = services.person_create(organisation=org, name=f"P{number}", actor=BROWSER)
        services.membership_set(person=person, team=team, allocation=100, actor=BROWSER)
        services.person_update(person=person, title="Engineer", actor=BROWSER)
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role="owner", actor=BROWSER)
    services.organisation_update(organisation=org, span_max=7, actor=BROWSER)
    # Session, user, organisation and role; the count and the page; per table on the page
    # its entries (settings, cells, people, memberships) and, where some have one, the
    # entries before them (settings and people: the cells and memberships are new), the
    # dotted lines of both sets of people entries; the names of the people, teams and
    # pipelines they refer to.
    with django_assert_num_queries(3 + 2 + 4 + 2 + 2 + 3):
        response = client.get(history_url(org))
    assert response.status_code == 200
    assert len(rows(response)) == 50
    assert 'rel="next"' in response.content.decode()


def test_entries_written_together_compare_with_their_own_previous_entry(org):
    """A sync writes many entries with the same date: each diff is against the same
    object's earlier entry, not a neighbour's."""
    people = [services.person_create(organisation=org, name=f"P{n}", title="A") for n in range(3)]
    now = timezone.now()
    for person in people:
        person.title = f"B{person.pk}"
        person._history_date = now
        person.save()
    entries = history_page(org, Filters(kind="person")).object_list
    changed = [entry for entry in entries if entry.action == "changed"]
    assert len(changed) == 3
    for entry in changed:
        assert [(c.label, c.before, c.after) for c in entry.changes] == [
            ("Title", "A", f"B{entry.record.id}")]


# Restoring ---------------------------------------------------------------------------------


def test_an_earlier_value_is_restored_and_the_restore_is_recorded(org, editor):
    person = services.person_create(organisation=org, name="Ada", title="Scientist")
    services.person_update(person=person, title="Manager")
    first = person.history.earliest("history_date")
    response = editor.post(restore_url(org, "person", first.history_id),
                           {"next": f"/orgs/{org.slug}/people/{person.pk}/"})
    assert response.status_code == 302
    assert response.url == f"/orgs/{org.slug}/people/{person.pk}/"
    person.refresh_from_db()
    assert person.title == "Scientist"
    newest = person.history.latest("history_date")
    assert (newest.updated_via, newest.updated_by_id) == (Door.BROWSER, editor.user.pk)
    assert "Restored." in editor.get(response.url).content.decode()


def test_a_deactivated_person_is_restored_active(org, editor):
    person = services.person_create(organisation=org, name="Ada")
    services.person_deactivate(person=person)
    before = person.history.earliest("history_date")
    editor.post(restore_url(org, "person", before.history_id))
    person.refresh_from_db()
    assert person.active


def test_a_deleted_team_comes_back_with_its_memberships(org, editor):
    team = TeamFactory(organisation=org, name="Vision", kpi="mAP")
    ada, bob = PersonFactory(organisation=org), PersonFactory(organisation=org)
    services.membership_set(person=ada, team=team, allocation=60)
    services.membership_set(person=bob, team=team, allocation=40)
    team_id = team.pk
    services.team_delete(team=team, actor=BROWSER)
    assert not Team.objects.filter(pk=team_id).exists()
    deleted = Team.history.get(id=team_id, history_type="-")
    response = editor.post(restore_url(org, "team", deleted.history_id))
    assert response.status_code == 302
    restored = Team.objects.get(pk=team_id)
    assert (restored.name, restored.kpi) == ("Vision", "mAP")
    assert sorted(Membership.objects.filter(team=restored).values_list("person_id", "allocation")
                  ) == sorted([(ada.pk, 60), (bob.pk, 40)])
    # The team's history goes on where it stopped: added, deleted, added again.
    assert list(Team.history.filter(id=team_id).order_by("history_date").values_list(
        "history_type", flat=True)) == ["+", "-", "+"]


def test_a_deleted_team_whose_name_is_taken_since_is_refused_with_a_reason(org, editor):
    team = TeamFactory(organisation=org, name="Vision")
    team_id = team.pk
    services.team_delete(team=team)
    TeamFactory(organisation=org, name="Vision")
    deleted = Team.history.get(id=team_id, history_type="-")
    response = editor.post(restore_url(org, "team", deleted.history_id), follow=True)
    assert "Not restored" in response.content.decode()
    assert not Team.objects.filter(pk=team_id).exists()


def test_a_deleted_pipeline_comes_back_with_its_cells(org, editor):
    pipeline = PipelineFactory(organisation=org, name="Ranking")
    team = TeamFactory(organisation=org)
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role="owner")
    pipeline_id = pipeline.pk
    pipeline_services.pipeline_delete(pipeline=pipeline)
    deleted = Pipeline.history.get(id=pipeline_id, history_type="-")
    editor.post(restore_url(org, "pipeline", deleted.history_id))
    assert Pipeline.objects.get(pk=pipeline_id).name == "Ranking"
    assert Engagement.objects.get(pipeline_id=pipeline_id, team=team).role == "owner"


def test_a_cleared_cell_comes_back(org, editor):
    pipeline, team = PipelineFactory(organisation=org), TeamFactory(organisation=org)
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role="contributor")
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role=None)
    cleared = Engagement.history.get(history_type="-")
    editor.post(restore_url(org, "engagement", cleared.history_id))
    assert Engagement.objects.get(pipeline=pipeline, team=team).role == "contributor"


def test_a_membership_whose_team_is_gone_is_refused(org, editor):
    membership = MembershipFactory(team__organisation=org, person__organisation=org)
    services.membership_set(person=membership.person, team=membership.team, allocation=30)
    record = Membership.history.latest("history_date")
    services.team_delete(team=membership.team)
    response = editor.post(restore_url(org, "membership", record.history_id), follow=True)
    assert "restore the team first" in response.content.decode()


def test_restoring_needs_the_editor_role_and_the_entry_of_this_design(org, viewer, editor):
    person = services.person_create(organisation=org, name="Ada")
    record = person.history.get()
    assert viewer.post(restore_url(org, "person", record.history_id)).status_code == 403
    other = OrganisationFactory()
    stranger = services.person_create(organisation=other, name="Bob")
    assert editor.post(
        restore_url(org, "person", stranger.history.get().history_id)
    ).status_code == 404
    assert editor.post(restore_url(org, "nothing", record.history_id)).status_code == 404


def test_settings_are_restored_by_an_admin_only(org, editor):
    services.organisation_update(organisation=org, span_max=4)
    services.organisation_update(organisation=org, span_max=12)
    earlier = org.history.filter(span_max=4).get()
    assert editor.post(restore_url(org, "organisation", earlier.history_id)).status_code == 403
    admin = client_for(org, "admin")
    admin.post(restore_url(org, "organisation", earlier.history_id))
    org.refresh_from_db()
    assert org.span_max == 4


def test_restore_does_not_follow_a_next_address_elsewhere(org, editor):
    person = services.person_create(organisation=org, name="Ada")
    response = editor.post(restore_url(org, "person", person.history.get().history_id),
                           {"next": "https://evil.example/"})
    assert response.url == history_url(org)


def test_a_person_restored_whose_manager_left_the_design_keeps_no_manager(org):
    """A promotion replaces every person: an entry older than it can name a manager who is
    no longer there; the restore then leaves the manager empty rather than failing."""
    ada = services.person_create(organisation=org, name="Ada")
    boss = services.person_create(organisation=org, name="Boss")
    services.person_update(person=ada, manager=boss)
    record = ada.history.latest("history_date")
    Person.objects.filter(pk=boss.pk).update(manager=None)
    Person.objects.filter(pk=ada.pk).update(manager=None)
    Person.objects.filter(pk=boss.pk).delete()
    from orgdesign.history.services import restore

    restore(org, "person", record, actor=BROWSER)
    ada.refresh_from_db()
    assert ada.manager_id is None


# The History section of a person's, team's and pipeline's page --------------------------


@pytest.mark.parametrize("edits", [3, 30])
def test_a_person_page_shows_their_history_in_a_fixed_number_of_queries(
    org, edits, django_assert_num_queries
):
    client = client_for(org, "editor")
    team = TeamFactory(organisation=org)
    person = services.person_create(organisation=org, name="Ada", actor=BROWSER)
    for number in range(edits):
        services.person_update(person=person, title=f"Title {number}", actor=BROWSER)
    services.membership_set(person=person, team=team, allocation=50, actor=BROWSER)
    # session, user, organisation, the person with their manager, their dotted-line
    # managers, their memberships, the teams to add them to; then the history: the count,
    # the page, the person's entries and those before them with their dotted lines, the
    # memberships' entries, and the names of the people and teams they refer to.
    with django_assert_num_queries(7 + 2 + 4 + 1 + 2):
        response = client.get(f"/orgs/{org.slug}/people/{person.pk}/")
    html = response.content.decode()
    section = html[html.index('id="object-history"'):]
    assert section.count("<tr data-history=") == min(10, edits + 2)
    assert f"<ins>Title {edits - 1}</ins>" in section
    if edits + 2 > 10:
        assert f"All {edits + 2} changes" in section
    else:
        assert "Open in the history" in section
    assert f"/orgs/{org.slug}/history/?person={person.pk}" in section
    # The restore buttons come back to this page.
    assert f'name="next" value="/orgs/{org.slug}/people/{person.pk}/"' in section


def test_a_viewer_sees_the_history_without_restore_buttons(org, viewer):
    person = services.person_create(organisation=org, name="Ada")
    services.person_update(person=person, title="Lead")
    html = viewer.get(f"/orgs/{org.slug}/people/{person.pk}/").content.decode()
    assert html.count("<tr data-history=") == 2
    assert "/restore/" not in html


def test_a_team_page_shows_the_team_its_memberships_and_its_cells(org, editor):
    team = services.team_create(organisation=org, name="Vision")
    person = PersonFactory(organisation=org)
    services.membership_set(person=person, team=team, allocation=100)
    pipeline = PipelineFactory(organisation=org)
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role="owner")
    html = editor.get(f"/orgs/{org.slug}/teams/{team.pk}/").content.decode()
    section = html[html.index('id="object-history"'):]
    assert re.findall(r'data-history="(\w+)"', section) == ["engagement", "membership", "team"]


def test_a_pipeline_page_shows_the_pipeline_and_its_cells(org, editor):
    pipeline = pipeline_services.pipeline_create(organisation=org, name="Ranking")
    team = TeamFactory(organisation=org)
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role="owner")
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role=None)
    html = editor.get(f"/orgs/{org.slug}/pipelines/{pipeline.pk}/").content.decode()
    section = html[html.index('id="object-history"'):]
    assert re.findall(r'data-history="(\w+)" data-history-id="\d+" data-action="(\w+)"',
                      section) == [("engagement", "deleted"), ("engagement", "added"),
                                   ("pipeline", "added")]
    assert "Bring back" in section


def test_dotted_lines_are_recorded_shown_and_restored(org, editor):
    ada = services.person_create(organisation=org, name="Ada")
    bob = services.person_create(organisation=org, name="Bob")
    cy = services.person_create(organisation=org, name="Cy", dotted_line_managers=[ada])
    services.person_update(person=cy, dotted_line_managers=[ada, bob], actor=BROWSER)
    services.person_update(person=cy, dotted_line_managers=[], actor=BROWSER)
    # One entry per change, each holding the dotted lines of its time.
    entries = history_page(org, Filters(person=cy.pk)).object_list
    assert [entry.action for entry in entries] == ["changed", "changed", "added"]
    assert [(c.label, c.before, c.after) for c in entries[0].changes] == [
        ("Dotted-line managers", "Ada, Bob", "none")]
    assert [(c.label, c.before, c.after) for c in entries[1].changes] == [
        ("Dotted-line managers", "Ada", "Ada, Bob")]
    assert ("Dotted-line managers", "", "Ada") in [
        (c.label, c.before, c.after) for c in entries[2].changes]
    html = editor.get(history_url(org, f"?person={cy.pk}")).content.decode()
    assert "<del>Ada, Bob</del>" in html
    editor.post(restore_url(org, "person", entries[1].record.history_id))
    assert set(cy.dotted_line_managers.values_list("name", flat=True)) == {"Ada", "Bob"}


def test_a_team_deleted_in_the_browser_is_brought_back_from_its_page_history(org, editor):
    team = services.team_create(organisation=org, name="Vision")
    ada = PersonFactory(organisation=org)
    services.membership_set(person=ada, team=team, allocation=70)
    team_id = team.pk
    response = editor.post(f"/orgs/{org.slug}/teams/{team_id}/delete/", follow=True)
    assert "Vision is deleted" in response.content.decode()
    assert not Team.objects.filter(pk=team_id).exists()
    page = editor.get(history_url(org, "?kind=team")).content.decode()
    assert "Bring back" in page
    deleted = Team.history.get(id=team_id, history_type="-")
    assert (deleted.updated_via, deleted.updated_by_id) == (Door.BROWSER, editor.user.pk)
    editor.post(restore_url(org, "team", deleted.history_id))
    assert Membership.objects.get(team_id=team_id, person=ada).allocation == 70


def test_a_team_engaged_in_pipelines_is_not_deleted_in_the_browser(org, editor, viewer):
    team = TeamFactory(organisation=org, name="Vision")
    pipeline_services.engagement_set(pipeline=PipelineFactory(organisation=org), team=team,
                                     role="owner")
    response = editor.post(f"/orgs/{org.slug}/teams/{team.pk}/delete/", follow=True)
    assert "clear its cells in the matrix first" in response.content.decode()
    assert Team.objects.filter(pk=team.pk).exists()
    assert viewer.post(f"/orgs/{org.slug}/teams/{team.pk}/delete/").status_code == 403


def test_bringing_a_team_back_brings_only_the_members_it_had_when_last_deleted(org, editor):
    team = services.team_create(organisation=org, name="Vision")
    ada, bob = PersonFactory(organisation=org), PersonFactory(organisation=org)
    services.membership_set(person=ada, team=team, allocation=50)
    services.membership_set(person=bob, team=team, allocation=50)
    team_id = team.pk
    services.team_delete(team=team)
    editor.post(restore_url(org, "team", Team.history.get(id=team_id, history_type="-").history_id))
    # An hour later, Bob leaves the team on his own; then the team goes again, with Ada.
    for model in (Team, Membership):
        model.history.update(history_date=F("history_date") - datetime.timedelta(hours=1))
    services.membership_remove(person=bob, team=Team.objects.get(pk=team_id))
    services.team_delete(team=Team.objects.get(pk=team_id))
    last = Team.history.filter(id=team_id, history_type="-").latest("history_date")
    editor.post(restore_url(org, "team", last.history_id))
    assert list(Membership.objects.filter(team_id=team_id).values_list("person_id", flat=True)
                ) == [ada.pk]
