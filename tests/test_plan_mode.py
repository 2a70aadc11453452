"""Plan mode (docs/design.md section 1, position; `findings/?plan=1`): the design judged with
each open position filled by a placeholder member of its team at its FTE, for the stage rules
and capacity only. The engine on unsaved objects; then the API and the page."""

import pytest

from orgdesign.analysis.findings import compute_findings, findings_by_rule
from orgdesign.analysis.kept import Analysis, forget_all
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.plan import PLAN_RULES, plan_data, plan_findings
from pipelines.models import EngagementRole, Lifecycle, Position
from teams.models import Membership, Person, Role, Team, TeamKind
from tests.api_helpers import api_url, token_client
from tests.designs import sound_design
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)

STAGE_CODES = {code.code for rule in PLAN_RULES for code in rule.codes}


def judged(org):
    """The design's findings and the plan's."""
    index = OrgIndex(org.data())
    return compute_findings(org.data()), plan_findings(index, findings_by_rule(index))


def codes(findings, stage=None):
    return sorted(f.code for f in findings if stage is None or f.stage == stage)


def test_the_stage_rules_are_the_ones_plan_mode_runs_again():
    assert {
        "pipeline.stage_unowned", "pipeline.stage_multiple_owners",
        "pipeline.single_person_stage", "pipeline.stage_understaffed",
    } == STAGE_CODES


def test_without_open_positions_the_plan_is_the_design():
    design = sound_design()
    design.org.memberships.remove(
        next(m for m in design.org.memberships if m.person_id == design.members["modeling"].id)
    )
    now, plan = judged(design.org)
    assert "pipeline.single_person_stage" in codes(now)
    assert plan == now


def test_positions_that_staff_an_empty_owner_team_clear_stage_unowned():
    design = sound_design()
    modeling = design.teams[TeamKind.MODELING]
    design.org.memberships[:] = [m for m in design.org.memberships if m.team_id != modeling.id]
    design.org.position(modeling, fte=100)

    now, plan = judged(design.org)

    assert "pipeline.stage_unowned" in codes(now, "modeling")
    # One seat: owned, by one person.
    assert codes(plan, "modeling") == ["pipeline.single_person_stage"]
    design.org.position(modeling, fte=100)
    now, plan = judged(design.org)
    assert codes(plan, "modeling") == []


def test_a_position_elsewhere_leaves_stage_unowned():
    design = sound_design()
    modeling = design.teams[TeamKind.MODELING]
    design.org.memberships[:] = [m for m in design.org.memberships if m.team_id != modeling.id]
    spare = design.org.team("Modeling research", kind=TeamKind.MODELING)
    design.org.engage(design.pipeline, spare, EngagementRole.CONTRIBUTOR)
    design.org.position(spare, fte=100)
    design.org.position(design.teams[TeamKind.DATA_OPS], fte=100)

    now, plan = judged(design.org)

    assert codes(plan, "modeling") == codes(now, "modeling") == ["pipeline.stage_unowned"]


def test_a_position_beside_a_single_person_clears_single_person_stage():
    design = sound_design()
    deploy = design.teams[TeamKind.DEPLOYMENT]
    design.org.memberships[:] = [
        m for m in design.org.memberships if m.person_id != design.members[TeamKind.DEPLOYMENT].id
    ]
    now, plan = judged(design.org)
    assert codes(now, "deployment") == codes(plan, "deployment") == [
        "pipeline.single_person_stage"
    ]

    design.org.position(design.teams[TeamKind.MODELING], fte=100)  # not the owner: still one
    assert codes(judged(design.org)[1], "deployment") == ["pipeline.single_person_stage"]

    design.org.position(deploy, fte=100)
    now, plan = judged(design.org)
    assert codes(now, "deployment") == ["pipeline.single_person_stage"]
    assert codes(plan, "deployment") == []


