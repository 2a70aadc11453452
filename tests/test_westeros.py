"""Seed 002's Westeros, built through the write API, and the errors it must show.

Seed 002 ("Scaling An ML Team (10-100+ People)", see docs/domain.md) warns: "If your ML teams
are misaligned, your org can start to feel a lot like Westeros." Its trap: "it's a common
pattern to put ML Infrastructure teams into a broader Infrastructure org that also serves non-ML
teams, and then put ML modelers under a separate Research org", whereas "an ML org must have all
of its critical dependencies under the same management".

The realm below is built the way an operator would build it: `create_org`, `create_api_token`,
then only API writes (people with their managers, the organisation's ML head, teams, memberships,
pipelines, engagements). Robert Baratheon (CEO) sits at the top; under him four executives:
Eddard Stark (VP of ML, the ML head), Tywin Lannister (VP Infrastructure), Olenna Tyrell (VP
Research) and Petyr Baelish (VP Product).

- ML Infrastructure (kind infrastructure) is led by Jaime Lannister, an engineering manager under
  Tywin, with two data engineers: the ML infrastructure sits in the company Infrastructure org.
- Research Modeling (kind modeling) is led by Samwell Tarly, a science manager under Olenna, with
  two scientists, and is measured on "Papers accepted" (seed 002: research teams "may pursue
  intellectually interesting or publication-worthy work even if it's not necessarily the most
  impactful").
- Inside the ML org, under Eddard: Data Operations (led by an ops manager, measured on labels
  produced per week: seed 002's labeling teams "incentivized to produce large quantities of
  labels"), Deployment, and two ML Product Managers who own the rows. No tooling team exists
  (seed 002: tooling teams emerge late).

Three pipelines: News Feed ranking (production, critical, NDCG@10: seed 002's "1% improvements
... tens of millions of dollars"), every stage owned; Search ranking (incubating) which requires
a tooling stage nobody owns; Spam detection (incubating) which nobody PMs.

docs/design.md section 2 then expects exactly three error codes of the design itself:
`dependency.outside_ml_org` (once for each of the two teams, naming Tywin's and Olenna's
organisations), `pipeline.stage_unowned` (the tooling stage of Search ranking) and
`pipeline.no_pm` (Spam detection); and the two KPI warnings, of teams that the critical
pipeline engages, raised to errors. The critical pipeline itself must raise nothing at all.
"""

import copy
from collections import Counter
from dataclasses import dataclass, field
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.snapshots import Snapshot

pytestmark = pytest.mark.django_db

SLUG = "westeros"
EXPECTED_ERRORS = {"dependency.outside_ml_org", "pipeline.stage_unowned", "pipeline.no_pm"}
# Warnings about teams engaged in the critical News Feed ranking: raised to errors.
RAISED_ERRORS = {"team.kpi_output_volume", "team.kpi_publications"}

# (external_id, name, title, role, manager's external_id), managers before their reports.
PEOPLE = [
    ("CEO", "Robert Baratheon", "Chief Executive Officer", "executive", None),
    ("VPML", "Eddard Stark", "VP of Machine Learning", "executive", "CEO"),
    ("VPINFRA", "Tywin Lannister", "VP Infrastructure", "executive", "CEO"),
    ("VPRES", "Olenna Tyrell", "VP Research", "executive", "CEO"),
    ("VPPROD", "Petyr Baelish", "VP Product", "executive", "CEO"),
    # The company Infrastructure org.
    ("INFRA-EM", "Jaime Lannister", "Engineering Manager, ML Infrastructure",
     "engineering_manager", "VPINFRA"),
    ("INFRA-1", "Kevan Lannister", "Data Engineer", "data_engineer", "INFRA-EM"),
    ("INFRA-2", "Lancel Lannister", "Data Engineer", "data_engineer", "INFRA-EM"),
    # The separate Research org.
    ("RES-SM", "Samwell Tarly", "Science Manager, Research Modeling", "science_manager",
     "VPRES"),
    ("RES-1", "Margaery Tyrell", "Research Scientist", "scientist", "RES-SM"),
    ("RES-2", "Loras Tyrell", "Research Scientist", "scientist", "RES-SM"),
    # The ML org.
    ("OPS-LEAD", "Catelyn Stark", "Data Operations Manager", "ops_manager", "VPML"),
    ("OPS-1", "Arya Stark", "Labeling Operations Manager", "ops_manager", "OPS-LEAD"),
    ("OPS-2", "Bran Stark", "Data QA Engineer", "data_engineer", "OPS-LEAD"),
    ("DEP-EM", "Robb Stark", "Engineering Manager, Deployment", "engineering_manager", "VPML"),
    ("DEP-1", "Jon Snow", "ML Engineer", "ml_engineer", "DEP-EM"),
    ("DEP-2", "Sansa Stark", "Software Engineer", "software_engineer", "DEP-EM"),
    ("PM-1", "Brienne of Tarth", "ML Product Manager", "product_manager", "VPML"),
    ("PM-2", "Davos Seaworth", "ML Product Manager", "product_manager", "VPML"),
]

