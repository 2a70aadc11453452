"""Compare's capacity and cost (docs/design.md section 4): per team, per pipeline and in total,
headcount, FTE, open positions and, for admins and admin tokens only, cost, from one design to
another, in HTML, CSV and JSON, in a fixed number of queries; and compare's `?plan=1`."""

import csv
import io

import pytest

from orgdesign.analysis.kept import forget_all
from orgdesign.scenarios.services import scenario_create
from pipelines.models import EngagementRole, Pipeline, Position
from pipelines.positions import position_create
from teams import services
from teams.models import Level, Person, Role, Team, TeamKind
from tests.api_helpers import api_url, token_client
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    UserFactory,
    client_for,
)

pytestmark = pytest.mark.django_db

# Annual costs no other figure of the pages has.
L4, L5, L6 = 77776, 111111, 155555
COST_A = 2 * L5 + L4  # Ada, Bo and Cy, each in full (Dee has no level)
COST_B = L5 + L6 + L4  # Bo now at L6
PLANNED_B = COST_B + L5  # and the open seat at L5, 100%
MONEY_FIGURES = [str(n) for n in (COST_A, COST_B, PLANNED_B)] + [
    f"{n:,}" for n in (COST_A, COST_B, PLANNED_B)
]


@pytest.fixture
def origin(org):
    """Modeling (Ada, Bo: L5) owns Search; Data Ops (Cy: L4, 50%) contributes to it.
    Tooling and Ranking stay as they are in the scenario."""
    modeling = TeamFactory(organisation=org, name="Modeling", kind=TeamKind.MODELING)
    data = TeamFactory(organisation=org, name="Data Ops", kind=TeamKind.DATA_OPS)
    tooling = TeamFactory(organisation=org, name="Tooling", kind=TeamKind.TOOLING)
    search = PipelineFactory(organisation=org, name="Search")
    ranking = PipelineFactory(organisation=org, name="Ranking")
    for name in ("Ada", "Bo"):
        MembershipFactory(person=PersonFactory(organisation=org, name=name, level="L5"),
                          team=modeling, allocation=100)
    MembershipFactory(person=PersonFactory(organisation=org, name="Cy", level="L4"),
                      team=data, allocation=50)
    MembershipFactory(person=PersonFactory(organisation=org, name="Dee"), team=tooling)
    EngagementFactory(pipeline=search, team=modeling, role=EngagementRole.OWNER)
    EngagementFactory(pipeline=search, team=data, role=EngagementRole.CONTRIBUTOR)
    EngagementFactory(pipeline=ranking, team=tooling, role=EngagementRole.OWNER)
    for name, cost in (("L4", L4), ("L5", L5), ("L6", L6)):
        Level.objects.create(organisation=org, name=name, annual_cost=cost)
    return org


@pytest.fixture
def scenario(origin):
    """A position opened in Modeling, Cy moved from Data Ops to Modeling (full time), Bo's
    level raised to L6."""
    copy = scenario_create(origin=origin, name="Next year", creator=UserFactory())
    modeling = Team.objects.get(organisation=copy, name="Modeling")
    position_create(organisation=copy, team=modeling, title="MLE", level="L5", fte=100)
    cy = Person.objects.get(organisation=copy, name="Cy")
    services.membership_remove(person=cy, team=Team.objects.get(organisation=copy,
                                                                name="Data Ops"))
    services.membership_set(person=cy, team=modeling, allocation=100)
    services.person_update(person=Person.objects.get(organisation=copy, name="Bo"), level="L6")
    return copy


def figures(**pairs):
    return {name: {"a": a, "b": b} for name, (a, b) in pairs.items()}


# Dee, in Tooling, has no level: counted, costing nothing.
TOTAL = figures(headcount=(4, 4), fte=(3.5, 4.0), open_positions=(0, 1), planned_fte=(3.5, 5.0))
MODELING = {"name": "Modeling", "change": "changed", **figures(
    headcount=(2, 3), fte=(2.0, 3.0), open_positions=(0, 1), planned_fte=(2.0, 4.0))}