def test_positions_count_at_their_fte_against_stage_understaffed():
    design = sound_design()
    infra = design.teams[TeamKind.INFRASTRUCTURE]
    for membership in design.org.memberships:
        if membership.team_id == infra.id:
            membership.allocation = 20
    design.org.position(infra, fte=50)  # 20 + 20 + 50: still less than one FTE

    now, plan = judged(design.org)
    assert codes(now, "infrastructure") == codes(plan, "infrastructure") == [
        "pipeline.stage_understaffed"
    ]
    understaffed = next(f for f in plan if f.code == "pipeline.stage_understaffed")
    assert "3 active members add up to 0.9 FTE" in understaffed.message

    design.org.position(infra, fte=10)  # 100 in all
    assert codes(judged(design.org)[1], "infrastructure") == []


def test_a_squad_incubating_with_a_position_is_owned_in_the_plan():
    org = sound_design().org
    squad = org.team("Search squad", kind=TeamKind.PRODUCT_SQUAD)
    pipeline = org.pipeline(
        "Search", pm=org.people[2], lifecycle=Lifecycle.INCUBATING,
        required_stages=["data", "modeling"],
    )
    org.engage(pipeline, squad, EngagementRole.OWNER)
    org.position(squad, fte=100)

    now, plan = judged(org)

    def about_search(findings):
        return codes([f for f in findings if f.subject.id == pipeline.id])

    assert about_search(now) == ["pipeline.stage_unowned", "pipeline.stage_unowned"]
    # One seat for the pipeline, naming its stages.
    assert about_search(plan) == ["pipeline.single_person_stage"]


def test_the_plan_never_changes_the_other_rules_findings():
    """Placeholders are members for the stage rules only: the person, manager, scientist,
    membership and team findings are the design's own, and no placeholder is ever named."""
    design = sound_design()
    org = design.org
    head = design.head
    # Findings for the other rules: a narrow span, someone without a manager, someone
    # over-allocated, a scientist under a non-science manager, an empty team.
    loner = org.person("Lou", role=Role.SCIENTIST, manager=design.leads[TeamKind.MODELING])
    org.member(loner, design.teams[TeamKind.MODELING], 100)
    org.member(loner, design.teams[TeamKind.DATA_OPS], 50)
    org.member(org.person("Nomad", role=Role.ML_ENGINEER), design.teams[TeamKind.DATA_OPS])
    empty = org.team("Tooling", kind=TeamKind.TOOLING, lead=head)
    org.pipeline("Search", pm=design.pm)
    for team in (*design.teams.values(), empty):
        org.position(team, title="Scientist", role=Role.SCIENTIST, fte=100)
        org.position(team, title="Manager", role=Role.SCIENCE_MANAGER, fte=60)

    now, plan = judged(org)

    def others(findings):
        return [f for f in findings if f.code not in STAGE_CODES]

    assert {"person.over_allocated", "person.no_manager", "scientist.no_science_manager",
            "team.empty"} <= set(codes(now))
    assert others(plan) == others(now)
    refs = [ref for f in plan for ref in (f.subject, *f.related)]
    assert not [ref for ref in refs if ref.type == "person" and ref.id < 0]
    assert not any("Open position" in f.message for f in plan)


def test_placeholders_have_ids_no_real_row_has():
    design = sound_design()
    team = design.teams[TeamKind.MODELING]
    position = design.org.position(team, fte=40, level="L5", role=Role.SCIENTIST)

    data = plan_data(design.org.data())

    added = data.people[len(design.org.people):]
    assert [(p.id, p.active, p.manager_id, p.level) for p in added] == [
        (-position.id, True, None, "L5")
    ]
    membership = data.memberships[-1]
    assert (membership.id, membership.person_id, membership.team_id, membership.allocation) == (
        -position.id, -position.id, team.id, 40,
    )
    assert len(design.org.data().people) == len(design.org.people)  # the design is untouched


def test_the_kept_analysis_keeps_the_plans_findings():
    design = sound_design()
    modeling = design.teams[TeamKind.MODELING]
    design.org.memberships[:] = [m for m in design.org.memberships if m.team_id != modeling.id]
    design.org.position(modeling)
    design.org.position(modeling)
    index = OrgIndex(design.org.data())
    analysis = Analysis(1, index, findings_by_rule(index))

    assert analysis.plan_findings is analysis.plan_findings
    assert "pipeline.stage_unowned" in codes(analysis.findings)
    assert "pipeline.stage_unowned" not in codes(analysis.plan_findings)


# The API and the page ---------------------------------------------------------------------------