# name: (kind, lead, kpi, kpi_type, members), every member at 100%.
TEAMS = {
    "ML Infrastructure": ("infrastructure", "INFRA-EM", "", "", ["INFRA-1", "INFRA-2"]),
    "Research Modeling": ("modeling", "RES-SM", "Papers accepted", "publications",
                          ["RES-1", "RES-2"]),
    "Data Operations": ("data_ops", "OPS-LEAD", "Labels produced per week", "output_volume",
                        ["OPS-LEAD", "OPS-1", "OPS-2"]),
    "Deployment": ("deployment", "DEP-EM", "Online NDCG@10 lift", "model_outcome",
                   ["DEP-1", "DEP-2"]),
}

# name: (pm external_id, lifecycle, tier, metric, required stages, {team: role}).
PIPELINES = {
    "News Feed ranking": (
        "PM-1", "production", "critical", "NDCG@10",
        ["data", "infrastructure", "modeling", "deployment"],
        {"Data Operations": "owner", "ML Infrastructure": "owner",
         "Research Modeling": "owner", "Deployment": "owner"},
    ),
    "Search ranking": (
        "PM-2", "incubating", "normal", "MRR",
        ["data", "tooling", "modeling", "deployment"],
        {"Data Operations": "owner", "Research Modeling": "owner", "Deployment": "owner",
         "ML Infrastructure": "service"},
    ),
    "Spam detection": (
        None, "incubating", "normal", "Precision at 99% recall",
        ["data", "modeling", "deployment"],
        {"Data Operations": "owner", "Research Modeling": "owner", "Deployment": "owner"},
    ),
}


@dataclass
class Realm:
    client: APIClient
    people: dict[str, dict] = field(default_factory=dict)  # by external_id
    teams: dict[str, dict] = field(default_factory=dict)  # by name
    pipelines: dict[str, dict] = field(default_factory=dict)  # by name
    findings: list[dict] = field(default_factory=list)

    def of_code(self, code: str) -> list[dict]:
        return [f for f in self.findings if f["code"] == code]


def url(path: str = "") -> str:
    return f"/api/v1/orgs/{SLUG}/{path}"


def post(client: APIClient, path: str, payload: dict) -> dict:
    """POST `payload` and fail loudly, with the answer, unless it was created."""
    response = client.post(url(path), payload, format="json")
    assert response.status_code == 201, (path, payload, response.content.decode())
    return response.json()


def patch(client: APIClient, path: str, payload: dict) -> dict:
    response = client.patch(url(path), payload, format="json")
    assert response.status_code == 200, (path, payload, response.content.decode())
    return response.json()


def get_all(client: APIClient, path: str) -> list[dict]:
    """Every result of a paginated list, following `next` to the end."""
    results, next_url = [], url(path)
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, (next_url, response.content.decode())
        body = response.json()
        results.extend(body["results"])
        next_url = body["next"]
    return results


