"""API v1: teams (the columns) and memberships (people in teams, with allocations)."""

import pytest

from teams.models import Membership, Person, Team
from tests.api_helpers import api_url
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


# Teams --------------------------------------------------------------------------------------


def test_a_team_has_the_fields_of_the_contract_and_tells_whether_it_is_in_the_ml_org(
    reader, org
):
    ceo = PersonFactory(organisation=org)
    head = PersonFactory(organisation=org, manager=ceo)
    org.ml_head = head
    org.save()
    inside = TeamFactory(
        organisation=org, name="Modeling", lead=PersonFactory(organisation=org, manager=head),
        kpi="AUC", kpi_type="model_outcome",
    )
    outside = TeamFactory(
        organisation=org, name="Infra", lead=PersonFactory(organisation=org, manager=ceo)
    )
    leaderless = TeamFactory(organisation=org, name="Nobody's")
    # Its lead has no manager on record: a gap in the HR data, neither in nor out.
    unplaced = TeamFactory(organisation=org, name="Labeling", lead=PersonFactory(organisation=org))

    body = reader.get(api_url(org, f"teams/{inside.id}/")).json()
    assert body == {
        "id": inside.id, "name": "Modeling", "kind": "modeling", "lead": inside.lead_id,
        "kpi": "AUC", "kpi_type": "model_outcome", "in_ml_org": True,
        "updated_at": body["updated_at"],
    }
    listed = {t["id"]: t["in_ml_org"] for t in reader.get(api_url(org, "teams/")).json()["results"]}
    assert listed == {
        inside.id: True, outside.id: False, leaderless.id: None, unplaced.id: None
    }


def test_it_creates_a_team_and_records_the_token(writer, org):
    lead = PersonFactory(organisation=org)
    response = writer.post(
        api_url(org, "teams/"), {"name": "Labeling", "kind": "data_ops", "lead": lead.id}
    )
    assert response.status_code == 201, response.json()
    team = Team.objects.get(pk=response.json()["id"])
    assert (team.organisation, team.kind, team.lead) == (org, "data_ops", lead)
    assert (team.updated_by_token, team.updated_via) == (writer.token, "api")
    assert response.json()["in_ml_org"] is None  # the organisation has no ML head


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "A:B"}, "name"),
        ({"name": "pipeline"}, "name"),
        ({"name": "Taken"}, "name"),
        ({"name": "New", "kind": "circus"}, "kind"),
        ({"name": "New", "kpi_type": "vibes"}, "kpi_type"),
    ],
)
def test_it_refuses_a_bad_team_on_its_field(writer, org, payload, field):
    TeamFactory(organisation=org, name="Taken")
    response = writer.post(api_url(org, "teams/"), payload)
    assert response.status_code == 400
    assert field in response.json()


def test_a_lead_from_another_organisation_is_refused(writer, org):
    response = writer.post(api_url(org, "teams/"), {"name": "New", "lead": PersonFactory().id})
    assert response.status_code == 400
    assert "lead" in response.json()


def test_patch_and_put_change_a_team(writer, org):
    team = TeamFactory(organisation=org, name="Old", kind="modeling")
    url = api_url(org, f"teams/{team.id}/")
    response = writer.patch(url, {"kpi": "Labels a day", "kpi_type": "output_volume"})
    assert response.status_code == 200
    assert writer.put(url, {"name": "New", "kind": "tooling"}).status_code == 200
    team.refresh_from_db()
    assert (team.name, team.kind, team.kpi_type) == ("New", "tooling", "output_volume")


