"""Every remedy is one the seeds would endorse (docs/design.md, remedies): what may never be
proposed, and what ranks first, on designs built in memory (no database). The same rules
through the remedies and fix-all pages and the API: tests/test_remedy_rules_pages.py.

- a required stage is dropped only from an incubating pipeline, never `data` or `modeling`,
  and a drop ranks below every way of staffing the stage (regression a: a critical production
  pipeline's unowned data and modeling stages were dropped first, by fix-all too);
- a span is split by giving a manager of the same discipline a share of the reports; product
  managers and managers are never moved under another team's manager (regression b: the best
  split moved the ML PM and a science manager under a column team's engineering manager);
- contractors are never moved; of a product squad's members only scientists and ML engineers
  are, and only under a science manager.
"""

from __future__ import annotations

import pytest

from orgdesign.analysis import proposals
from orgdesign.analysis.changes import (
    DROP_STAGE,
    MOVE_MEMBER,
    SET_CELL,
    SET_MANAGER,
    Change,
    design_after,
    refusal,
)
from orgdesign.analysis.findings import Finding, Ref, compute_findings, team_ref
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.proposals import (
    DISCIPLINES,
    Remedy,
)
from orgdesign.analysis.remedies import (
    PROPOSERS,
    advise,
    plan_all_fixes,
)
from pipelines.models import EngagementRole, Lifecycle, Stage, Tier
from teams.models import Person, Role, TeamKind, WorkerType
from tests.builders import OrgBuilder
from tests.remedy_cases import (
    add_team,
    advised,
    critical_pipeline_with_thin_data_and_modeling,
    roomy_design,
    squad_in_a_wide_span,
    steps,
    unowned_stage,
    wide_span,
)

CONTRACTOR = WorkerType.CONTRACTOR


def contractor(person: Person) -> Person:
    person.worker_type = CONTRACTOR
    return person


def moves(remedy: Remedy) -> list[tuple[int, int]]:
    """(person moved, under whom or into which team) of each move of a remedy."""
    return [
        (c.subject.id, c.to.id) for c in remedy.changes if c.action in (SET_MANAGER, MOVE_MEMBER)
    ]


def moved(remedy_list: list[Remedy]) -> set[int]:
    return {person for remedy in remedy_list for person, _ in moves(remedy)}


def actions(remedy_list: list[Remedy]) -> set[str]:
    return {change.action for remedy in remedy_list for change in remedy.changes}


def finding_of(org: OrgBuilder, key: str) -> tuple[OrgIndex, list[Finding], Finding]:
    data = org.data()
    index, findings = OrgIndex(data), compute_findings(data)
    [finding] = [f for f in findings if f.key == key]
    return index, findings, finding


# Dropping a stage ----------------------------------------------------------------------------




@pytest.mark.parametrize("stage", [Stage.DATA, Stage.MODELING])
def test_regression_a_an_essential_stage_of_a_critical_production_pipeline_is_never_dropped(
    stage,
):
    org, pipeline = critical_pipeline_with_thin_data_and_modeling()
    case = advised(org, "pipeline.stage_unowned", pipeline.id, stage)

    assert DROP_STAGE not in actions(case.proposed())
    assert DROP_STAGE not in actions(case.advice.remedies)
    # What is offered staffs the stage, honestly judged: it brings an error.
    [staffing] = case.advice.remedies
    kind = {Stage.DATA: TeamKind.DATA_OPS, Stage.MODELING: TeamKind.MODELING}[stage]
    team = next(t for t in org.teams if t.kind == kind)
    assert steps(staffing) == [(SET_CELL, pipeline.id, team.id, EngagementRole.OWNER)]
    assert staffing.effect.cost[0] == 1


def test_regression_a_fix_all_never_drops_an_essential_stage_of_a_critical_pipeline():
    org, pipeline = critical_pipeline_with_thin_data_and_modeling()
    data = org.data()
    findings = compute_findings(data)
    unowned = {f"pipeline.stage_unowned:{pipeline.id}:{stage}" for stage in ("data", "modeling")}
    assert unowned <= {f.key for f in findings if f.severity == "error"}

    plan = plan_all_fixes(OrgIndex(data), findings)

    assert DROP_STAGE not in {change.action for change in plan.changes}
    # No staffing clears them without an error: they are left, and said.
    assert unowned <= {f.key for f in plan.left}
    after = design_after(OrgIndex(data), plan.changes)
    assert after.pipelines_by_id[pipeline.id].required_stages == list(pipeline.required_stages)