def write_token() -> str:
    """The operator's way in: create the organisation, then a write token (printed last)."""
    call_command("create_org", SLUG, name="Westeros", stdout=StringIO())
    out = StringIO()
    call_command(
        "create_api_token", SLUG, name="westeros-builder", scope="write",
        stdout=out, stderr=StringIO(),
    )
    return out.getvalue().strip().splitlines()[-1]


@pytest.fixture(scope="session")
def _realm_snapshot(django_db_setup, django_db_blocker) -> Snapshot | None:
    """The realm, built once per test process (tests/snapshots.py): each test then gets its
    rows back in a few statements instead of some sixty API writes. Its times stay as they
    were: the answers kept in the realm quote them."""
    with django_db_blocker.unblock():
        return Snapshot.take(_build_realm, move_times=False)


@pytest.fixture
def realm(db, _realm_snapshot) -> Realm:
    if _realm_snapshot is None or not _realm_snapshot.restore():
        return _build_realm()
    built = _realm_snapshot.result
    # A client of the test's own (a client keeps cookies), with the same token.
    client = APIClient()
    client.credentials(**built.client._credentials)
    return Realm(client, *copy.deepcopy(
        (built.people, built.teams, built.pipelines, built.findings)
    ))


def _build_realm() -> Realm:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {write_token()}")
    realm = Realm(client)

    for external_id, name, title, role, manager in PEOPLE:
        payload = {
            "external_id": external_id, "name": name, "title": title, "role": role,
            "email": f"{external_id.lower()}@westeros.example",
            "manager": realm.people[manager]["id"] if manager else None,
        }
        realm.people[external_id] = post(client, "people/", payload)

    org = patch(client, "", {"ml_head": realm.people["VPML"]["id"]})
    assert org["ml_head"] == realm.people["VPML"]["id"]

    for name, (kind, lead, kpi, kpi_type, members) in TEAMS.items():
        realm.teams[name] = post(client, "teams/", {
            "name": name, "kind": kind, "lead": realm.people[lead]["id"], "kpi": kpi,
            "kpi_type": kpi_type,
        })
        for member in members:
            post(client, "memberships/", {
                "person": realm.people[member]["id"], "team": realm.teams[name]["id"],
                "allocation": 100,
            })

    for name, (pm, lifecycle, tier, metric, stages, cells) in PIPELINES.items():
        realm.pipelines[name] = post(client, "pipelines/", {
            "name": name, "pm_owner": realm.people[pm]["id"] if pm else None,
            "lifecycle": lifecycle, "tier": tier, "metric": metric, "required_stages": stages,
        })
        assert realm.pipelines[name]["required_stages"] == stages
        for team, role in cells.items():
            post(client, "engagements/", {
                "pipeline": realm.pipelines[name]["id"], "team": realm.teams[team]["id"],
                "role": role,
            })

    realm.findings = get_all(client, "findings/?page_size=5")
    return realm


def errors(realm: Realm) -> list[dict]:
    return [f for f in realm.findings if f["severity"] == "error"]


# 1. The three errors of Westeros, and no other ---------------------------------------------


def test_the_distinct_error_codes_are_exactly_the_three_of_westeros(realm):
    assert {f["code"] for f in errors(realm)} == EXPECTED_ERRORS | RAISED_ERRORS, [
        (f["code"], f["message"]) for f in errors(realm)
    ]
    assert Counter(f["code"] for f in errors(realm) if f["base_severity"] == "error") == {
        "dependency.outside_ml_org": 2, "pipeline.stage_unowned": 1, "pipeline.no_pm": 1,
    }


def test_the_findings_list_answers_the_same_through_its_severity_filter(realm):
    filtered = get_all(realm.client, "findings/?severity=error")
    assert filtered == errors(realm)


# 2. Critical dependencies under other management --------------------------------------------


def test_the_teams_outside_the_ml_org_are_the_infrastructure_and_research_ones(realm):
    in_ml_org = {t["name"]: t["in_ml_org"] for t in get_all(realm.client, "teams/")}
    assert in_ml_org == {
        "ML Infrastructure": False, "Research Modeling": False,
        "Data Operations": True, "Deployment": True,
    }


