"""Remedies that open a position (issue point 4): a stage nobody owns, resting on one person or
on less than one FTE may be staffed by a seat to hire, in the owner team or a team of the
stage's kind. Judged in plan mode (the open positions filled by placeholders), ranked after
every remedy with people already there and above dropping the stage, chained by
`plan_all_fixes` only where no such remedy is left; tried, it writes an open position into a
scenario. The engine on unsaved objects first, then the scenario, the API and the page."""

from __future__ import annotations

import pytest

from orgdesign.analysis.changes import OPEN_POSITION, SET_CELL, design_after, refusal
from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.kept import analysis_of
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.proposals import Remedy
from orgdesign.analysis.remedies import PROPOSERS, plan_all_fixes
from orgdesign.scenarios.fixes import apply_changes
from orgdesign.scenarios.try_fix import advice_for, try_remedy
from pipelines.models import EngagementRole, Lifecycle, Position, PositionStatus
from teams.models import Organisation, Role, TeamKind
from tests.api_helpers import api_url, token_client
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)
from tests.remedy_cases import Case, add_team, advised, disengage, judged_afresh, roomy_design

OWNER = EngagementRole.OWNER


def seats(remedy: Remedy) -> list:
    return [change for change in remedy.changes if change.action == OPEN_POSITION]


def the_seat(case: Case) -> Remedy:
    """The one remedy that opens a position, once checked that it clears the finding in plan
    mode only (an open position counts nowhere else) and ranks where it should."""
    found = [remedy for remedy in case.advice.remedies if remedy.opens_positions]
    assert len(found) == 1, [r.summary for r in case.advice.remedies]
    remedy = found[0]
    key = case.finding.key
    after = design_after(case.index, remedy.changes)
    assert key not in {f.key for f in judged_afresh(after.data, plan=True)}
    assert key in {f.key for f in compute_findings(after.data)}
    assert key in {f.key for f in remedy.effect.fixed}
    assert remedy.after.plan
    assert_ranked_between_people_and_drops(case)
    return remedy


def assert_ranked_between_people_and_drops(case: Case) -> None:
    """People already there first, then positions to open, then a drop."""
    tiers = [(r.last_resort, r.opens_positions) for r in case.advice.remedies]
    assert tiers == sorted(tiers)
    assert not any(r.last_resort and r.opens_positions for r in case.advice.remedies)


def one_person_deployment():
    """The roomy design whose Deployment team is down to its lead (Dina left)."""
    design = roomy_design()
    design.members[TeamKind.DEPLOYMENT].active = False
    return design


def serving(design, size: int = 3):
    """Serving, a second deployment team of `size` people in the ML org."""
    people = [("Sven", Role.TECH_LEAD)] + [(f"Sid {n}", Role.ML_ENGINEER)
                                          for n in range(size - 1)]
    team, _ = add_team(design, "Serving", TeamKind.DEPLOYMENT, *people)
    return team


def empty_deployment_owner(design):
    """Deployment owns the deployment stage with nobody in it (Dave still leads it)."""
    deployment = design.teams[TeamKind.DEPLOYMENT]
    design.org.memberships[:] = [m for m in design.org.memberships
                                 if m.team_id != deployment.id]
    return deployment


# pipeline.single_person_stage ------------------------------------------------------------------


def test_a_one_person_stage_may_open_a_position_in_its_owner_team_after_the_people_there():
    design = one_person_deployment()
    serving(design)
    deployment = design.teams[TeamKind.DEPLOYMENT]
    case = advised(design.org, "pipeline.single_person_stage", design.pipeline.id, "deployment")

    seat = the_seat(case)

    [change] = seat.changes
    assert (change.subject.id, change.to.id) == (deployment.id, design.pipeline.id)
    assert (change.role, change.fte, change.title) == (
        Role.ML_ENGINEER, 100, "ML engineer for the deployment stage")
    assert change.words == ("Open a position: ML engineer for the deployment stage in "
                            "Deployment, 100%.")
    assert seat.summary == ("Open a position in Deployment: an ML engineer at 100% of one FTE "
                            "for the deployment stage of News Feed ranking.")
    # Handing the stage to Serving or moving one of its people in come first, and the seat
    # is last of all.
    people = [r for r in case.advice.remedies if not r.opens_positions]
    assert people and case.advice.remedies[-1] is seat
    assert change.as_dict() == {
        "action": OPEN_POSITION,
        "subject": {"type": "team", "id": deployment.id, "name": "Deployment"},
        "to": {"type": "pipeline", "id": design.pipeline.id, "name": "News Feed ranking"},
        "words": change.words, "role": Role.ML_ENGINEER,
        "title": "ML engineer for the deployment stage", "fte": 100,
    }