@pytest.mark.parametrize(
    ("lifecycle", "stage"),
    [
        (Lifecycle.INCUBATING, Stage.DATA),
        (Lifecycle.INCUBATING, Stage.MODELING),
        (Lifecycle.PRODUCTION, Stage.DEPLOYMENT),
        (Lifecycle.PRODUCTION, Stage.INFRASTRUCTURE),
        (Lifecycle.SUNSET, Stage.DEPLOYMENT),
    ],
)
def test_a_stage_is_dropped_only_from_an_incubating_pipeline_and_never_data_or_modeling(
    lifecycle, stage
):
    org, pipeline_id = unowned_stage(lifecycle, stage)
    index, findings, finding = finding_of(org, f"pipeline.stage_unowned:{pipeline_id}:{stage}")

    proposed = list(PROPOSERS[finding.code](index, finding))
    advice = advise(index, findings, finding)

    assert DROP_STAGE not in actions(proposed)
    assert DROP_STAGE not in actions(advice.remedies)
    assert advice.remedies  # the team of its kind still staffs it


@pytest.mark.parametrize("tier", [Tier.CRITICAL, Tier.NORMAL])
@pytest.mark.parametrize("stage", [Stage.DEPLOYMENT, Stage.INFRASTRUCTURE])
def test_a_drop_from_an_incubating_pipeline_ranks_below_every_way_of_staffing(stage, tier):
    # Staffing with the one-person team brings a finding (an error on a critical pipeline, a
    # warning otherwise) and the drop brings none: the drop still comes last.
    org, pipeline_id = unowned_stage(Lifecycle.INCUBATING, stage, tier)
    case = advised(org, "pipeline.stage_unowned", pipeline_id, stage)

    ranked = [remedy.changes[0].action for remedy in case.advice.remedies]

    assert ranked == [SET_CELL, DROP_STAGE]
    staffing, drop = case.advice.remedies
    assert drop.last_resort and not staffing.last_resort
    assert drop.clean and not staffing.clean
    assert drop.effect.cost < staffing.effect.cost  # better by its costs, yet last


def test_fix_all_drops_a_stage_of_an_incubating_pipeline_only_when_no_staffing_is_clean():
    org, pipeline_id = unowned_stage(Lifecycle.INCUBATING, Stage.DEPLOYMENT, Tier.CRITICAL)
    data = org.data()

    plan = plan_all_fixes(OrgIndex(data), compute_findings(data))

    # Staffing brings an error (the stage on one person, a critical pipeline): the plan takes
    # the drop, allowed here, rather than leave the error.
    assert [c.action for c in plan.changes] == [DROP_STAGE]
    assert plan.left == []


def test_a_drop_is_offered_after_staffing_an_empty_owner_team():
    # The deployment stage's owner team has nobody in it: another team takes it, the empty
    # one stepping down to contributor; or a member of a staffed team joins it; last, on an
    # incubating pipeline, the drop.
    design = roomy_design()
    org, pipeline = design.org, design.pipeline
    pipeline.lifecycle = Lifecycle.INCUBATING
    deployment = design.teams[TeamKind.DEPLOYMENT]
    for person in (design.leads[TeamKind.DEPLOYMENT], design.members[TeamKind.DEPLOYMENT]):
        org.memberships[:] = [m for m in org.memberships if m.person_id != person.id]
    serving, _ = add_team(design, "Serving", TeamKind.DEPLOYMENT, ("Sven", Role.TECH_LEAD),
                          ("Sid", Role.ML_ENGINEER), ("Sol", Role.ML_ENGINEER))
    index, findings, finding = finding_of(org, f"pipeline.stage_unowned:{pipeline.id}:deployment")
    assert [ref.id for ref in finding.related] == [deployment.id]

    advice = advise(index, findings, finding)

    first = advice.remedies[0]
    assert steps(first) == [
        (SET_CELL, pipeline.id, serving.id, EngagementRole.OWNER),
        (SET_CELL, pipeline.id, deployment.id, EngagementRole.CONTRIBUTOR),
    ]
    assert first.clean
    assert [r.changes[0].action for r in advice.remedies][-1] == DROP_STAGE
    assert all(not r.last_resort for r in advice.remedies[:-1])


