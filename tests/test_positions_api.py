"""Levels and positions through the API: the level table is an admin's alone (a token of
scope admin, or the admin role), positions are everyone's to read and an editor's to write;
filling one puts the person in the team at its FTE, in one write recorded in history."""

import pytest

from pipelines.models import Position, PositionStatus
from teams.models import Level, Membership
from tests.api_helpers import api_url, token_client
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(org):
    return TeamFactory(organisation=org, name="Modeling", kind="modeling")


@pytest.fixture
def admin_api(org):
    return token_client(org, "admin")


# The level table: who may read and write it ------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "read", "write"),
    [
        ("token:read", 403, 403),
        ("token:write", 403, 403),
        ("token:admin", 200, 201),
        ("login:viewer", 403, 403),
        ("login:editor", 403, 403),
        ("login:admin", 200, 201),
    ],
)
def test_only_admins_reach_the_level_table(org, principal, read, write):
    kind, role = principal.split(":")
    if kind == "token":
        client = token_client(org, role)
    else:
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_login(client_for(org, role).user)
    Level.objects.create(organisation=org, name="L4", annual_cost=150000)
    listed = client.get(api_url(org, "levels/"))
    assert listed.status_code == read
    if read == 200:
        assert listed.json()["results"][0]["annual_cost"] == 150000
        assert listed.json()["results"][0]["currency"] == "USD"
    else:
        assert b"150000" not in listed.content
    made = client.post(api_url(org, "levels/"), {"name": "L5", "annual_cost": 200000},
                       format="json")
    assert made.status_code == write
    assert Level.objects.filter(organisation=org, name="L5").exists() == (write == 201)


def test_a_level_name_is_unique_and_a_cost_whole(org, admin_api):
    admin_api.post(api_url(org, "levels/"), {"name": "L5", "annual_cost": 200000},
                   format="json")
    again = admin_api.post(api_url(org, "levels/"), {"name": "L5", "annual_cost": 1},
                           format="json")
    assert again.status_code == 400
    assert "name" in again.json()
    for bad in (-1, "200000", 1.5, None):
        answer = admin_api.post(api_url(org, "levels/"), {"name": "L6", "annual_cost": bad},
                                format="json")
        assert answer.status_code == 400, bad
    assert Level.objects.filter(organisation=org).count() == 1


def test_an_admin_token_writes_like_a_write_token(org, admin_api):
    answer = admin_api.post(api_url(org, "teams/"), {"name": "Tooling", "kind": "tooling"},
                            format="json")
    assert answer.status_code == 201


# Positions -----------------------------------------------------------------------------------