def test_no_position_is_proposed_where_one_is_open_already():
    design = one_person_deployment()
    serving(design)
    design.org.position(design.teams[TeamKind.DEPLOYMENT], fte=50)
    case = advised(design.org, "pipeline.single_person_stage", design.pipeline.id, "deployment")

    assert case.advice.remedies
    assert not any(seats(remedy) for remedy in [*case.proposed(), *case.advice.remedies])


# pipeline.stage_understaffed ------------------------------------------------------------------


def understaffed_deployment(allocation: int = 30):
    design = roomy_design()
    deployment = design.teams[TeamKind.DEPLOYMENT]
    for membership in design.org.memberships:
        if membership.team_id == deployment.id:
            membership.allocation = allocation
    return design, deployment


def test_an_understaffed_stage_opens_what_brings_its_owner_to_one_fte():
    design, deployment = understaffed_deployment(30)
    case = advised(design.org, "pipeline.stage_understaffed", design.pipeline.id, "deployment")

    seat = the_seat(case)

    [change] = seat.changes
    assert (change.subject.id, change.role, change.fte) == (deployment.id, Role.ML_ENGINEER, 40)
    assert seat.clean


def test_the_positions_open_already_count_towards_the_fte_missing():
    design, deployment = understaffed_deployment(30)
    design.org.position(deployment, fte=25)
    case = advised(design.org, "pipeline.stage_understaffed", design.pipeline.id, "deployment")

    assert [change.fte for change in seats(the_seat(case))] == [15]

    design.org.position(deployment, fte=15)
    case = advised(design.org, "pipeline.stage_understaffed", design.pipeline.id, "deployment")
    assert case.advice.remedies == [] and case.proposed() == []


# pipeline.stage_unowned -----------------------------------------------------------------------


def test_an_unowned_stage_opens_a_position_in_a_vacant_team_of_its_kind_above_the_drop():
    design = roomy_design()
    design.pipeline.lifecycle = Lifecycle.INCUBATING
    disengage(design.org, design.pipeline, design.teams[TeamKind.DEPLOYMENT])
    sol = design.org.person("Sol", role=Role.ENGINEERING_MANAGER, manager=design.head)
    vacant = design.org.team("Edge Serving", kind=TeamKind.DEPLOYMENT, lead=sol)
    case = advised(design.org, "pipeline.stage_unowned", design.pipeline.id, "deployment")

    seat = the_seat(case)

    assert [(c.action, c.subject.id, c.to.id if c.to else None, c.role) for c in seat.changes] == [
        (SET_CELL, design.pipeline.id, vacant.id, OWNER),
        (OPEN_POSITION, vacant.id, design.pipeline.id, Role.ML_ENGINEER),
    ]
    assert seat.summary.startswith("Make Edge Serving (no active member yet) owner of the "
                                   "deployment stage of News Feed ranking, and open a position")
    remedies = case.advice.remedies
    # Deployment, staffed, owns it first; then the seat; the drop (incubating) last.
    assert not remedies[0].opens_positions and not remedies[0].last_resort
    assert remedies.index(seat) == len(remedies) - 2 and remedies[-1].last_resort


def test_an_empty_owner_team_may_open_a_position_after_every_way_with_people():
    design = roomy_design()
    deployment = empty_deployment_owner(design)
    serving(design)
    case = advised(design.org, "pipeline.stage_unowned", design.pipeline.id, "deployment")

    seat = the_seat(case)

    assert [(c.subject.id, c.role, c.fte) for c in seats(seat)] == [
        (deployment.id, Role.ML_ENGINEER, 100)]
    assert len(seat.changes) == 1
    assert len(case.advice.remedies) > 1 and case.advice.remedies[-1] is seat
    # One seat: owned, by one person.
    assert [f.code for f in seat.effect.introduced] == ["pipeline.single_person_stage"]


def test_the_role_of_the_position_fits_the_stage():
    design = roomy_design()
    modeling = design.teams[TeamKind.MODELING]
    design.org.memberships[:] = [m for m in design.org.memberships if m.team_id != modeling.id]
    case = advised(design.org, "pipeline.stage_unowned", design.pipeline.id, "modeling")

    assert [(c.subject.id, c.role) for c in seats(the_seat(case))] == [
        (modeling.id, Role.SCIENTIST)]