# Splitting a wide span -----------------------------------------------------------------------




def assert_discipline_kept(index: OrgIndex, remedy_list: list[Remedy]) -> None:
    """Every report moved goes under a manager of their own discipline."""
    for remedy in remedy_list:
        for person_id, lead_id in moves(remedy):
            lead = index.people_by_id[lead_id]
            assert index.people_by_id[person_id].role in DISCIPLINES[lead.role], remedy.summary


def test_regression_b_the_science_manager_takes_the_scientists_and_no_pm_or_manager_moves():
    org, people = wide_span()
    case = advised(org, "manager.span_wide", people["Hana"].id)

    top = case.advice.remedies[0]
    scientists = {people[f"Sam {n}"].id for n in range(4)}
    assert set(moves(top)) == {(sam, people["Sonia"].id) for sam in scientists}
    assert top.clean
    assert top.summary == (
        "Split Hana's 9 direct reports: Sonia (science manager) leads 4 of them (4 scientists)."
    )
    for remedy_list in (case.proposed(), case.advice.remedies):
        assert moved(remedy_list).isdisjoint(
            {people[name].id for name in ("Paula", "Emil", "Sonia")})
        assert_discipline_kept(case.index, remedy_list)
    # The ML engineers of Serving stay with Emil, their team's lead, or where they are.
    for remedy in case.proposed():
        for person_id, lead_id in moves(remedy):
            if person_id in {people["Eve 0"].id, people["Eve 1"].id}:
                assert lead_id == people["Emil"].id


def test_an_engineer_is_never_moved_under_a_science_manager_nor_a_scientist_under_an_engineer():
    org = OrgBuilder(span_max=3)
    head = org.person("Hana", role=Role.EXECUTIVE)
    org.set_ml_head(head)
    sonia = org.person("Sonia", role=Role.SCIENCE_MANAGER, manager=head)
    tia = org.person("Tia", role=Role.TECH_LEAD, manager=head)
    scientists = [org.person(f"Sam {n}", role=Role.SCIENTIST, manager=head) for n in range(2)]
    engineers = [org.person(f"Eve {n}", role=Role.SOFTWARE_ENGINEER, manager=head)
                 for n in range(2)]
    case = advised(org, "manager.span_wide", head.id)

    assert_discipline_kept(case.index, case.proposed())
    under = {(person, lead) for remedy in case.proposed() for person, lead in moves(remedy)}
    assert {lead for _, lead in under} == {sonia.id, tia.id}
    assert {p for p, lead in under if lead == sonia.id} <= {s.id for s in scientists}
    assert {p for p, lead in under if lead == tia.id} <= {e.id for e in engineers}


def test_a_manager_is_never_moved_under_another_teams_manager_but_may_join_a_manager_of_managers():
    # Tom, a tech lead who leads Edge, is of Emil's discipline, but Emil leads Serving: Tom
    # never goes under him. Zed, an engineering manager who leads no team, may take Tom.
    org, people = wide_span(span_max=8)
    head = people["Hana"]
    tom = org.person("Tom", role=Role.TECH_LEAD, manager=head)
    edge = org.team("Edge", kind=TeamKind.DEPLOYMENT, lead=tom)
    org.member(tom, edge)
    zed = org.person("Zed", role=Role.ENGINEERING_MANAGER, manager=head)
    index = OrgIndex(org.data())

    assert refusal(index, proposals.set_manager(index, tom.id, people["Emil"].id)) is not None
    assert refusal(index, proposals.set_manager(index, tom.id, zed.id)) is None
    case = advised(org, "manager.span_wide", head.id)
    under_emil = {p for r in case.proposed() for p, lead in moves(r) if lead == people["Emil"].id}
    assert tom.id not in under_emil
    assert any((tom.id, zed.id) in moves(r) for r in case.proposed())
    # The product manager never moves, under anyone.
    assert people["Paula"].id not in moved(case.proposed())


