"""The capacity page and capacity.csv through their doors: FTE now and planned for everyone,
money for admins (and tokens of scope admin) only, in a fixed number of queries."""

import csv
import io

import pytest

from pipelines.models import Position
from teams.models import Level
from tests.api_helpers import token_client
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)

pytestmark = pytest.mark.django_db

COST = 123457  # a figure no other number on the pages has


@pytest.fixture
def design(org):
    modeling = TeamFactory(organisation=org, name="Modeling", kind="modeling")
    data = TeamFactory(organisation=org, name="Data Ops", kind="data_ops")
    search = PipelineFactory(organisation=org, name="Search")
    ranking = PipelineFactory(organisation=org, name="Ranking")
    for name in ("Ada", "Bo"):
        MembershipFactory(person=PersonFactory(organisation=org, name=name, level="L5"),
                          team=modeling, allocation=100)
    MembershipFactory(person=PersonFactory(organisation=org, name="Cy"), team=data,
                      allocation=50)
    EngagementFactory(pipeline=search, team=modeling, role="owner", effort=75)
    EngagementFactory(pipeline=ranking, team=modeling, role="contributor")
    EngagementFactory(pipeline=search, team=data, role="owner")
    Position.objects.create(organisation=org, team=modeling, title="MLE", fte=50, level="L5")
    Level.objects.create(organisation=org, name="L5", annual_cost=COST)
    return {"modeling": modeling, "search": search, "ranking": ranking}


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_page_shows_fte_now_and_planned(org, design):
    page = client_for(org, "viewer").get(f"/orgs/{org.slug}/capacity/")
    assert page.status_code == 200
    content = page.content.decode()
    # Modeling: 2 FTE; Search takes 75% (1.5), Ranking the 25% left (0.5); planned adds the
    # open seat's 0.5 FTE: 1.875 and 0.625.
    search = design["search"].pk
    assert f'data-pipeline="{search}"' in content
    assert 'data-stage="modeling" data-fte="1.5" data-planned="1.9"' in content
    assert 'data-stage="modeling" data-fte="0.5" data-planned="0.6"' in content
    assert 'data-stage="data" data-fte="0.5" data-planned="0.5"' in content


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_no_money_for_anyone_but_admins_on_the_page(org, design, role):
    content = client_for(org, role).get(f"/orgs/{org.slug}/capacity/").content.decode()
    assert "data-money" not in content
    assert str(COST) not in content and f"{COST:,}" not in content


def test_an_admin_sees_the_costs(org, design):
    content = client_for(org, "admin").get(f"/orgs/{org.slug}/capacity/").content.decode()
    assert "data-money" in content
    # Ada and Bo, in full: 2 x COST now; planned adds the seat at 50%.
    assert f"USD {2 * COST:,}" in content
    assert f"USD {round(2.5 * COST):,}" in content


def test_capacity_csv_carries_cost_only_for_admins(org, design):
    url = f"/orgs/{org.slug}/export/capacity.csv"
    for client in (client_for(org, "editor"), token_client(org, "write"),
                   token_client(org, "read")):
        rows = _csv(client.get(url))
        assert rows and "cost" not in rows[0]
        assert {(r["pipeline"], r["stage"], r["team"]) for r in rows} == {
            ("Search", "modeling", "Modeling"), ("Search", "data", "Data Ops"),
            ("Ranking", "modeling", "Modeling")}
        search = next(r for r in rows if r["pipeline"] == "Search" and r["team"] == "Modeling")
        assert (search["fte_now"], search["fte_planned"]) == ("1.5", "1.88")
    for client in (client_for(org, "admin"), token_client(org, "admin")):
        rows = _csv(client.get(url))
        search = next(r for r in rows if r["pipeline"] == "Search" and r["team"] == "Modeling")
        assert search["cost"] == str(round(2 * COST * 0.75))


def test_the_page_runs_a_fixed_number_of_queries(org, design, django_assert_num_queries):
    client = client_for(org, "admin")
    client.get(f"/orgs/{org.slug}/capacity/")  # the design is kept from now on
    # session, user, organisation with role (its version tells the kept analysis is
    # current), the level table.
    with django_assert_num_queries(4):
        assert client.get(f"/orgs/{org.slug}/capacity/").status_code == 200
    for number in range(30):
        PersonFactory(organisation=org, name=f"P{number}", level="L5")
    client.get(f"/orgs/{org.slug}/capacity/")
    with django_assert_num_queries(4):
        assert client.get(f"/orgs/{org.slug}/capacity/").status_code == 200