def test_a_stage_with_no_team_of_its_kind_gets_no_position():
    design = roomy_design()
    design.pipeline.required_stages = [*design.pipeline.required_stages, "tooling"]
    findings = compute_findings(design.org.data())
    assert any(f.code == "pipeline.stage_unowned" and f.stage == "tooling" for f in findings)
    for lifecycle in (Lifecycle.PRODUCTION, Lifecycle.INCUBATING):
        design.pipeline.lifecycle = lifecycle
        case = advised(design.org, "pipeline.stage_unowned", design.pipeline.id, "tooling")
        assert not any(seats(r) for r in [*case.proposed(), *case.advice.remedies])
    # Incubating, the drop alone is left.
    assert [r.last_resort for r in case.advice.remedies] == [True]


def test_no_position_is_opened_in_a_team_outside_the_ml_org():
    design = roomy_design()
    deployment = empty_deployment_owner(design)
    vic = design.org.person("Vic", role=Role.EXECUTIVE, manager=design.ceo)
    design.leads[TeamKind.DEPLOYMENT].manager_id = vic.id
    data = design.org.data()
    index, findings = OrgIndex(data), compute_findings(data)
    unowned = next(f for f in findings
                   if f.code == "pipeline.stage_unowned" and f.stage == "deployment")

    [seat] = [r for r in PROPOSERS[unowned.code](index, unowned) if r.opens_positions]
    assert "outside the ML org" in refusal(index, seat.changes[0])
    case = advised(design.org, "pipeline.stage_unowned", design.pipeline.id, "deployment")
    assert not any(r.opens_positions for r in case.advice.remedies)
    assert deployment.id == seat.changes[0].subject.id


# plan_all_fixes -------------------------------------------------------------------------------


def test_the_plan_opens_no_position_where_people_already_there_clear_the_error():
    design = roomy_design()
    empty_deployment_owner(design)
    serving(design)
    data = design.org.data()

    plan = plan_all_fixes(OrgIndex(data), compute_findings(data))

    assert [s.finding.code for s in plan.steps] == ["pipeline.stage_unowned"]
    assert not any(step.remedy.opens_positions for step in plan.steps)


def test_the_plan_opens_a_position_where_nobody_there_can_and_judges_the_rest_in_plan_mode():
    design = roomy_design()
    deployment = empty_deployment_owner(design)
    design.pipeline.pm_owner_id = None  # an error people clear (a PM is named)
    data = design.org.data()
    findings = compute_findings(data)

    plan = plan_all_fixes(OrgIndex(data), findings)

    assert [(s.finding.code, s.remedy.opens_positions) for s in plan.steps] == [
        ("pipeline.no_pm", False), ("pipeline.stage_unowned", True)]
    assert [(c.action, c.subject.id) for c in plan.steps[-1].remedy.changes] == [
        (OPEN_POSITION, deployment.id)]
    assert plan.left == []
    after = design_after(OrgIndex(data), plan.changes)
    assert plan.after == judged_afresh(after.data, plan=True)
    summary = plan.as_dict()
    assert (summary["errors_before"], summary["errors_after"]) == (2, 0)


# Tried in a scenario, through the API and the page ----------------------------------------------


@pytest.fixture
def lone(db) -> Organisation:
    """Ranking's deployment stage rests on Sol alone, in Serving; no other deployment team."""
    organisation = OrganisationFactory(slug="lone", name="Lone")
    head = PersonFactory(organisation=organisation, name="Hana", role=Role.EXECUTIVE)
    organisation.ml_head = head
    organisation.save()
    pm = PersonFactory(organisation=organisation, name="Paula", role=Role.PRODUCT_MANAGER,
                       manager=head)
    pipeline = PipelineFactory(organisation=organisation, name="Ranking", pm_owner=pm,
                               metric="ndcg", required_stages=["deployment"])
    team = TeamFactory(organisation=organisation, name="Serving", lead=head,
                       kind=TeamKind.DEPLOYMENT)
    sol = PersonFactory(organisation=organisation, name="Sol", role=Role.ML_ENGINEER,
                        manager=head)
    MembershipFactory(person=sol, team=team, allocation=100)
    EngagementFactory(pipeline=pipeline, team=team, role=OWNER)
    return organisation