@pytest.fixture
def gap(db):
    """A pipeline whose modeling stage is owned by a team with nobody in it yet, and two open
    positions in that team (and a cancelled one elsewhere, which counts for nothing)."""
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
    other = TeamFactory(organisation=organisation, name="Data", lead=head,
                        kind=TeamKind.DATA_OPS)
    MembershipFactory(person=pm, team=other, allocation=100)
    for title in ("Scientist", "Engineer"):
        Position.objects.create(organisation=organisation, team=team, title=title)
    Position.objects.create(organisation=organisation, team=other, title="Gone",
                            status="cancelled")
    return organisation


def test_the_api_judges_the_plan_with_plan_1(gap):
    client = token_client(gap, "read")

    def listed(query=""):
        response = client.get(api_url(gap, f"findings/{query}"))
        assert response.status_code == 200, response.content
        return sorted(f["code"] for f in response.json()["results"])

    design = listed()
    assert "pipeline.stage_unowned" in design and "team.empty" in design
    plan = listed("?plan=1")
    assert "pipeline.stage_unowned" not in plan
    assert plan == sorted(code for code in design if code != "pipeline.stage_unowned")
    assert listed("?plan=true") == plan
    assert listed("?plan=0") == listed("?plan=false") == design
    errors = listed("?plan=1&severity=error")
    assert "pipeline.stage_unowned" not in errors
    assert len(errors) == len(listed("?severity=error")) - 1


@pytest.mark.parametrize("value", ["yes", "2", "True", "on", "", "1.0"])
def test_the_api_refuses_any_other_plan(gap, value):
    response = token_client(gap, "read").get(api_url(gap, f"findings/?plan={value}"))
    assert response.status_code == 400
    assert "plan" in response.json()


def test_the_plan_is_served_from_the_kept_analysis(gap, django_assert_num_queries):
    client = token_client(gap, "read")
    url = api_url(gap, "findings/?plan=1")
    forget_all()
    # The token, the rate count, the organisation again, the six tables of the design.
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(2):  # the token, the rate count
        assert client.get(url).status_code == 200
    with django_assert_num_queries(2):
        assert client.get(api_url(gap, "findings/")).status_code == 200


def test_the_findings_page_toggles_the_plan(gap, django_assert_num_queries):
    client = client_for(gap, "viewer")
    url = f"/orgs/{gap.slug}/findings/"
    client.get(url)  # the session, the user: what every page reads
    forget_all()
    with django_assert_num_queries(10) as first:
        response = client.get(url + "?plan=1")
    assert response.status_code == 200
    assert any('FROM "pipelines_position"' in q["sql"] for q in first.captured_queries)
    with django_assert_num_queries(3):
        response = client.get(url + "?plan=1")
    plan = response.content.decode()
    assert 'data-finding="pipeline.stage_unowned"' not in plan
    assert 'data-finding="team.empty"' in plan
    assert 'data-plan="1"' in plan
    assert "the design once its 2 open positions are filled" in plan
    assert "Judge the design as it is</a>" in plan
    assert '<input type="hidden" name="plan" value="1">' in plan
    assert 'href="?severity=error&amp;plan=1"' in plan
    assert "Try this fix" not in plan and "Try all fixes" not in plan

    with django_assert_num_queries(3):
        design = client.get(url).content.decode()
    assert 'data-finding="pipeline.stage_unowned"' in design
    assert 'data-plan="0"' in design
    assert "Shown: the design as it is, without its 2 open positions." in design
    assert 'href="?plan=1" data-plan-toggle>Judge the plan (open positions filled)</a>' in design


def test_the_page_ignores_a_plan_it_does_not_know(gap):
    content = client_for(gap, "viewer").get(f"/orgs/{gap.slug}/findings/?plan=yes")
    assert content.status_code == 200
    assert 'data-plan="0"' in content.content.decode()


def test_people_and_memberships_are_untouched_by_the_plan(gap):
    token_client(gap, "read").get(api_url(gap, "findings/?plan=1"))
    assert not Person.objects.filter(pk__lt=0).exists()
    assert not Membership.objects.filter(pk__lt=0).exists()
    assert Team.objects.get(name="Modeling", organisation=gap).memberships.count() == 0
