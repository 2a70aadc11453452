"""The pipelines pages: the rows of the matrix, listed, created and edited."""

import pytest

from pipelines.generator import generate_org
from pipelines.models import Pipeline
from pipelines.services import pipeline_update
from teams import services
from tests.factories import OrganisationFactory, client_for

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]



def form_data(pipeline, **changes):
    data = {
        "name": pipeline.name,
        "pm_owner": pipeline.pm_owner_id or "",
        "lifecycle": pipeline.lifecycle,
        "tier": pipeline.tier,
        "metric": pipeline.metric,
        "required_stages": pipeline.required_stages,
        "version": services.version_of(pipeline),
    }
    data.update(changes)
    return data


def test_the_list_shows_the_pipelines(viewer, demo):
    content = viewer.get("/orgs/demo/pipelines/").content.decode()
    for pipeline in Pipeline.objects.filter(organisation=demo):
        assert f'data-pipeline="{pipeline.pk}"' in content


def test_the_search_answers_htmx_with_the_list_only(viewer):
    response = viewer.get("/orgs/demo/pipelines/?q=search", HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="pipeline-list">')
    assert "Search relevance" in content
    assert "Home feed ranking" not in content


def test_an_editor_creates_a_pipeline(editor, demo):
    grace = demo.people.get(name="Grace Park")
    response = editor.post(
        "/orgs/demo/pipelines/",
        {"name": "Churn prediction", "pm_owner": grace.pk, "lifecycle": "incubating",
         "tier": "high", "metric": "AUC", "required_stages": ["data", "modeling"]},
    )
    pipeline = Pipeline.objects.get(organisation=demo, name="Churn prediction")
    assert response.status_code == 302
    assert (pipeline.pm_owner, pipeline.required_stages) == (grace, ["data", "modeling"])


def test_a_duplicate_name_is_refused_next_to_the_name(editor, demo):
    response = editor.post(
        "/orgs/demo/pipelines/",
        {"name": "Search relevance", "lifecycle": "incubating", "tier": "normal"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'id="field-name"' in content
    field = content.split('id="field-name"')[1].split('<div class="field')[0]
    assert "field-error" in field
    assert Pipeline.objects.filter(organisation=demo, name="Search relevance").count() == 1


def test_a_viewer_cannot_create_or_edit(viewer, demo):
    pipeline = Pipeline.objects.get(organisation=demo, name="Search relevance")
    assert viewer.post("/orgs/demo/pipelines/", {"name": "X", "lifecycle": "incubating",
                                                  "tier": "normal"}).status_code == 403
    response = viewer.post(f"/orgs/demo/pipelines/{pipeline.pk}/",
                           form_data(pipeline, tier="critical"))
    assert response.status_code == 403
    pipeline.refresh_from_db()
    assert pipeline.tier == "high"
    assert not Pipeline.objects.filter(name="X").exists()


def test_the_detail_page_shows_findings_with_their_fix(viewer, demo):
    podcast = Pipeline.objects.get(organisation=demo, name="Podcast recommendations")
    content = viewer.get(f"/orgs/demo/pipelines/{podcast.pk}/").content.decode()
    assert 'data-finding="pipeline.no_pm"' in content
    assert "Give the pipeline an ML Product Manager" in content


def test_an_editor_saves_an_edit(editor, demo):
    pipeline = Pipeline.objects.get(organisation=demo, name="Search relevance")
    response = editor.post(f"/orgs/demo/pipelines/{pipeline.pk}/",
                           form_data(pipeline, tier="critical", metric="MRR@10"))
    assert response.status_code == 302
    pipeline.refresh_from_db()
    assert (pipeline.tier, pipeline.metric) == ("critical", "MRR@10")


def test_an_htmx_edit_answers_with_the_page_and_a_saved_notice(editor, demo):
    pipeline = Pipeline.objects.get(organisation=demo, name="Search relevance")
    response = editor.post(f"/orgs/demo/pipelines/{pipeline.pk}/",
                           form_data(pipeline, tier="critical"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Saved." in response.content.decode()


def test_a_stale_edit_is_refused_with_the_current_values(editor, demo):
    pipeline = Pipeline.objects.get(organisation=demo, name="Search relevance")
    stale = form_data(pipeline, metric="Mine")
    pipeline_update(pipeline=Pipeline.objects.get(pk=pipeline.pk), metric="Theirs")

    response = editor.post(f"/orgs/demo/pipelines/{pipeline.pk}/", stale)

    assert response.status_code == 409
    content = response.content.decode()
    assert "changed by someone else" in content
    assert 'value="Theirs"' in content
    pipeline.refresh_from_db()
    assert pipeline.metric == "Theirs"


def test_an_unknown_pm_is_refused(editor, demo):
    pipeline = Pipeline.objects.get(organisation=demo, name="Search relevance")
    other = OrganisationFactory()
    generate_org(other, people=400, teams=20, pipelines=20, seed=2)
    stranger = other.people.filter(role="product_manager").first()
    response = editor.post(f"/orgs/demo/pipelines/{pipeline.pk}/",
                           form_data(pipeline, pm_owner=stranger.pk))
    assert response.status_code == 400
    pipeline.refresh_from_db()
    assert pipeline.pm_owner_id != stranger.pk


def test_another_organisations_pipeline_is_not_found(editor):
    other = OrganisationFactory()
    generate_org(other, people=400, teams=20, pipelines=20, seed=2)
    pipeline = Pipeline.objects.filter(organisation=other).first()
    assert editor.get(f"/orgs/demo/pipelines/{pipeline.pk}/").status_code == 404
    assert editor.post(f"/orgs/demo/pipelines/{pipeline.pk}/",
                       form_data(pipeline, tier="critical")).status_code == 404


@pytest.mark.parametrize("size", [(400, 20, 20), (2000, 80, 120)])
def test_the_list_runs_a_fixed_number_of_queries(django_assert_num_queries, size):
    organisation = OrganisationFactory()
    people, teams, pipelines = size
    generate_org(organisation, people=people, teams=teams, pipelines=pipelines, seed=4)
    client = client_for(organisation, "viewer")
    # session, user, organisation with role, count, the page of pipelines with their PMs
    with django_assert_num_queries(5):
        assert client.get(f"/orgs/{organisation.slug}/pipelines/").status_code == 200


def test_the_pipeline_page_and_an_effort_edit_run_as_many_queries_whatever_the_teams_engaged():
    """Each engaged team has its effort form on the pipeline's page: one query lists them all,
    however many there are, and an effort edit answers its fragment the same way."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pipelines.services import engagement_set
    from teams.models import Team
    from tests.factories import TeamFactory

    counts = []
    for engaged in (1, 8):
        organisation = OrganisationFactory()
        generate_org(organisation, people=400, teams=20, pipelines=20, seed=4)
        pipeline = Pipeline.objects.filter(organisation=organisation).first()
        pipeline.engagements.all().delete()
        teams = list(Team.objects.filter(organisation=organisation)[:engaged])
        teams += [TeamFactory(organisation=organisation) for _ in range(engaged - len(teams))]
        for team in teams:
            engagement_set(pipeline=pipeline, team=team, role="contributor", effort=10)
        client = client_for(organisation, "editor")
        page = f"/orgs/{organisation.slug}/pipelines/{pipeline.pk}/"
        client.get(page)  # the analysis, kept per design version, is made once
        with CaptureQueriesContext(connection) as read:
            assert client.get(page).status_code == 200
        with CaptureQueriesContext(connection) as write:
            response = client.post(f"{page}teams/{teams[0].pk}/effort/", {"effort": "20"},
                                   headers={"HX-Request": "true"})
            assert response.status_code == 200, response.content[:300]
        assert response.content.decode().count('name="effort"') == engaged
        counts.append((len(read), len(write)))
    assert counts[0] == counts[1], counts