DATA_OPS = {"name": "Data Ops", "change": "changed", **figures(
    headcount=(1, 0), fte=(0.5, 0.0), open_positions=(0, 0), planned_fte=(0.5, 0.0))}
SEARCH = {"name": "Search", "change": "changed", **figures(fte=(2.5, 3.0),
                                                           planned_fte=(2.5, 4.0))}


def compare_json(client, origin, scenario, query=""):
    response = client.get(api_url(origin, f"compare/{scenario.slug}/{query}"))
    assert response.status_code == 200, response.content
    return response.json()


def compare_csv(client, origin, scenario, query=""):
    response = client.get(f"/orgs/{origin.slug}/compare/{scenario.slug}/?format=csv{query}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def capacity_rows(rows):
    return {(r["key"], r["name"], r["field"]): (r["change"], r["a"], r["b"])
            for r in rows if r["type"] == "capacity"}


# JSON -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["read", "write"])
def test_the_json_lists_the_figures_that_differ_without_money(origin, scenario, scope):
    body = compare_json(token_client(origin, scope), origin, scenario)

    assert body["capacity"] == {
        "total": TOTAL, "teams": [DATA_OPS, MODELING], "pipelines": [SEARCH],
    }


def test_an_admin_token_gets_the_costs_too(origin, scenario):
    capacity = compare_json(token_client(origin, "admin"), origin, scenario)["capacity"]

    assert capacity["total"] == {
        **TOTAL, **figures(cost=(COST_A, COST_B), planned_cost=(COST_A, PLANNED_B)),
    }
    teams = {team["name"]: team for team in capacity["teams"]}
    assert teams["Modeling"] == {**MODELING, **figures(
        cost=(2 * L5, COST_B), planned_cost=(2 * L5, PLANNED_B))}
    assert teams["Data Ops"] == {**DATA_OPS, **figures(cost=(L4 // 2, 0),
                                                       planned_cost=(L4 // 2, 0))}
    assert capacity["pipelines"] == [{**SEARCH, **figures(
        cost=(2 * L5 + L4 // 2, COST_B), planned_cost=(2 * L5 + L4 // 2, PLANNED_B))}]


def test_an_admin_login_gets_the_costs_through_the_api(origin, scenario):
    capacity = compare_json(client_for(origin, "admin"), origin, scenario)["capacity"]
    assert capacity["total"]["cost"] == {"a": COST_A, "b": COST_B}


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_a_login_below_admin_gets_no_costs_through_the_api(origin, scenario, role):
    body = compare_json(client_for(origin, role), origin, scenario)
    assert "cost" not in str(body["capacity"])


def test_a_team_only_in_one_design_is_added_or_removed(origin, scenario):
    services.team_create(organisation=scenario, name="Search squad",
                         kind=TeamKind.PRODUCT_SQUAD)
    Pipeline.objects.filter(organisation=scenario, name="Ranking").delete()

    capacity = compare_json(token_client(origin, "read"), origin, scenario)["capacity"]

    assert {"name": "Search squad", "change": "added", **figures(
        headcount=(None, 0), fte=(None, 0.0), open_positions=(None, 0),
        planned_fte=(None, 0.0))} in capacity["teams"]
    assert {"name": "Ranking", "change": "removed", **figures(
        fte=(1.0, None), planned_fte=(1.0, None))} in capacity["pipelines"]


def test_the_same_design_has_only_its_totals(origin):
    copy = scenario_create(origin=origin, name="Same", creator=UserFactory())
    capacity = compare_json(token_client(origin, "admin"), origin, copy)["capacity"]
    assert capacity["teams"] == capacity["pipelines"] == []
    assert capacity["total"]["cost"] == {"a": COST_A, "b": COST_A}


# CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_the_csv_has_a_row_per_figure_that_differs_without_money(origin, scenario, role):
    rows = compare_csv(client_for(origin, role), origin, scenario)

    assert capacity_rows(rows) == {
        ("total", "Total", "fte"): ("changed", "3.5", "4"),
        ("total", "Total", "open_positions"): ("changed", "0", "1"),
        ("total", "Total", "planned_fte"): ("changed", "3.5", "5"),
        ("team", "Data Ops", "headcount"): ("changed", "1", "0"),
        ("team", "Data Ops", "fte"): ("changed", "0.5", "0"),
        ("team", "Data Ops", "planned_fte"): ("changed", "0.5", "0"),
        ("team", "Modeling", "headcount"): ("changed", "2", "3"),
        ("team", "Modeling", "fte"): ("changed", "2", "3"),
        ("team", "Modeling", "open_positions"): ("changed", "0", "1"),
        ("team", "Modeling", "planned_fte"): ("changed", "2", "4"),
        ("pipeline", "Search", "fte"): ("changed", "2.5", "3"),
        ("pipeline", "Search", "planned_fte"): ("changed", "2.5", "4"),
    }
    assert list(rows[0]) == ["type", "key", "name", "change", "field", "a", "b"]
    text = str(rows)
    assert not any(figure in text for figure in MONEY_FIGURES)


def test_the_csv_has_the_cost_rows_for_an_admin(origin, scenario):
    rows = capacity_rows(compare_csv(client_for(origin, "admin"), origin, scenario))

    assert rows[("total", "Total", "cost")] == ("changed", str(COST_A), str(COST_B))
    assert rows[("total", "Total", "planned_cost")] == ("changed", str(COST_A), str(PLANNED_B))
    assert rows[("team", "Modeling", "cost")] == ("changed", str(2 * L5), str(COST_B))
    assert rows[("team", "Data Ops", "cost")] == ("changed", str(L4 // 2), "0")
    assert rows[("pipeline", "Search", "cost")] == ("changed", str(2 * L5 + L4 // 2),
                                                     str(COST_B))


# HTML -----------------------------------------------------------------------------------------


def page(client, origin, scenario, query=""):
    response = client.get(f"/orgs/{origin.slug}/compare/{scenario.slug}/{query}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_the_page_shows_the_capacity_without_money(origin, scenario, role):
    content = page(client_for(origin, role), origin, scenario)

    assert '<h2 id="compare-capacity">Capacity</h2>' in content
    assert ('data-capacity="team" data-name="Modeling" data-figure="headcount"><th scope="row">'
            'Modeling <span class="muted">(team)</span></th><td>headcount</td>') in content
    assert '<td>2</td><td>3</td><td data-change="1">+1</td>' in content
    assert 'data-capacity="team" data-name="Data Ops" data-figure="fte"' in content
    assert '<td>0.5</td><td>0</td><td data-change="-0.5">−0.5</td>' in content
    assert 'data-capacity="pipeline" data-name="Search" data-figure="planned_fte"' in content
    # The total's every figure, even one that does not change.
    assert 'data-capacity="total" data-name="Total" data-figure="headcount"' in content
    # No team or pipeline whose figures are the same.
    assert 'data-name="Tooling"' not in content and 'data-name="Ranking"' not in content
    assert "data-money" not in content
    assert not any(figure in content for figure in MONEY_FIGURES)


def test_an_admin_sees_the_cost_on_the_page(origin, scenario):
    content = page(client_for(origin, "admin"), origin, scenario)

    assert '<h2 id="compare-capacity">Capacity and cost</h2>' in content
    assert (f'<td data-money>USD {COST_A:,}</td><td data-money>USD {COST_B:,}</td>'
            f'<td data-money data-change="{COST_B - COST_A}">+USD {COST_B - COST_A:,}</td>'
            ) in content
    assert 'data-capacity="team" data-name="Modeling" data-figure="planned_cost"' in content
    assert f"USD {PLANNED_B:,}" in content


@pytest.mark.parametrize("extra", [0, 25])
def test_the_page_runs_a_fixed_number_of_queries(
    django_assert_num_queries, origin, scenario, extra
):
    team = TeamFactory(organisation=scenario, name="Growth", kind=TeamKind.MODELING)
    for _ in range(extra):
        MembershipFactory(person=PersonFactory(organisation=scenario, level="L5"), team=team)
        Position.objects.create(organisation=scenario, team=team, title="Seat", level="L5")
    viewer, admin = client_for(origin, "viewer"), client_for(origin, "admin")
    url = f"/orgs/{origin.slug}/compare/{scenario.slug}/"
    forget_all()
    # session, user, the two organisations, one query per table for both designs.
    with django_assert_num_queries(10):
        assert viewer.get(url).status_code == 200
    forget_all()
    # The same, and the level table of each design: money.
    with django_assert_num_queries(12):
        assert admin.get(url).status_code == 200
    forget_all()
    with django_assert_num_queries(12):
        assert admin.get(url + "?format=csv&plan=1").status_code == 200


def test_the_api_runs_a_fixed_number_of_queries(django_assert_num_queries, origin, scenario):
    reader, admin = token_client(origin, "read"), token_client(origin, "admin")
    url = api_url(origin, f"compare/{scenario.slug}/?plan=1")
    forget_all()
    # The token, the rate count, the other organisation, the six tables of both designs.
    with django_assert_num_queries(9):
        assert reader.get(url).status_code == 200
    forget_all()
    with django_assert_num_queries(11):  # and the two level tables
        assert admin.get(url).status_code == 200


# ?plan=1 ---------------------------------------------------------------------------------------


@pytest.fixture
def hiring(db):
    """A design whose Modeling team owns Ranking's modeling stage with nobody in it, and its
    scenario with two seats opened there: unowned still, but not in the plan."""
    organisation = OrganisationFactory()
    head = PersonFactory(organisation=organisation, name="Hana", role=Role.EXECUTIVE)
    organisation.ml_head = head
    organisation.save()
    pm = PersonFactory(organisation=organisation, name="Paula", role=Role.PRODUCT_MANAGER,
                       manager=head)
    pipeline = PipelineFactory(organisation=organisation, name="Ranking", pm_owner=pm,
                               metric="ndcg", required_stages=["modeling"])
    team = TeamFactory(organisation=organisation, name="Modeling", lead=head,
                       kind=TeamKind.MODELING)
    EngagementFactory(pipeline=pipeline, team=team, role=EngagementRole.OWNER)
    MembershipFactory(person=pm, team=TeamFactory(organisation=organisation, name="Data",
                                                  lead=head, kind=TeamKind.DATA_OPS))
    copy = scenario_create(origin=organisation, name="Hire", creator=UserFactory())
    seats = Team.objects.get(organisation=copy, name="Modeling")
    for title in ("Scientist", "Engineer"):
        position_create(organisation=copy, team=seats, title=title)
    return organisation, copy


UNOWNED_FIXED = 'data-finding="pipeline.stage_unowned" data-compare="fixed"'


def test_the_plan_lists_as_fixed_what_the_open_positions_clear(hiring):
    organisation, copy = hiring
    client = client_for(organisation, "viewer")

    design = page(client, organisation, copy)
    plan = page(client, organisation, copy, "?plan=1")

    assert UNOWNED_FIXED not in design
    assert 'data-plan="0"' in design and 'href="?plan=1" data-plan-toggle' in design
    assert UNOWNED_FIXED in plan
    assert 'data-plan="1"' in plan and 'href="?format=csv&amp;plan=1"' in plan
    rows = compare_csv(client, organisation, copy, "&plan=1")
    assert any(r["type"] == "finding" and r["field"] == "pipeline.stage_unowned"
               and r["change"] == "fixed" for r in rows)
    assert not any(r["field"] == "pipeline.stage_unowned"
                   for r in compare_csv(client, organisation, copy))


def test_the_api_judges_the_plans_with_plan_1(hiring):
    organisation, copy = hiring
    client = token_client(organisation, "read")

    def fixed(query=""):
        body = compare_json(client, organisation, copy, query)
        return {f["code"] for f in body["findings"]["fixed"]}

    assert "pipeline.stage_unowned" not in fixed()
    assert "pipeline.stage_unowned" in fixed("?plan=1") == fixed("?plan=true")
    assert fixed("?plan=0") == fixed("?plan=false") == fixed()
    refused = client.get(api_url(organisation, f"compare/{copy.slug}/?plan=yes"))
    assert refused.status_code == 400 and "plan" in refused.json()
    # The positions show in capacity, whatever the plan.
    capacity = compare_json(client, organisation, copy)["capacity"]
    assert capacity["total"]["open_positions"] == {"a": 0, "b": 2}