# The effort, edited beside the role in the matrix ------------------------------------------


def test_an_effort_is_set_and_cleared_beside_the_role_in_the_matrix(org, design):
    editor = client_for(org, "editor")
    search, modeling = design["search"], design["modeling"]
    page = editor.get(f"/orgs/{org.slug}/").content.decode()
    # The owner cell holds its effort in an input that posts to the cell, keeping the role.
    assert f'hx-post="cells/{search.pk}/{modeling.pk}/" hx-trigger="change"' in page
    assert 'name="effort" min="1" max="100" step="1" value="75"' in page
    url = f"/orgs/{org.slug}/cells/{search.pk}/{modeling.pk}/"
    answer = editor.post(url, {"role": "owner", "expected": "owner", "set_effort": "1",
                               "effort": "40"})
    assert answer.status_code == 200
    engagement = search.engagements.get(team=modeling)
    assert (engagement.role, engagement.effort) == ("owner", 40)
    assert 'value="40"' in answer.content.decode()
    assert engagement.history.first().updated_via == "browser"
    # The capacity page follows: Search now takes 40% of Modeling's 2 FTE.
    capacity = editor.get(f"/orgs/{org.slug}/capacity/").content.decode()
    assert 'data-stage="modeling" data-fte="0.8"' in capacity
    editor.post(url, {"role": "owner", "expected": "owner", "set_effort": "1", "effort": ""})
    assert search.engagements.get(team=modeling).effort is None


@pytest.mark.parametrize("bad", ["0", "101", "-5", "12.5", "lots"])
def test_a_bad_effort_is_refused_and_nothing_changes(org, design, bad):
    search, modeling = design["search"], design["modeling"]
    answer = client_for(org, "editor").post(
        f"/orgs/{org.slug}/cells/{search.pk}/{modeling.pk}/",
        {"role": "owner", "expected": "owner", "set_effort": "1", "effort": bad})
    assert answer.status_code == 400
    assert "Effort must be a whole percent" in answer.content.decode()
    assert search.engagements.get(team=modeling).effort == 75


def test_a_viewer_sees_the_effort_and_no_input(org, design):
    page = client_for(org, "viewer").get(f"/orgs/{org.slug}/").content.decode()
    assert 'name="effort"' not in page
    assert '<small class="effort">75%</small>' in page


def test_a_squad_owned_pipeline_shows_no_gap_in_the_stages_the_squad_covers(org):
    squad = TeamFactory(organisation=org, name="Checkout", kind="product_squad")
    fraud = PipelineFactory(organisation=org, name="Fraud")
    bare = PipelineFactory(organisation=org, name="Bare")
    MembershipFactory(person=PersonFactory(organisation=org, name="Ada"), team=squad)
    EngagementFactory(pipeline=fraud, team=squad, role="owner")
    # Bare has no team at all: its required stages are gaps.
    modeling = TeamFactory(organisation=org, name="Models", kind="modeling")
    EngagementFactory(pipeline=bare, team=modeling, role="service")
    content = client_for(org, "viewer").get(f"/orgs/{org.slug}/capacity/").content.decode()
    fraud_row = content.split(f'data-pipeline="{fraud.pk}"', 1)[1].split("</tr>", 1)[0]
    bare_row = content.split(f'data-pipeline="{bare.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "heat-gap" not in fraud_row and "in squad" in fraud_row
    assert 'data-stage="squad" data-fte="1"' in fraud_row
    assert bare_row.count("heat-gap") == 4  # data, infrastructure, modeling, deployment


def test_capacity_csv_writes_whole_costs_and_figures_as_they_are(org, design):
    """Trailing zeros of a whole number are digits, not decimals: 120000 stays 120000."""
    Level.objects.filter(organisation=org).update(annual_cost=100_000)
    rows = _csv(client_for(org, "admin").get(f"/orgs/{org.slug}/export/capacity.csv"))
    cells = {(r["pipeline"], r["team"]): r for r in rows}
    # Modeling costs 200,000 (Ada and Bo); Search takes 75% of it, Ranking 25%.
    assert cells[("Search", "Modeling")]["cost"] == "150000"
    assert cells[("Ranking", "Modeling")]["cost"] == "50000"
    assert cells[("Search", "Data Ops")]["cost"] == "0"
    assert cells[("Search", "Data Ops")]["fte_now"] == "0.5"
    assert cells[("Ranking", "Modeling")]["fte_now"] == "0.5"
    assert cells[("Search", "Modeling")]["fte_now"] == "1.5"
