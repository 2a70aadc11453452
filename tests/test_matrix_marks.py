"""The matrix marks each problem where it is (issue 12): every required stage of a row on its
strip, an unowned one marked in that row, cells engaging a team outside the ML org and cells
of a stage resting on one person marked on the cell, and the row's badges in words."""

import re

import pytest

from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.loader import load_org_data
from orgdesign.analysis.matrix import (
    OWNED,
    SINGLE,
    UNOWNED,
    build_columns,
    build_rows,
    sorted_pipelines,
)
from orgdesign.analysis.orgdata import OrgIndex
from pipelines import services as pipeline_services
from pipelines.models import Pipeline
from teams import services
from tests.factories import PersonFactory, PipelineFactory, TeamFactory

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]



def rows_of(organisation):
    data = load_org_data(organisation)
    index = OrgIndex(data)
    findings = compute_findings(data, index)
    groups = build_columns(index, findings)
    return {row.pipeline.name: row for row in build_rows(index, sorted_pipelines(index), groups,
                                                         findings)}


def row_html(content: str, pipeline_id: int) -> str:
    match = re.search(rf'<tr id="row-{pipeline_id}".*?</tr>', content, re.S)
    assert match, f"no row for pipeline {pipeline_id}"
    return match.group(0)


def test_every_required_stage_is_on_the_strip_with_its_state(org):
    pipeline = PipelineFactory(organisation=org, name="Ranking",
                               required_stages=["data", "modeling", "deployment"])
    lone = TeamFactory(organisation=org, kind="modeling", name="Models")
    services.membership_set(person=PersonFactory(organisation=org), team=lone, allocation=100)
    crew = TeamFactory(organisation=org, kind="data_ops", name="Labels")
    for _ in range(2):
        services.membership_set(person=PersonFactory(organisation=org), team=crew,
                                allocation=100)
    pipeline_services.engagement_set(pipeline=pipeline, team=lone, role="owner")
    pipeline_services.engagement_set(pipeline=pipeline, team=crew, role="owner")

    row = rows_of(org)["Ranking"]

    assert [(mark.stage, mark.state) for mark in row.stages] == [
        ("data", OWNED), ("modeling", SINGLE), ("deployment", UNOWNED)]
    assert row.stages[0].owners == ["Labels"]
    assert row.stages[2].finding.code == "pipeline.stage_unowned"
    # The strip carries the stage findings; the badges the rest, none twice.
    assert "pipeline.stage_unowned" not in {f.code for f in row.row_findings}
    single_cell = next(cell for cell in row.cells if cell.team_id == lone.id)
    assert single_cell.finding.code == "pipeline.single_person_stage"
    assert next(cell for cell in row.cells if cell.team_id == crew.id).finding is None


def test_the_unowned_stage_is_marked_inside_its_own_row(viewer, demo):
    search = Pipeline.objects.get(organisation=demo, name="Search relevance")
    content = viewer.get(f"/orgs/{demo.slug}/").content.decode()
    row = row_html(content, search.pk)
    assert re.search(r'<li class="stage unowned" data-stage="deployment" '
                     r'data-finding="pipeline.stage_unowned"', row)
    # Exactly one such marker in the whole page: the only unowned stage of the demo.
    assert content.count('data-finding="pipeline.stage_unowned"') == 1
    # Every other required stage of the row is on the strip too, owned.
    strip = re.search(r'<ul class="stage-strip".*?</ul>', row, re.S).group(0)
    assert re.findall(r'data-stage="(\w+)"', strip) == search.required_stages


def test_cells_of_a_team_outside_the_ml_org_are_marked_as_dependencies(viewer, demo):
    content = viewer.get(f"/orgs/{demo.slug}/").content.decode()
    platform = demo.teams.get(name="ML Platform")
    marked = re.findall(
        rf'<td data-pipeline="(\d+)" data-team="{platform.pk}" class="cell \w+" '
        r'data-finding="dependency.outside_ml_org" data-severity="error" data-message="([^"]+)"',
        content)
    engaged = set(platform.engagements.values_list("pipeline_id", flat=True))
    assert {int(pid) for pid, _ in marked} == engaged
    assert all("ML Platform" in message for _, message in marked)
    # Only the cells of the two teams the demo depends on outside the ML org are marked.
    outside = demo.teams.filter(name__in=["ML Platform", "Applied Research"])
    cells = sum(team.engagements.count() for team in outside)
    assert content.count('class="cell') > cells
    assert len(re.findall(r'class="cell \w+" data-finding="dependency.outside_ml_org"',
                          content)) == cells


def test_badges_and_stages_say_what_is_wrong_in_words(viewer, demo):
    content = viewer.get(f"/orgs/{demo.slug}/").content.decode()
    assert 'data-message="Pipeline without a PM: ' in content
    search = Pipeline.objects.get(organisation=demo, name="Search relevance")
    # The unowned stage is a link to its fixes, which says so.
    assert re.search(
        r'<li class="stage unowned" data-stage="deployment" [^>]*><a href="/orgs/demo/findings/'
        rf'pipeline.stage_unowned:{search.pk}:deployment/remedies/"[^>]* '
        r'aria-label="No team owns the deployment stage of Search relevance. Open its fixes."',
        content,
    )
    # Tooltips come from the page's script, in the top layer, not from CSS inside the table.
    assert "js/tips.js" in content


# The overview ---------------------------------------------------------------------------------