def test_a_team_can_be_measured_on_publications(writer, org):
    response = writer.post(
        api_url(org, "teams/"),
        {"name": "Research", "kind": "modeling", "kpi": "Papers", "kpi_type": "publications"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["kpi_type"] == "publications"
    assert Team.objects.get(organisation=org, name="Research").kpi_type == "publications"


def test_a_team_is_deleted_with_its_memberships_but_not_its_people(writer, org):
    team = TeamFactory(organisation=org, name="Gone")
    member = MembershipFactory(person=PersonFactory(organisation=org), team=team)
    response = writer.delete(api_url(org, f"teams/{team.id}/"))
    assert response.status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()
    assert Person.objects.filter(pk=member.person_id).exists()


def test_a_team_engaged_in_pipelines_is_not_deleted(writer, org):
    team = TeamFactory(organisation=org, name="Keep")
    EngagementFactory(pipeline=PipelineFactory(organisation=org), team=team)
    response = writer.delete(api_url(org, f"teams/{team.id}/"))
    assert response.status_code == 400
    assert "clear its cells in the matrix first" in str(response.json())
    assert Team.objects.filter(pk=team.pk).exists()


def test_a_stale_if_match_on_a_team_answers_412_and_changes_nothing(writer, org):
    team = TeamFactory(organisation=org, name="Old")
    url = api_url(org, f"teams/{team.id}/")
    etag = writer.get(url)["ETag"]
    writer.patch(url, {"name": "Theirs"})
    assert writer.patch(url, {"name": "Mine"}, HTTP_IF_MATCH=etag).status_code == 412
    team.refresh_from_db()
    assert team.name == "Theirs"


def test_teams_are_filtered_by_kind_and_ordered(reader, org):
    TeamFactory(organisation=org, name="B", kind="modeling")
    TeamFactory(organisation=org, name="A", kind="modeling")
    TeamFactory(organisation=org, name="C", kind="tooling")
    response = reader.get(api_url(org, "teams/"), {"kind": "modeling", "ordering": "-name"})
    assert [t["name"] for t in response.json()["results"]] == ["B", "A"]


# Memberships --------------------------------------------------------------------------------


def test_it_puts_a_person_in_a_team(writer, org):
    person, team = PersonFactory(organisation=org), TeamFactory(organisation=org)
    response = writer.post(
        api_url(org, "memberships/"), {"person": person.id, "team": team.id, "allocation": 60}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("person", "team", "allocation")} == {
        "person": person.id, "team": team.id, "allocation": 60
    }
    membership = Membership.objects.get(pk=body["id"])
    assert (membership.updated_by_token, membership.updated_via) == (writer.token, "api")


@pytest.mark.parametrize("allocation", [150, 0, -5])
def test_an_allocation_outside_1_to_100_is_refused(writer, org, allocation):
    person, team = PersonFactory(organisation=org), TeamFactory(organisation=org)
    response = writer.post(
        api_url(org, "memberships/"),
        {"person": person.id, "team": team.id, "allocation": allocation},
    )
    assert response.status_code == 400
    assert "1 to 100" in response.json()["allocation"][0]
    assert not Membership.objects.exists()


def test_a_second_membership_of_the_same_pair_is_refused(writer, org):
    membership = MembershipFactory(person__organisation=org, allocation=50)
    response = writer.post(
        api_url(org, "memberships/"),
        {"person": membership.person_id, "team": membership.team_id, "allocation": 70},
    )
    assert response.status_code == 400
    assert "PATCH" in response.json()["non_field_errors"][0]
    membership.refresh_from_db()
    assert membership.allocation == 50


def test_a_team_of_another_organisation_cannot_be_joined(writer, org):
    person = PersonFactory(organisation=org)
    response = writer.post(
        api_url(org, "memberships/"),
        {"person": person.id, "team": TeamFactory().id, "allocation": 50},
    )
    assert response.status_code == 400
    assert "team" in response.json()


def test_patch_changes_the_allocation_but_not_the_pair(writer, org):
    membership = MembershipFactory(person__organisation=org, allocation=50)
    other_team = TeamFactory(organisation=org)
    # Moving the membership to another team is refused, not ignored (delete and create).
    response = writer.patch(
        api_url(org, f"memberships/{membership.id}/"), {"allocation": 80, "team": other_team.id}
    )
    assert response.status_code == 400
    assert response.json() == {"team": ["This field is read only: it cannot be written here."]}
    membership.refresh_from_db()
    assert (membership.allocation, membership.team_id) == (50, membership.team_id)
    # Sending back the team it has (as read) is fine.
    response = writer.patch(
        api_url(org, f"memberships/{membership.id}/"),
        {"allocation": 80, "team": membership.team_id},
    )
    assert response.status_code == 200, response.json()
    membership.refresh_from_db()
    assert membership.allocation == 80
    assert writer.patch(
        api_url(org, f"memberships/{membership.id}/"), {"allocation": 150}
    ).status_code == 400


def test_deleting_a_membership_takes_the_person_out_of_the_team(writer, org):
    membership = MembershipFactory(person__organisation=org)
    response = writer.delete(api_url(org, f"memberships/{membership.id}/"))
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_a_stale_if_match_on_a_membership_answers_412_and_changes_nothing(writer, org):
    membership = MembershipFactory(person__organisation=org, allocation=50)
    url = api_url(org, f"memberships/{membership.id}/")
    etag = writer.get(url)["ETag"]
    writer.patch(url, {"allocation": 40})
    assert writer.patch(url, {"allocation": 90}, HTTP_IF_MATCH=etag).status_code == 412
    assert writer.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    membership.refresh_from_db()
    assert membership.allocation == 40


def test_memberships_are_filtered_by_person_and_team(reader, org):
    person = PersonFactory(organisation=org)
    mine = MembershipFactory(person=person)
    other = MembershipFactory(person__organisation=org)
    by_person = reader.get(api_url(org, "memberships/"), {"person": person.id}).json()
    assert [m["id"] for m in by_person["results"]] == [mine.id]
    by_team = reader.get(api_url(org, "memberships/"), {"team": other.team_id}).json()
    assert [m["id"] for m in by_team["results"]] == [other.id]