def test_the_moves_of_a_manager_up_their_own_line_or_under_their_own_teams_lead_are_allowed():
    org, people = wide_span()
    index = OrgIndex(org.data())
    # Emil (a manager) under the CEO, already above him; Sonia's scientist under Sonia.
    ceo = index.manager_of[people["Hana"].id]
    assert refusal(index, proposals.set_manager(index, people["Emil"].id, ceo)) is None
    assert refusal(index, proposals.set_manager(index, people["Sam 0"].id,
                                               people["Sonia"].id)) is None
    # The product manager under Sonia, who leads a team that is not Paula's: refused.
    assert refusal(index, proposals.set_manager(index, people["Paula"].id,
                                               people["Sonia"].id)) is not None


# Contractors ---------------------------------------------------------------------------------


def test_a_contractor_is_never_moved_in_a_span_split():
    org, people = wide_span()
    for number in range(4):
        contractor(people[f"Sam {number}"])
    case = advised(org, "manager.span_wide", people["Hana"].id)

    contractors = {people[f"Sam {n}"].id for n in range(4)}
    assert moved(case.proposed()).isdisjoint(contractors)
    assert moved(case.advice.remedies).isdisjoint(contractors)


def test_a_contractor_never_takes_a_share_of_a_span():
    org, people = wide_span()
    contractor(people["Sonia"])
    index, _, finding = finding_of(org, f"manager.span_wide:{people['Hana'].id}")

    proposed = list(PROPOSERS[finding.code](index, finding))

    assert people["Sonia"].id not in {lead for r in proposed for _, lead in moves(r)}


def scientist_under_an_engineering_manager(worker_type: str) -> tuple[OrgBuilder, Person]:
    design = roomy_design()
    org = design.org
    sam = org.person("Sam", role=Role.ENGINEERING_MANAGER, manager=design.head)
    sara = org.person("Sara", role=Role.SCIENTIST, manager=sam)
    sara.worker_type = worker_type
    org.member(sara, design.teams[TeamKind.MODELING])
    org.person("Zoe", role=Role.SCIENCE_MANAGER, manager=design.head)
    return org, sara


def test_a_contractor_scientist_is_not_moved_to_a_science_manager():
    org, sara = scientist_under_an_engineering_manager(WorkerType.EMPLOYEE)
    index, findings, finding = finding_of(org, f"scientist.no_science_manager:{sara.id}")
    assert advise(index, findings, finding).remedies  # an employee moves

    sara.worker_type = CONTRACTOR
    index = OrgIndex(org.data())

    assert list(PROPOSERS[finding.code](index, finding)) == []
    assert advise(index, compute_findings(index.data), finding).remedies == []


def test_a_contractor_whose_manager_left_is_not_moved():
    design = roomy_design()
    org = design.org
    gus = org.person("Gus", role=Role.ENGINEERING_MANAGER, manager=design.head, active=False)
    eve = contractor(org.person("Eve", role=Role.SOFTWARE_ENGINEER, manager=gus))
    org.member(eve, design.teams[TeamKind.INFRASTRUCTURE])
    index = OrgIndex(org.data())
    finding = Finding("person.manager_inactive", Ref("person", eve.id, "Eve"), "",
                      (Ref("person", gus.id, "Gus"),))

    assert list(PROPOSERS[finding.code](index, finding)) == []


def test_a_contractor_reporting_into_another_org_is_not_moved_under_the_teams_lead():
    design = roomy_design()
    org = design.org
    vic = org.person("Vic", role=Role.EXECUTIVE, manager=design.ceo)
    infra = design.teams[TeamKind.INFRASTRUCTURE]
    olga = org.person("Olga", role=Role.SOFTWARE_ENGINEER, manager=vic)
    carl = contractor(org.person("Carl", role=Role.SOFTWARE_ENGINEER, manager=vic))
    org.member(olga, infra)
    org.member(carl, infra)
    index = OrgIndex(org.data())
    finding = Finding("team.members_outside_ml_org", team_ref(infra), "",
                      (Ref("person", carl.id, "Carl"), Ref("person", olga.id, "Olga")))

    [remedy] = PROPOSERS[finding.code](index, finding)

    assert moves(remedy) == [(olga.id, infra.lead_id)]