def test_the_overview_has_every_pipeline_with_its_five_stages_and_matrix_page(org):
    from orgdesign.analysis.matrix import NOT_REQUIRED, overview, rows_per_page, stage_coverage

    team = TeamFactory(organisation=org, kind="data_ops")
    for number in range(60):
        PipelineFactory(organisation=org, name=f"P{number:02d}",
                        required_stages=["data", "deployment"])
    owned = Pipeline.objects.get(organisation=org, name="P00")
    for _ in range(2):
        services.membership_set(person=PersonFactory(organisation=org), team=team,
                                allocation=100)
    pipeline_services.engagement_set(pipeline=owned, team=team, role="owner")
    data = load_org_data(org)
    index = OrgIndex(data)
    tiles = overview(index, compute_findings(data, index))
    assert len(tiles) == 60
    first = tiles[0]
    assert [mark.state for mark in first.marks] == [OWNED, NOT_REQUIRED, NOT_REQUIRED,
                                                    NOT_REQUIRED, UNOWNED]
    per_page = rows_per_page(1)
    assert tiles[per_page].page == 2 and tiles[per_page - 1].page == 1
    coverage = {row["stage"]: row for row in stage_coverage(tiles)}
    assert (coverage["data"]["owned"], coverage["data"]["unowned"]) == (1, 59)
    assert coverage["tooling"][NOT_REQUIRED] == 60


def test_the_overview_page_links_each_pipeline_to_its_row_worst_first(viewer, demo):
    content = viewer.get(f"/orgs/{demo.slug}/overview/").content.decode()
    search = Pipeline.objects.get(organisation=demo, name="Search relevance")
    tiles = re.findall(r'<a class="heat-tile" href="([^"]+)" data-pipeline="(\d+)"', content)
    assert len(tiles) == demo.pipelines.count()
    # The one pipeline with a stage nobody owns comes first, linking to its row.
    assert tiles[0] == (f"/orgs/{demo.slug}/?page=1#row-{search.pk}", str(search.pk))
    assert 'data-stage="deployment" data-finding="pipeline.stage_unowned"' in content
    assert "Search relevance: Deployment: nobody owns it" in content


@pytest.mark.parametrize("pipelines", [20, 120])
def test_the_overview_runs_a_fixed_number_of_queries(org, pipelines, django_assert_num_queries):
    from pipelines.generator import generate_org
    from tests.factories import client_for
    from tests.pages import without_csrf

    generate_org(org, people=400, teams=20, pipelines=pipelines, seed=2)
    client = client_for(org, "viewer")
    # session, user, organisation; the organisation again and the design's six tables and
    # the software catalog the generator plants, the first time its version is read; then
    # the design is kept.
    with django_assert_num_queries(11):
        response = client.get(f"/orgs/{org.slug}/overview/")
    assert response.content.decode().count('class="heat-tile"') == pipelines
    with django_assert_num_queries(3):
        again = client.get(f"/orgs/{org.slug}/overview/")
    assert without_csrf(again.content) == without_csrf(response.content)


# Folding a kind of teams into one column ------------------------------------------------------


def test_a_folded_kind_is_one_summary_column_with_its_marks(viewer, demo):
    content = viewer.get(f"/orgs/{demo.slug}/?collapse=modeling").content.decode()
    modeling = demo.teams.filter(kind="modeling")
    assert modeling.count() > 1
    for team in modeling:
        assert f'data-team="{team.pk}"' not in content  # no column of its own
    header = re.search(r'<th scope="col" class="team summary kind-modeling"[^>]*>(.*?)</th>',
                       content, re.S)
    assert header and f"{modeling.count()} teams" in header.group(1)
    assert "1 outside ML org" in header.group(1)  # Applied Research
    search = Pipeline.objects.get(organisation=demo, name="Search relevance")
    cell = re.search(rf'<td data-pipeline="{search.pk}" data-kind="modeling" [^>]*>(.*?)</td>',
                     row_html(content, search.pk), re.S)
    # Applied Research owns modeling here, from outside the ML org: the fold keeps the mark.
    assert 'data-finding="dependency.outside_ml_org"' in cell.group(0)
    assert "1 owner" in cell.group(1)
    # The other kinds stay open, and the setting survives the filters and the cell buttons.
    assert f'data-team="{demo.teams.get(name="ML Platform").pk}"' in content
    assert '<input type="hidden" name="collapse" value="modeling">' in content
    assert '"collapse": "modeling"' in content


def test_folding_every_kind_and_a_cell_change_keep_the_layout(editor, demo):
    content = editor.get(f"/orgs/{demo.slug}/?collapse=all").content.decode()
    assert 'data-team="' not in re.search(r"<tbody>.*</tbody>", content, re.S).group(0)
    search = Pipeline.objects.get(organisation=demo, name="Search relevance")
    tooling = demo.teams.get(name="ML Tooling")
    response = editor.post(
        f"/orgs/{demo.slug}/cells/{search.pk}/{tooling.pk}/",
        {"role": "owner", "expected": "", "collapse": "modeling"},
    )
    row = row_html(response.content.decode(), search.pk)
    assert f'data-team="{tooling.pk}" class="cell owner"' in row
    assert 'data-kind="modeling"' in row


def test_an_unknown_kind_to_fold_is_ignored(viewer, demo):
    response = viewer.get(f"/orgs/{demo.slug}/?collapse=nonsense,<script>")
    assert response.status_code == 200
    assert 'class="team summary' not in response.content.decode()