def test_each_outside_team_is_a_dependency_naming_the_head_of_its_org(realm):
    found = {f["subject"]["name"]: f for f in realm.of_code("dependency.outside_ml_org")}
    assert set(found) == {"ML Infrastructure", "Research Modeling"}
    heads = {"ML Infrastructure": ("Jaime Lannister", "Tywin Lannister"),
             "Research Modeling": ("Samwell Tarly", "Olenna Tyrell")}
    for team, (lead, org_head) in heads.items():
        finding = found[team]
        assert finding["severity"] == finding["base_severity"] == "error"
        assert finding["subject"] == {
            "type": "team", "id": realm.teams[team]["id"], "name": team,
        }
        assert lead in finding["message"]
        assert org_head in finding["message"]
        assert "Eddard Stark" not in finding["message"]
    # Any role is a dependency: ML Infrastructure serves Search ranking as a platform.
    related = {team: {r["name"] for r in f["related"]} for team, f in found.items()}
    assert related == {
        "ML Infrastructure": {"News Feed ranking", "Search ranking"},
        "Research Modeling": {"News Feed ranking", "Search ranking", "Spam detection"},
    }


# 3. The stage nobody owns, and the row nobody owns ------------------------------------------


def test_only_the_tooling_stage_of_search_ranking_is_unowned(realm):
    unowned = realm.of_code("pipeline.stage_unowned")
    assert [(f["subject"]["name"], f["stage"]) for f in unowned] == [
        ("Search ranking", "tooling")
    ]
    assert unowned[0]["subject"]["id"] == realm.pipelines["Search ranking"]["id"]
    assert "tooling" in unowned[0]["message"]


def test_spam_detection_is_the_pipeline_without_a_pm(realm):
    assert [f["subject"]["name"] for f in realm.of_code("pipeline.no_pm")] == ["Spam detection"]


# 4. Misaligned KPIs -------------------------------------------------------------------------


def test_the_labeling_and_research_kpis_are_warnings_raised_for_the_critical_pipeline(realm):
    raised = {(f["code"], f["subject"]["name"]) for f in realm.findings
              if f["severity"] == "error" and f["base_severity"] == "warning"}
    assert raised == {
        ("team.kpi_output_volume", "Data Operations"),
        ("team.kpi_publications", "Research Modeling"),
    }
    kpi_findings = realm.of_code("team.kpi_output_volume") + realm.of_code(
        "team.kpi_publications"
    )
    assert {f["base_severity"] for f in kpi_findings} == {"warning"}


# 5. Severities follow the business -----------------------------------------------------------


def test_every_finding_carries_the_base_severity_of_its_catalogue_entry(realm):
    catalogue = {e["code"]: e["severity"] for e in get_all(realm.client, "findings/codes/")}
    assert realm.findings
    for finding in realm.findings:
        assert finding["base_severity"] == catalogue[finding["code"]], finding
        # Only the findings about teams the critical pipeline engages are moved.
        if finding["code"] not in RAISED_ERRORS:
            assert finding["severity"] == finding["base_severity"], finding


def test_the_critical_pipeline_raises_nothing(realm):
    critical = realm.pipelines["News Feed ranking"]
    assert (critical["tier"], critical["lifecycle"]) == ("critical", "production")
    about_it = [
        f for f in realm.findings
        if f["subject"] == {"type": "pipeline", "id": critical["id"], "name": critical["name"]}
    ]
    # Were there any, its pipeline.* warnings would have become errors.
    assert all(f["severity"] == "error" for f in about_it if f["code"].startswith("pipeline."))
    assert about_it == []


def test_nobody_is_flagged_by_an_error_about_people(realm):
    person_errors = [f for f in errors(realm) if f["subject"]["type"] == "person"]
    assert person_errors == []
    assert not realm.of_code("scientist.no_science_manager")
    assert not realm.of_code("person.no_manager")