def test_a_position_is_created_open_and_listed_with_filters(org, team):
    writer = token_client(org, "write")
    pipeline = PipelineFactory(organisation=org, name="Search")
    made = writer.post(api_url(org, "positions/"), {
        "team": team.pk, "title": "ML engineer", "role": "ml_engineer", "level": "L5",
        "fte": 50, "target_date": "2027-03-31", "pipeline": pipeline.pk,
    }, format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["status"] == "open"
    assert body["fte"] == 50
    assert body["person"] is None
    assert body["target_date"] == "2027-03-31"
    other = TeamFactory(organisation=org, name="Data Ops", kind="data_ops")
    writer.post(api_url(org, "positions/"), {"team": other.pk, "title": "Labeler"},
                format="json")
    by_team = writer.get(api_url(org, f"positions/?team={team.pk}")).json()
    assert [p["title"] for p in by_team["results"]] == ["ML engineer"]
    by_pipeline = writer.get(api_url(org, f"positions/?pipeline={pipeline.pk}")).json()
    assert by_pipeline["count"] == 1
    assert writer.get(api_url(org, "positions/?status=filled")).json()["count"] == 0


@pytest.mark.parametrize("bad", [
    {"fte": 0}, {"fte": 101}, {"fte": "50"}, {"target_date": 20270331},
    {"target_date": "next spring"}, {"role": "wizard"}, {"status": "filled"},
    {"title": ""},
])
def test_a_bad_position_is_refused_and_nothing_written(org, team, bad):
    writer = token_client(org, "write")
    answer = writer.post(api_url(org, "positions/"),
                         {"team": team.pk, "title": "ML engineer", **bad}, format="json")
    assert answer.status_code == 400
    assert not Position.objects.exists()


def test_another_organisations_team_is_unknown(org, team):
    other_team = TeamFactory(organisation=OrganisationFactory(slug="other"), name="X")
    answer = token_client(org, "write").post(
        api_url(org, "positions/"), {"team": other_team.pk, "title": "Spy"}, format="json"
    )
    assert answer.status_code == 400
    assert "team" in answer.json()


def test_a_read_token_cannot_open_a_position(org, team):
    answer = token_client(org, "read").post(
        api_url(org, "positions/"), {"team": team.pk, "title": "ML engineer"}, format="json"
    )
    assert answer.status_code == 403


def test_filling_puts_the_person_in_the_team_at_the_positions_fte(org, team):
    writer = token_client(org, "write")
    position = writer.post(api_url(org, "positions/"),
                           {"team": team.pk, "title": "ML engineer", "fte": 60},
                           format="json").json()
    ada = PersonFactory(organisation=org, name="Ada")
    filled = writer.patch(api_url(org, f"positions/{position['id']}/"),
                          {"status": "filled", "person": ada.pk}, format="json")
    assert filled.status_code == 200, filled.json()
    assert filled.json()["status"] == "filled"
    assert filled.json()["person"] == ada.pk
    assert Membership.objects.get(person=ada, team=team).allocation == 60
    # History has both writes, by the same token, through the API.
    stored = Position.objects.get(pk=position["id"])
    last = stored.history.first()
    assert (last.status, last.person_id, last.updated_via) == ("filled", ada.pk, "api")
    assert last.updated_by_token_id == writer.token.pk
    joined = Membership.history.filter(person_id=ada.pk).first()
    assert (joined.team_id, joined.allocation, joined.updated_by_token_id) == (
        team.pk, 60, writer.token.pk
    )
    # Filled is final: it can be neither filled again nor cancelled.
    bob = PersonFactory(organisation=org, name="Bob")
    again = writer.patch(api_url(org, f"positions/{position['id']}/"),
                         {"status": "filled", "person": bob.pk}, format="json")
    assert again.status_code == 400
    assert not Membership.objects.filter(person=bob).exists()
    assert writer.patch(api_url(org, f"positions/{position['id']}/"),
                        {"status": "cancelled"}, format="json").status_code == 400


def test_filling_needs_an_active_person_of_the_organisation(org, team):
    writer = token_client(org, "write")
    position = writer.post(api_url(org, "positions/"),
                           {"team": team.pk, "title": "ML engineer"}, format="json").json()
    url = api_url(org, f"positions/{position['id']}/")
    gone = PersonFactory(organisation=org, name="Gone", active=False)
    assert writer.patch(url, {"status": "filled"}, format="json").status_code == 400
    assert writer.patch(url, {"status": "filled", "person": gone.pk},
                        format="json").status_code == 400
    stranger = PersonFactory(organisation=OrganisationFactory(slug="else"), name="Stranger")
    assert writer.patch(url, {"status": "filled", "person": stranger.pk},
                        format="json").status_code == 400
    assert Position.objects.get(pk=position["id"]).status == PositionStatus.OPEN
    assert not Membership.objects.exists()


def test_cancel_and_reopen(org, team):
    writer = token_client(org, "write")
    position = writer.post(api_url(org, "positions/"),
                           {"team": team.pk, "title": "ML engineer"}, format="json").json()
    url = api_url(org, f"positions/{position['id']}/")
    assert writer.patch(url, {"status": "cancelled"}, format="json").json()["status"] == \
        "cancelled"
    assert Position.objects.get(pk=position["id"]).history.first().status == "cancelled"
    assert writer.patch(url, {"status": "open"}, format="json").json()["status"] == "open"


def test_positions_carry_no_money(org, team):
    Level.objects.create(organisation=org, name="L5", annual_cost=987654)
    writer = token_client(org, "write")
    writer.post(api_url(org, "positions/"),
                {"team": team.pk, "title": "ML engineer", "level": "L5"}, format="json")
    assert b"987654" not in writer.get(api_url(org, "positions/")).content


def test_a_scenario_carries_the_positions_and_levels_and_its_promotion_brings_them_back(org,
                                                                                        team):
    from orgdesign.scenarios.services import scenario_create, scenario_promote
    from pipelines import positions

    Level.objects.create(organisation=org, name="L5", annual_cost=200000)
    org.currency = "EUR"
    org.save()
    ada = PersonFactory(organisation=org, name="Ada")
    open_seat = positions.position_create(organisation=org, team=team, title="Seat", fte=60)
    filled = positions.position_create(organisation=org, team=team, title="Filled")
    positions.position_fill(position=filled, person=ada)

    scenario = scenario_create(origin=org, name="Plan")
    copies = {p.title: p for p in Position.objects.filter(organisation=scenario)}
    assert (copies["Seat"].status, copies["Seat"].fte, copies["Seat"].team.organisation_id) \
        == ("open", 60, scenario.pk)
    assert copies["Filled"].person.organisation_id == scenario.pk
    assert copies["Filled"].person.name == "Ada"
    assert list(Level.objects.filter(organisation=scenario).values_list("name", "annual_cost")) \
        == [("L5", 200000)]
    assert scenario.currency == "EUR"

    # In the scenario, a new seat is opened and the old one cancelled; promoted, the live
    # design has them so.
    scenario_team = scenario.teams.get(name=team.name)
    positions.position_create(organisation=scenario, team=scenario_team, title="New seat")
    positions.position_cancel(position=copies["Seat"])
    backup = scenario_promote(scenario=scenario)
    live = {p.title: p.status for p in Position.objects.filter(organisation=org)}
    assert live == {"Seat": "cancelled", "Filled": "filled", "New seat": "open"}
    # What the live design held before is kept, as the promotion's backup scenario.
    kept = {p.title: p.status for p in Position.objects.filter(organisation=backup)}
    assert kept == {"Seat": "open", "Filled": "filled"}
    # The open seat's removal from the live design is in its history, to bring back.
    assert Position.history.filter(id=open_seat.pk, history_type="-").exists()