def test_a_contractor_is_not_moved_into_a_one_person_team():
    design = roomy_design()
    org = design.org
    design.members[TeamKind.DEPLOYMENT].active = False
    serving, (sven, abe, zed) = add_team(
        design, "Serving", TeamKind.DEPLOYMENT, ("Sven", Role.TECH_LEAD),
        ("Abe", Role.ML_ENGINEER), ("Zed", Role.ML_ENGINEER),
    )
    contractor(abe)  # first by name
    case = advised(org, "pipeline.single_person_stage", design.pipeline.id, "deployment")

    member_moves = [r for r in case.proposed() if r.changes[0].action == MOVE_MEMBER]

    assert [moves(r) for r in member_moves] == [[(zed.id, design.teams[TeamKind.DEPLOYMENT].id)]]


def test_an_outside_team_led_by_a_contractor_is_not_moved_with_its_lead():
    design = roomy_design()
    org = design.org
    vic = org.person("Vic", role=Role.EXECUTIVE, manager=design.ceo)
    infra, (iris, _) = add_team(design, "Company Infra", TeamKind.INFRASTRUCTURE,
                                ("Iris", Role.ENGINEERING_MANAGER), ("Ike", Role.OTHER),
                                manager=vic)
    contractor(iris)
    org.engage(design.pipeline, infra, EngagementRole.SERVICE)
    case = advised(org, "dependency.outside_ml_org", infra.id)

    assert iris.id not in moved(case.proposed())
    assert case.advice.remedies  # engaging the ML org's own infrastructure team instead
    assert actions(case.advice.remedies) == {SET_CELL}


# Product squads ------------------------------------------------------------------------------




def test_of_a_squads_members_only_ml_people_move_and_only_under_a_science_manager():
    org, people, _ = squad_in_a_wide_span()
    index = OrgIndex(org.data())
    sonia, emil, tia = people["Sonia"], people["Emil"], people["Tia"]

    for name in ("Dina", "Pete", "Priya"):
        for manager in (sonia, emil, tia):
            change = proposals.set_manager(index, people[name].id, manager.id)
            assert refusal(index, change) is not None, (name, manager.name)
    for name in ("Mo", "Sky"):
        assert refusal(index, proposals.set_manager(index, people[name].id, sonia.id)) is None
        for manager in (emil, tia):
            change = proposals.set_manager(index, people[name].id, manager.id)
            assert refusal(index, change) is not None, (name, manager.name)


def test_a_span_split_leaves_a_squads_designer_engineer_and_pm_where_they_are():
    org, people, _ = squad_in_a_wide_span()
    case = advised(org, "manager.span_wide", people["Hana"].id)

    staying = {people[name].id for name in ("Dina", "Pete", "Priya")}
    assert moved(case.proposed()).isdisjoint(staying)
    for remedy in case.proposed():
        for person_id, lead_id in moves(remedy):
            if person_id in {people["Mo"].id, people["Sky"].id}:
                assert lead_id == people["Sonia"].id
    assert case.advice.remedies


def test_a_squads_scientist_managed_by_the_squad_lead_moves_to_a_science_manager():
    # Seed 000: "a central manager manages scientists across squads".
    design = roomy_design()
    org = design.org
    ben = org.person("Ben", role=Role.ENGINEERING_MANAGER, manager=design.head)
    squad = org.team("Checkout squad", kind=TeamKind.PRODUCT_SQUAD, lead=ben)
    ravi = org.person("Ravi", role=Role.SCIENTIST, manager=ben)
    org.member(ben, squad)
    org.member(ravi, squad)
    org.member(org.person("Lou", role=Role.SCIENTIST, manager=ben), squad)
    ines = org.person("Ines", role=Role.SCIENCE_MANAGER, manager=design.head)
    case = advised(org, "scientist.no_science_manager", ravi.id)

    assert moves(case.advice.remedies[0]) == [(ravi.id, ines.id)]


