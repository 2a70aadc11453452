"""The seeds' rules on remedies (tests/test_remedy_rules.py) through the public surface: the
remedies page (/orgs/<slug>/findings/<key>/remedies/), the fix-all page, and the API's
findings/<key>/remedies/ and findings/fix-all/, on designs stored in the database."""

from __future__ import annotations

import re
from html import unescape

import pytest

from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.loader import load_org_data
from pipelines.models import Pipeline
from teams.models import Organisation, Person, Role
from tests.api_helpers import api_url, token_client
from tests.builders import OrgBuilder
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)
from tests.remedy_cases import (
    critical_pipeline_with_thin_data_and_modeling,
    squad_in_a_wide_span,
    unowned_stage,
    wide_span,
)

pytestmark = pytest.mark.django_db


def saved(org: OrgBuilder) -> Organisation:
    """The design built in memory, stored: the same people, teams, memberships, pipelines and
    cells, under new ids."""
    organisation = OrganisationFactory(span_max=org.organisation.span_max,
                                       layers_max=org.organisation.layers_max)
    people = {
        p.id: PersonFactory(organisation=organisation, name=p.name, role=p.role,
                            active=p.active, worker_type=p.worker_type)
        for p in org.people
    }
    for p in org.people:
        if p.manager_id is not None:
            people[p.id].manager = people[p.manager_id]
            people[p.id].save(update_fields=["manager"])
    if org.organisation.ml_head_id is not None:
        organisation.ml_head = people[org.organisation.ml_head_id]
        organisation.save(update_fields=["ml_head"])
    teams = {
        t.id: TeamFactory(organisation=organisation, name=t.name, kind=t.kind,
                          lead=people.get(t.lead_id), kpi=t.kpi, kpi_type=t.kpi_type)
        for t in org.teams
    }
    for m in org.memberships:
        MembershipFactory(person=people[m.person_id], team=teams[m.team_id],
                          allocation=m.allocation)
    pipelines = {
        p.id: PipelineFactory(organisation=organisation, name=p.name,
                              pm_owner=people.get(p.pm_owner_id), lifecycle=p.lifecycle,
                              tier=p.tier, metric=p.metric,
                              required_stages=list(p.required_stages))
        for p in org.pipelines
    }
    for e in org.engagements:
        EngagementFactory(pipeline=pipelines[e.pipeline_id], team=teams[e.team_id], role=e.role)
    return organisation


def key_of(organisation: Organisation, code: str, stage: str | None = None) -> str:
    [finding] = [
        f for f in compute_findings(load_org_data(organisation))
        if f.code == code and (stage is None or f.stage == stage)
    ]
    return finding.key


def remedies_page(organisation: Organisation, key: str) -> str:
    response = client_for(organisation, "editor").get(
        f"/orgs/{organisation.slug}/findings/{key}/remedies/")
    assert response.status_code == 200
    return response.content.decode()


def summaries(content: str) -> list[str]:
    return [unescape(s) for s in re.findall(r'<p class="remedy-summary">([^<]*)</p>', content)]


def changes_on(content: str) -> list[str]:
    return re.findall(r'data-change="(\w+)"', content)


def api_changes(body: dict) -> list[dict]:
    return [change for remedy in body["remedies"] for change in remedy["changes"]]


def person_id(organisation: Organisation, name: str) -> int:
    return Person.objects.get(organisation=organisation, name=name).pk


# Regression a: an essential stage of a critical production pipeline is never dropped ---------


def critical_design() -> Organisation:
    """The critical production pipeline with its data and modeling stages unowned (the teams
    of their kinds are down to one person each), and no PM owner: an error a plan fixes, so
    fix-all makes a scenario."""
    org, pipeline = critical_pipeline_with_thin_data_and_modeling()
    pipeline.pm_owner_id = None
    head = next(p for p in org.people if p.id == org.organisation.ml_head_id)
    org.person("Quinn", role=Role.PRODUCT_MANAGER, manager=head)
    return saved(org)


