"""The matrix editor: cells set in place, filters, and who may change what."""

import re

import pytest

from pipelines.generator import generate_org
from pipelines.models import Engagement, Pipeline
from teams.models import Team
from tests.factories import OrganisationFactory, client_for

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]



def cell_url(pipeline, team) -> str:
    return f"/orgs/{pipeline.organisation.slug}/cells/{pipeline.pk}/{team.pk}/"


def row_html(content: str, pipeline) -> str:
    match = re.search(rf'<tr id="row-{pipeline.pk}".*?</tr>', content, re.S)
    assert match, "the row is in the response"
    return match.group(0)


def test_setting_an_owner_clears_the_unowned_stage_of_that_row(editor, demo):
    search = Pipeline.objects.get(organisation=demo, name="Search relevance")
    deployment = Team.objects.get(organisation=demo, name="Model Deployment")
    page = editor.get("/orgs/demo/").content.decode()
    assert 'data-finding="pipeline.stage_unowned"' in row_html(page, search)

    response = editor.post(
        cell_url(search, deployment),
        {"role": "owner", "expected": "contributor"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content  # a fragment, not a page
    assert 'data-finding="pipeline.stage_unowned"' not in row_html(content, search)
    assert Engagement.objects.get(pipeline=search, team=deployment).role == "owner"


def test_a_cell_answer_holds_the_row_the_team_header_and_the_counters_only(editor, demo):
    podcast = Pipeline.objects.get(organisation=demo, name="Podcast recommendations")
    tooling = Team.objects.get(organisation=demo, name="ML Tooling")
    response = editor.post(
        cell_url(podcast, tooling), {"role": "service", "expected": ""}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert content.count("<tr ") == 1
    assert re.search(rf'<th scope="col" id="team-{tooling.pk}"[^>]*hx-swap-oob="true"', content)
    assert re.search(r'<span id="finding-counts"[^>]*hx-swap-oob="true"', content)
    assert content.count('scope="col"') == 1  # no other column header


def test_the_counters_follow_the_change(editor, demo):
    search = Pipeline.objects.get(organisation=demo, name="Search relevance")
    deployment = Team.objects.get(organisation=demo, name="Model Deployment")
    before = editor.get("/orgs/demo/").content.decode()
    errors_before = int(re.search(r"(\d+) errors?</a>", before).group(1))
    content = editor.post(
        cell_url(search, deployment), {"role": "owner", "expected": "contributor"}
    ).content.decode()
    errors_after = int(re.search(r"(\d+) errors?</a>", content).group(1))
    assert errors_after == errors_before - 1


def test_clearing_a_cell_deletes_the_engagement(editor, demo):
    feed = Pipeline.objects.get(organisation=demo, name="Home feed ranking")
    tooling = Team.objects.get(organisation=demo, name="ML Tooling")
    editor.post(cell_url(feed, tooling), {"role": "", "expected": "contributor"})
    assert not Engagement.objects.filter(pipeline=feed, team=tooling).exists()


def test_a_change_made_meanwhile_by_someone_else_is_not_overwritten(editor, demo):
    feed = Pipeline.objects.get(organisation=demo, name="Home feed ranking")
    tooling = Team.objects.get(organisation=demo, name="ML Tooling")
    # The page showed the cell empty; someone else has since made ML Tooling a contributor.
    response = editor.post(cell_url(feed, tooling), {"role": "owner", "expected": ""})
    content = response.content.decode()
    assert "changed by someone else to contributor" in content
    assert Engagement.objects.get(pipeline=feed, team=tooling).role == "contributor"
    cell = re.search(rf'<td data-pipeline="{feed.pk}" data-team="{tooling.pk}"[^>]*>(.*?)</td>',
                     content, re.S)
    assert ">contributor</button>" in cell.group(1)


def test_an_unknown_role_is_refused_and_changes_nothing(editor, demo):
    feed = Pipeline.objects.get(organisation=demo, name="Home feed ranking")
    tooling = Team.objects.get(organisation=demo, name="ML Tooling")
    content = editor.post(
        cell_url(feed, tooling), {"role": "boss", "expected": "contributor"}
    ).content.decode()
    assert "Unknown role" in content
    assert Engagement.objects.get(pipeline=feed, team=tooling).role == "contributor"


def test_a_viewer_cannot_change_a_cell(viewer, demo):
    feed = Pipeline.objects.get(organisation=demo, name="Home feed ranking")
    tooling = Team.objects.get(organisation=demo, name="ML Tooling")
    response = viewer.post(cell_url(feed, tooling), {"role": "owner", "expected": "contributor"})
    assert response.status_code == 403
    assert Engagement.objects.get(pipeline=feed, team=tooling).role == "contributor"


def test_a_viewer_sees_no_cell_buttons_and_an_editor_does(viewer, editor):
    assert "hx-post=\"cells/" not in viewer.get("/orgs/demo/").content.decode()
    assert "hx-post=\"cells/" in editor.get("/orgs/demo/").content.decode()


def test_cells_are_keyboard_buttons_with_the_next_role(editor, demo):
    feed = Pipeline.objects.get(organisation=demo, name="Home feed ranking")
    labels = Team.objects.get(organisation=demo, name="Labeling Ops")
    content = editor.get("/orgs/demo/").content.decode()
    cell = re.search(rf'<td data-pipeline="{feed.pk}" data-team="{labels.pk}"[^>]*>(.*?)</td>',
                     content, re.S).group(1)
    assert cell.startswith('<button type="button"')
    assert "&quot;role&quot;: &quot;contributor&quot;" in cell or '"role": "contributor"' in cell


def test_another_organisations_cell_is_not_found(editor, demo):
    other = OrganisationFactory()
    generate_org(other, people=400, teams=20, pipelines=20, seed=1)
    pipeline = Pipeline.objects.filter(organisation=other).first()
    team = Team.objects.filter(organisation=other).exclude(engagements__pipeline=pipeline).first()
    response = editor.post(f"/orgs/demo/cells/{pipeline.pk}/{team.pk}/", {"role": "owner"})
    assert response.status_code == 404
    assert not Engagement.objects.filter(pipeline=pipeline, team=team).exists()


def test_badges_carry_the_message_for_hover_and_focus_and_open_the_fixes(viewer, demo):
    content = viewer.get("/orgs/demo/").content.decode()
    badge = re.search(r'<a class="badge error" data-finding="pipeline.no_pm"[^>]*>', content)
    assert badge
    podcast = Pipeline.objects.get(organisation=demo, name="Podcast recommendations")
    # A link, so focusable, to the finding's remedies.
    assert f'href="/orgs/demo/findings/pipeline.no_pm:{podcast.pk}/remedies/"' in badge.group(0)
    # In words: the catalogue's title, then the message.
    assert ('data-message="Pipeline without a PM: Pipeline Podcast recommendations has no PM '
            'owner. (open to fix)"') in badge.group(0)


def test_filter_by_lifecycle(viewer):
    content = viewer.get("/orgs/demo/?lifecycle=incubating").content.decode()
    assert "Podcast recommendations" in content
    assert "Home feed ranking" not in content


def test_filter_by_team_kind_keeps_only_those_columns(viewer, demo):
    content = viewer.get("/orgs/demo/?kind=modeling").content.decode()
    shown = set(re.findall(r'<th scope="col" id="team-(\d+)"', content))
    modeling = {str(pk) for pk in Team.objects.filter(organisation=demo, kind="modeling")
                .values_list("pk", flat=True)}
    assert shown == modeling


def test_filter_rows_with_errors_only(viewer):
    content = viewer.get("/orgs/demo/?errors=1").content.decode()
    assert "Search relevance" in content  # an unowned stage
    assert "Podcast recommendations" in content  # no PM
    assert "Ad click prediction" not in content


def test_filter_by_pm(viewer, demo):
    grace = demo.people.get(name="Grace Park")
    content = viewer.get(f"/orgs/demo/?pm={grace.pk}").content.decode()
    assert "Search relevance" in content and "Ad click prediction" in content
    assert "Home feed ranking" not in content


def test_filters_answer_htmx_with_the_table_only(viewer):
    response = viewer.get("/orgs/demo/?tier=critical", HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="matrix-table">')
    assert "<html" not in content


def test_a_wide_matrix_shows_fewer_rows_a_page():
    organisation = OrganisationFactory()
    generate_org(organisation, people=2000, teams=200, pipelines=120, seed=3)
    client = client_for(organisation, "viewer")
    content = client.get(f"/orgs/{organisation.slug}/").content.decode()
    assert len(re.findall(r'<tr id="row-', content)) == 25  # 5,000 cells / 200 columns
    assert 'rel="next"' in content


# session, user, organisation with role, pipeline, team, the write (four savepoints, the
# organisation's version locked, the pipeline locked and the current cell read for the stale
# check, select, insert or update, the new version, its history entry, four releases); then,
# with the design before kept, its cells again (orgdesign.analysis.kept); without, the
# organisation and the design's six tables and its software catalog (the generator plants
# one).
CELL_QUERIES = 20
CELL_QUERIES_NOTHING_KEPT = 28


@pytest.mark.parametrize("size", [(400, 20, 20), (2000, 80, 120)])
def test_a_cell_change_runs_a_fixed_number_of_queries(django_assert_num_queries, size):
    organisation = OrganisationFactory()
    people, teams, pipelines = size
    generate_org(organisation, people=people, teams=teams, pipelines=pipelines, seed=5)
    client = client_for(organisation, "editor")
    pipeline = Pipeline.objects.filter(organisation=organisation).first()
    team = Team.objects.filter(organisation=organisation).exclude(
        engagements__pipeline=pipeline).first()
    url = cell_url(pipeline, team)
    with django_assert_num_queries(CELL_QUERIES_NOTHING_KEPT):
        response = client.post(url, {"role": "owner", "expected": "", "kind": ""})
    assert response.status_code == 200
    with django_assert_num_queries(CELL_QUERIES):
        response = client.post(url, {"role": "contributor", "expected": "owner"})
    assert response.status_code == 200


def test_an_editor_gets_a_try_this_fix_button_on_each_fixable_finding_a_viewer_none(
    editor, viewer, demo
):
    content = editor.get("/orgs/demo/").content.decode()
    platform = Team.objects.get(organisation=demo, name="ML Platform")
    podcast = Pipeline.objects.get(organisation=demo, name="Podcast recommendations")
    # The column's outside dependency and the row's missing PM, each posting the best fix.
    for key in (f"dependency.outside_ml_org:{platform.pk}", f"pipeline.no_pm:{podcast.pk}"):
        form = re.search(rf'<form method="post" action="/orgs/demo/findings/{key}/remedies/">'
                         r'.*?</form>', content, re.S)
        assert form and 'name="rank" value="1"' in form.group(0)
        assert "Try this fix" in form.group(0)
    # Codes without an automatic change (a KPI measured on output volume) get none.
    assert 'data-fix-for="team.kpi_output_volume"' not in content
    assert "Try this fix" not in viewer.get("/orgs/demo/").content.decode()
