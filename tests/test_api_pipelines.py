"""API v1: pipelines (the rows) and engagements (the cells of the matrix)."""

import pytest

from pipelines.models import Engagement, Pipeline
from tests.api_helpers import api_url
from tests.factories import (
    EngagementFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


# Pipelines ----------------------------------------------------------------------------------


def test_a_pipeline_has_the_fields_of_the_contract(reader, org):
    pm = PersonFactory(organisation=org)
    pipeline = PipelineFactory(
        organisation=org, name="Feed ranking", pm_owner=pm, tier="critical", metric="CTR",
        required_stages=["data", "modeling"],
    )
    response = reader.get(api_url(org, f"pipelines/{pipeline.id}/"))
    assert response.status_code == 200
    assert response.json() == {
        "id": pipeline.id, "name": "Feed ranking", "pm_owner": pm.id,
        "lifecycle": "production", "tier": "critical", "metric": "CTR",
        "required_stages": ["data", "modeling"], "updated_at": response.json()["updated_at"],
    }
    assert response["ETag"]


def test_a_new_pipeline_requires_the_default_stages_and_records_the_token(writer, org):
    response = writer.post(api_url(org, "pipelines/"), {"name": "Search"})
    assert response.status_code == 201, response.json()
    assert response.json()["required_stages"] == ["data", "infrastructure", "modeling",
                                                  "deployment"]
    pipeline = Pipeline.objects.get(pk=response.json()["id"])
    assert (pipeline.organisation, pipeline.lifecycle) == (org, "incubating")
    assert (pipeline.updated_by_token, pipeline.updated_via) == (writer.token, "api")


def test_required_stages_are_kept_in_pipeline_order(writer, org):
    response = writer.post(
        api_url(org, "pipelines/"),
        {"name": "Search", "required_stages": ["modeling", "data", "modeling"]},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["required_stages"] == ["data", "modeling"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Search", "required_stages": ["cooking"]}, "required_stages"),
        ({"name": "Search", "required_stages": "data"}, "required_stages"),
        ({"name": "Search", "lifecycle": "zombie"}, "lifecycle"),
        ({"name": "Search", "tier": "ultra"}, "tier"),
        ({"name": "Taken"}, "name"),
        ({}, "name"),
    ],
)
def test_it_refuses_a_bad_pipeline_on_its_field(writer, org, payload, field):
    PipelineFactory(organisation=org, name="Taken")
    response = writer.post(api_url(org, "pipelines/"), payload)
    assert response.status_code == 400
    assert field in response.json()


def test_a_pm_from_another_organisation_is_refused(writer, org):
    response = writer.post(
        api_url(org, "pipelines/"), {"name": "Search", "pm_owner": PersonFactory().id}
    )
    assert response.status_code == 400
    assert "pm_owner" in response.json()


def test_patch_and_put_change_a_pipeline(writer, org):
    pipeline = PipelineFactory(organisation=org, name="Old")
    pm = PersonFactory(organisation=org)
    url = api_url(org, f"pipelines/{pipeline.id}/")
    assert writer.patch(url, {"pm_owner": pm.id, "tier": "high"}).status_code == 200
    assert writer.put(url, {"name": "New", "lifecycle": "sunset"}).status_code == 200
    pipeline.refresh_from_db()
    assert (pipeline.name, pipeline.pm_owner, pipeline.tier, pipeline.lifecycle) == (
        "New", pm, "high", "sunset"
    )


def test_a_pipeline_is_not_deleted_through_the_api(writer, org):
    pipeline = PipelineFactory(organisation=org)
    response = writer.delete(api_url(org, f"pipelines/{pipeline.id}/"))
    assert response.status_code == 400
    assert "sunset" in response.json()["non_field_errors"][0]
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()


def test_a_stale_if_match_on_a_pipeline_answers_412_and_changes_nothing(writer, org):
    pipeline = PipelineFactory(organisation=org, metric="CTR")
    url = api_url(org, f"pipelines/{pipeline.id}/")
    etag = writer.get(url)["ETag"]
    writer.patch(url, {"metric": "NDCG"})
    assert writer.patch(url, {"metric": "Mine"}, HTTP_IF_MATCH=etag).status_code == 412
    pipeline.refresh_from_db()
    assert pipeline.metric == "NDCG"


def test_pipelines_are_filtered_and_ordered(reader, org):
    pm = PersonFactory(organisation=org)
    PipelineFactory(organisation=org, name="A", lifecycle="production", pm_owner=pm)
    PipelineFactory(organisation=org, name="B", lifecycle="production")
    PipelineFactory(organisation=org, name="C", lifecycle="incubating")
    url = api_url(org, "pipelines/")

    def names(**query):
        return [p["name"] for p in reader.get(url, query).json()["results"]]

    assert names(lifecycle="production", ordering="-name") == ["B", "A"]
    assert names(pm_owner=pm.id) == ["A"]
    assert names(name="C") == ["C"]


# Engagements --------------------------------------------------------------------------------


def test_it_engages_a_team_in_a_pipeline(writer, org):
    pipeline, team = PipelineFactory(organisation=org), TeamFactory(organisation=org)
    response = writer.post(
        api_url(org, "engagements/"), {"pipeline": pipeline.id, "team": team.id, "role": "owner"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("pipeline", "team", "role")} == {
        "pipeline": pipeline.id, "team": team.id, "role": "owner"
    }
    engagement = Engagement.objects.get(pk=body["id"])
    assert (engagement.updated_by_token, engagement.updated_via) == (writer.token, "api")


def test_a_second_engagement_of_the_same_pair_is_refused(writer, org):
    engagement = EngagementFactory(pipeline__organisation=org, role="owner")
    response = writer.post(
        api_url(org, "engagements/"),
        {"pipeline": engagement.pipeline_id, "team": engagement.team_id, "role": "service"},
    )
    assert response.status_code == 400
    assert "PATCH" in response.json()["non_field_errors"][0]
    engagement.refresh_from_db()
    assert engagement.role == "owner"


def test_an_engagement_needs_a_known_role_and_teams_of_the_organisation(writer, org):
    pipeline = PipelineFactory(organisation=org)
    response = writer.post(
        api_url(org, "engagements/"),
        {"pipeline": pipeline.id, "team": TeamFactory().id, "role": "boss"},
    )
    assert response.status_code == 400
    assert {"team", "role"} <= set(response.json())


def test_patch_changes_the_role_and_delete_clears_the_cell(writer, org):
    engagement = EngagementFactory(pipeline__organisation=org, role="owner")
    url = api_url(org, f"engagements/{engagement.id}/")
    response = writer.patch(url, {"role": "contributor"})
    assert response.status_code == 200, response.json()
    engagement.refresh_from_db()
    assert engagement.role == "contributor"
    assert writer.delete(url).status_code == 204
    assert not Engagement.objects.filter(pk=engagement.pk).exists()


def test_a_stale_if_match_on_an_engagement_answers_412_and_changes_nothing(writer, org):
    engagement = EngagementFactory(pipeline__organisation=org, role="owner")
    url = api_url(org, f"engagements/{engagement.id}/")
    etag = writer.get(url)["ETag"]
    writer.patch(url, {"role": "service"})
    assert writer.patch(url, {"role": "contributor"}, HTTP_IF_MATCH=etag).status_code == 412
    assert writer.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    engagement.refresh_from_db()
    assert engagement.role == "service"


def test_engagements_are_filtered_by_pipeline_team_and_role(reader, org):
    owner = EngagementFactory(pipeline__organisation=org, role="owner")
    service = EngagementFactory(pipeline=owner.pipeline, role="service")
    url = api_url(org, "engagements/")

    def ids(**query):
        return [e["id"] for e in reader.get(url, query).json()["results"]]

    assert ids(pipeline=owner.pipeline_id) == [owner.id, service.id]
    assert ids(role="service") == [service.id]
    assert ids(team=owner.team_id) == [owner.id]