def test_a_squads_designer_reporting_into_another_org_stays_where_they_are():
    design = roomy_design()
    org = design.org
    vic = org.person("Vic", role=Role.EXECUTIVE, manager=design.ceo)
    ines = org.person("Ines", role=Role.SCIENCE_MANAGER, manager=design.head)
    squad = org.team("Checkout squad", kind=TeamKind.PRODUCT_SQUAD, lead=ines)
    dina = org.person("Dina", role=Role.OTHER, manager=vic)
    sky = org.person("Sky", role=Role.SCIENTIST, manager=vic)
    for person in (ines, dina, sky):
        org.member(person, squad)
    index = OrgIndex(org.data())
    finding = Finding("team.members_outside_ml_org", team_ref(squad), "",
                      (Ref("person", dina.id, "Dina"), Ref("person", sky.id, "Sky")))

    [remedy] = PROPOSERS[finding.code](index, finding)

    assert moves(remedy) == [(sky.id, ines.id)]


# Structural: forbidden proposals are filtered, a last resort ranks last -----------------------


def test_advice_never_offers_a_forbidden_remedy_whatever_a_proposer_yields(monkeypatch):
    org, people, squad = squad_in_a_wide_span()
    contractor(people["Sam 0"])
    index, findings, finding = finding_of(org, f"manager.span_wide:{people['Hana'].id}")
    pipeline = org.pipelines[0]

    def forbidden_and_allowed(index, finding):
        set_manager = proposals.set_manager
        yield Remedy("PM under another team's manager",
                     (set_manager(index, people["Paula"].id, people["Emil"].id),))
        yield Remedy("Science manager under another team's manager",
                     (set_manager(index, people["Sonia"].id, people["Emil"].id),))
        yield Remedy("A contractor moved",
                     (set_manager(index, people["Sam 0"].id, people["Sonia"].id),))
        yield Remedy("A squad's engineer moved",
                     (set_manager(index, people["Pete"].id, people["Tia"].id),))
        yield Remedy("An essential stage dropped",
                     (Change(DROP_STAGE, Ref("pipeline", pipeline.id, pipeline.name), "",
                             stage="modeling"),))
        yield Remedy("Scientists under their science manager", tuple(
            set_manager(index, people[f"Sam {n}"].id, people["Sonia"].id) for n in (1, 2, 3)
        ) + (set_manager(index, people["Sky"].id, people["Sonia"].id),))

    monkeypatch.setitem(PROPOSERS, finding.code, forbidden_and_allowed)

    advice = advise(index, findings, finding)

    assert [remedy.summary for remedy in advice.remedies] == [
        "Scientists under their science manager"
    ]


def test_a_last_resort_ranks_after_every_other_remedy_whatever_its_cost(monkeypatch):
    org, pipeline_id = unowned_stage(Lifecycle.INCUBATING, Stage.DEPLOYMENT, Tier.CRITICAL)
    index, findings, finding = finding_of(org, f"pipeline.stage_unowned:{pipeline_id}:deployment")
    real = list(PROPOSERS[finding.code](index, finding))
    drop = next(r for r in real if r.last_resort)

    # Even proposed first, the drop is offered last.
    monkeypatch.setitem(PROPOSERS, finding.code,
                        lambda index, finding: iter([drop, *[r for r in real if r is not drop]]))
    advice = advise(index, findings, finding)

    assert advice.remedies[-1].changes == drop.changes
    assert all(not r.last_resort for r in advice.remedies[:-1])
    assert len(advice.remedies) >= 2


@pytest.mark.parametrize(
    ("lifecycle", "stage", "allowed"),
    [
        (Lifecycle.INCUBATING, Stage.DEPLOYMENT, True),
        (Lifecycle.INCUBATING, Stage.INFRASTRUCTURE, True),
        (Lifecycle.INCUBATING, Stage.TOOLING, True),
        (Lifecycle.INCUBATING, Stage.DATA, False),
        (Lifecycle.INCUBATING, Stage.MODELING, False),
        (Lifecycle.PRODUCTION, Stage.DEPLOYMENT, False),
        (Lifecycle.SUNSET, Stage.DEPLOYMENT, False),
    ],
)
def test_which_drops_are_refused(lifecycle, stage, allowed):
    org = OrgBuilder()
    pipeline = org.pipeline("Feed", lifecycle=lifecycle)
    index = OrgIndex(org.data())
    change = Change(DROP_STAGE, Ref("pipeline", pipeline.id, "Feed"), "", stage=stage)

    assert (refusal(index, change) is None) == allowed
