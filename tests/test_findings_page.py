"""The findings page people can act on (issue 12): grouped by problem with counts, each group
saying in plain words what the problem is, why it matters and how to fix it; large groups show
their first five and link to all; dependencies name their pipelines; filters by severity,
problem, team and pipeline."""

import re

import pytest

from orgdesign.analysis.catalogue import CATALOGUE
from pipelines.findings_views import PREVIEW
from pipelines.models import Pipeline
from teams.models import Team
from tests.factories import TeamFactory

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]



def groups(content: str) -> dict[str, tuple[int, int]]:
    """Each group's code: (its count, the findings it shows)."""
    found = {}
    for match in re.finditer(r'<article class="finding-group" data-code="([\w.]+)" '
                             r'data-count="(\d+)".*?</article>', content, re.S):
        found[match.group(1)] = (int(match.group(2)),
                                 match.group(0).count('<li class="finding '))
    return found


def test_findings_are_grouped_by_problem_with_counts_and_plain_words(viewer, demo):
    content = viewer.get("/orgs/demo/findings/").content.decode()
    found = groups(content)
    assert found["dependency.outside_ml_org"] == (2, 2)
    entry = CATALOGUE["dependency.outside_ml_org"]
    group = re.search(r'data-code="dependency.outside_ml_org".*?</article>', content, re.S)[0]
    # The title in plain words leads; the code is not shown as the heading.
    assert re.search(rf"<h3[^>]*>{re.escape(entry.title)} ", group)
    assert "Why it matters:" in group and "How to fix:" in group


def test_a_dependency_names_the_pipelines_that_depend_on_the_team(viewer, demo):
    content = viewer.get("/orgs/demo/findings/?code=dependency.outside_ml_org").content.decode()
    platform = re.search(r'<li class="finding error" data-finding="dependency.outside_ml_org">'
                         r'(?:(?!</li>).)*ML Platform(?:(?!</li>).)*</li>', content, re.S)[0]
    assert "Pipelines that depend on it:" in platform
    depending = Pipeline.objects.filter(organisation=demo, engagements__team__name="ML Platform")
    for pipeline in depending:
        assert f'href="/orgs/demo/pipelines/{pipeline.pk}/">{pipeline.name}</a>' in platform


def test_a_large_group_shows_its_first_few_and_links_to_all(viewer, demo):
    for number in range(PREVIEW + 3):
        TeamFactory(organisation=demo, name=f"Leaderless {number}")  # no lead, no members
    content = viewer.get("/orgs/demo/findings/").content.decode()
    count, shown = groups(content)["team.no_lead"]
    assert count == PREVIEW + 3 and shown == PREVIEW
    assert f"Show all {count}</a>" in content
    assert 'href="?code=team.no_lead"' in content
    everything = viewer.get("/orgs/demo/findings/?code=team.no_lead").content.decode()
    assert groups(everything)["team.no_lead"] == (count, count)
    assert "Show all" not in re.search(r'<article.*?</article>', everything, re.S)[0]


def test_filters_by_team_and_by_pipeline(viewer, demo):
    platform = Team.objects.get(organisation=demo, name="ML Platform")
    content = viewer.get(f"/orgs/demo/findings/?team={platform.pk}").content.decode()
    # Its dependency, and what the catalog says of it: it owns the feature store the home
    # feed runs on, and the infrastructure it owns for ad click prediction has nothing behind.
    assert set(groups(content)) == {"dependency.outside_ml_org", "catalog.owner_outside_ml_org",
                                    "catalog.stage_without_components"}
    search = Pipeline.objects.get(organisation=demo, name="Search relevance")
    content = viewer.get(f"/orgs/demo/findings/?pipeline={search.pk}").content.decode()
    # Its own findings, and the dependencies it is named in.
    assert "pipeline.stage_unowned" in groups(content)
    assert "dependency.outside_ml_org" in groups(content)
    assert "team.kpi_output_volume" not in groups(content)
    assert 'matches the filters' in content or 'match the filters' in content


def test_filters_by_severity_and_problem_together(viewer, demo):
    content = viewer.get("/orgs/demo/findings/?severity=warning&code=pipeline.no_pm").content
    assert b'<li class="finding' not in content
    assert b"No findings match these filters." in content


def test_a_bad_filter_value_is_ignored(viewer, demo):
    response = viewer.get("/orgs/demo/findings/?team=abc&pipeline=-1")
    assert response.status_code == 200
    assert groups(response.content.decode())