def lone_key(organisation: Organisation) -> str:
    analysis = analysis_of(organisation)
    [finding] = [f for f in analysis.findings if f.code == "pipeline.single_person_stage"]
    return finding.key


SEAT = ("Open a position in Serving: an ML engineer at 100% of one FTE for the deployment "
        "stage of Ranking.")


def test_trying_the_position_writes_an_open_position_into_a_scenario(lone):
    key = lone_key(lone)
    advice = advice_for(lone, key)
    assert [r.summary for r in advice.remedies] == [SEAT]

    tried = try_remedy(organisation=lone, key=key, rank=1, summary=SEAT)

    scenario = tried.scenario
    [position] = Position.objects.filter(organisation=scenario)
    assert (position.team.name, position.pipeline.name) == ("Serving", "Ranking")
    assert (position.team.organisation_id, position.pipeline.organisation_id) == (
        scenario.pk, scenario.pk)
    assert (position.title, position.role, position.fte, position.status) == (
        "ML engineer for the deployment stage", Role.ML_ENGINEER, 100, PositionStatus.OPEN)
    assert not Position.objects.filter(organisation=lone).exists()
    # Recorded in the scenario's history.
    assert position.history.filter(history_org=scenario.pk, history_type="+").exists()
    # Open positions count in plan mode only: the scenario's plan clears the finding.
    analysis = analysis_of(scenario)
    assert any(f.code == "pipeline.single_person_stage" for f in analysis.findings)
    assert not any(f.code == "pipeline.single_person_stage" for f in analysis.plan_findings)
    # Its remedies are now only people already there: none, the seat is open already.
    assert advice_for(scenario, lone_key(scenario)).remedies == []


def test_the_writer_opens_the_position_through_the_service(lone):
    advice = advice_for(lone, lone_key(lone))

    apply_changes(organisation=lone, changes=advice.remedies[0].changes)

    [position] = Position.objects.filter(organisation=lone, status=PositionStatus.OPEN)
    assert (position.team.name, position.pipeline.name, position.fte) == (
        "Serving", "Ranking", 100)
    assert position.history.filter(history_org=lone.pk, history_type="+").exists()


def test_the_api_and_the_page_show_the_position_and_the_api_tries_it(lone):
    key = lone_key(lone)
    client = token_client(lone, "write")
    advice = client.get(api_url(lone, f"findings/{key}/remedies/")).json()
    [remedy] = advice["remedies"]
    assert remedy["summary"] == SEAT
    [change] = remedy["changes"]
    assert (change["action"], change["subject"]["name"], change["to"]["name"]) == (
        OPEN_POSITION, "Serving", "Ranking")
    assert (change["role"], change["fte"], change["title"]) == (
        Role.ML_ENGINEER, 100, "ML engineer for the deployment stage")

    page = client_for(lone, "viewer").get(f"/orgs/lone/findings/{key}/remedies/")
    content = page.content.decode()
    assert page.status_code == 200
    assert (f'<li data-change="{OPEN_POSITION}">Open a position: ML engineer for the '
            "deployment stage in Serving, 100%.</li>") in content
    assert content.count("data-plan-judged") == 1

    response = client.post(api_url(lone, f"findings/{key}/remedies/"),
                           {"rank": 1, "summary": SEAT}, format="json")
    assert response.status_code == 201, response.content
    scenario = Organisation.objects.get(slug=response.json()["scenario"])
    assert Position.objects.filter(organisation=scenario, status=PositionStatus.OPEN,
                                   team__name="Serving").count() == 1

    # The comparison it points to judges the plan: there, the seat clears the finding.
    body = response.json()
    assert body["planned"] is True
    assert body["compare"].endswith(f"compare/{scenario.slug}/?plan=1")
    compare = client.get(body["compare"]).json()
    assert "pipeline.single_person_stage" in {f["code"] for f in compare["findings"]["fixed"]}


def test_trying_the_position_in_the_browser_opens_the_comparison_of_the_plans(lone):
    key = lone_key(lone)
    editor = client_for(lone, "editor")
    answer = editor.post(f"/orgs/lone/findings/{key}/remedies/", {"rank": 1, "summary": SEAT})
    assert answer.status_code == 302
    assert answer["Location"].endswith("&plan=1") and "?tried=" in answer["Location"]
    page = editor.get(answer["Location"]).content.decode()
    assert 'data-plan="1"' in page
    assert "Fixed in this scenario" in page and "Not fixed in this scenario" not in page