@pytest.mark.parametrize("stage", ["data", "modeling"])
def test_regression_a_the_remedies_page_and_api_never_offer_to_drop_an_essential_stage(stage):
    organisation = critical_design()
    key = key_of(organisation, "pipeline.stage_unowned", stage)

    content = remedies_page(organisation, key)
    body = token_client(organisation, "read").get(
        api_url(organisation, f"findings/{key}/remedies/")).json()

    assert "Drop the" not in content
    assert changes_on(content) == ["set_cell"]
    assert len(summaries(content)) == 1
    assert body["automatic"] is True
    assert [change["action"] for change in api_changes(body)] == ["set_cell"]
    assert not any(change.get("stage") for change in api_changes(body))


def test_regression_a_fix_all_never_drops_an_essential_stage_on_the_page_nor_through_the_api():
    organisation = critical_design()
    pipeline = Pipeline.objects.get(organisation=organisation)
    required = list(pipeline.required_stages)
    unowned = {key_of(organisation, "pipeline.stage_unowned", s) for s in ("data", "modeling")}
    editor = client_for(organisation, "editor")

    page = editor.get(f"/orgs/{organisation.slug}/findings/fix-all/").content.decode()
    plan = token_client(organisation, "read").get(
        api_url(organisation, "findings/fix-all/")).json()

    assert "drop_stage" not in page and "Drop the" not in page
    assert "The plan: 1 fix, 1 change" in page
    assert not any(change["action"] == "drop_stage"
                   for step in plan["steps"] for change in step["changes"])
    assert unowned <= {finding["key"] for finding in plan["left"]}
    # Tried through the API: the scenario still requires every stage.
    response = token_client(organisation, "write").post(
        api_url(organisation, "findings/fix-all/"))
    assert response.status_code == 201
    scenario = Organisation.objects.get(slug=response.json()["scenario"])
    assert Pipeline.objects.get(organisation=scenario).required_stages == required
    pipeline.refresh_from_db()
    assert pipeline.required_stages == required  # the design itself is unchanged


def test_an_incubating_pipelines_stage_is_dropped_only_after_every_way_of_staffing_it():
    org, _ = unowned_stage("incubating", "deployment", "critical")
    organisation = saved(org)
    key = key_of(organisation, "pipeline.stage_unowned", "deployment")

    content = remedies_page(organisation, key)

    assert changes_on(content) == ["set_cell", "drop_stage"]
    assert summaries(content)[-1].startswith("Drop the deployment stage from what")


# Regression b: a wide span is split by discipline; no PM or manager is moved ---------------


def test_regression_b_the_science_manager_takes_the_scientists_first_on_the_page_and_the_api():
    org, _ = wide_span()
    organisation = saved(org)
    key = key_of(organisation, "manager.span_wide")

    content = remedies_page(organisation, key)
    body = token_client(organisation, "read").get(
        api_url(organisation, f"findings/{key}/remedies/")).json()

    assert summaries(content)[0] == (
        "Split Hana's 9 direct reports: Sonia (science manager) leads 4 of them (4 scientists)."
    )
    first = body["remedies"][0]
    sonia = person_id(organisation, "Sonia")
    assert {change["to"]["id"] for change in first["changes"]} == {sonia}
    assert sorted(change["subject"]["name"] for change in first["changes"]) == [
        f"Sam {n}" for n in range(4)
    ]
    never = {person_id(organisation, name) for name in ("Paula", "Emil", "Sonia")}
    assert not any(change["subject"]["id"] in never for change in api_changes(body))


def test_a_squads_designer_engineer_pm_and_contractors_are_never_moved_through_the_api():
    org, people, _ = squad_in_a_wide_span()
    people["Sam 0"].worker_type = "contractor"
    organisation = saved(org)
    key = key_of(organisation, "manager.span_wide")

    body = token_client(organisation, "read").get(
        api_url(organisation, f"findings/{key}/remedies/")).json()

    assert body["remedies"]
    moved = {change["subject"]["name"] for change in api_changes(body)}
    assert moved.isdisjoint({"Dina", "Pete", "Priya", "Paula", "Emil", "Sonia", "Sam 0"})
    sonia = person_id(organisation, "Sonia")
    for change in api_changes(body):
        if change["subject"]["name"] in {"Mo", "Sky"}:
            assert change["to"]["id"] == sonia
