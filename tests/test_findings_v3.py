"""Findings v3 (docs/design.md sections 1 and 2 as revised): contractors, product squads, platforms
used as services, an ML head missing from the HR data, thin staffing, efforts. A raising case
and a close quiet case for each changed rule and new code, on unsaved objects."""

import pytest

from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.orgdata import OrgIndex
from pipelines.models import EngagementRole, Lifecycle, Tier
from teams.models import Role, TeamKind, WorkerType
from tests.builders import OrgBuilder
from tests.designs import flags, only, person_ref, pipeline_ref, sound_design, team_ref

CONTRACTOR = WorkerType.CONTRACTOR


# 1. Without an active ML head nobody is in or outside the ML org ----------------------------


def test_defect_1_without_an_ml_head_a_scientist_under_a_vp_is_not_called_outside():
    org = OrgBuilder()
    vp = org.person("Vera", role=Role.EXECUTIVE)
    org.person("Sam", role=Role.SCIENTIST, manager=vp)

    findings = compute_findings(org.data())

    assert [f.code for f in findings] == ["org.no_ml_head"]
    assert not [f for f in findings if "ML org" in f.message and f.code != "org.no_ml_head"]


def test_with_an_ml_head_a_scientist_under_an_executive_of_another_org_is_flagged():
    org = OrgBuilder()
    ceo = org.person("Cleo", role=Role.EXECUTIVE)
    org.set_ml_head(org.person("Hana", role=Role.EXECUTIVE, manager=ceo))
    vp = org.person("Vera", role=Role.EXECUTIVE, manager=ceo)
    sam = org.person("Sam", role=Role.SCIENTIST, manager=vp)

    finding = only(org, "scientist.no_science_manager")

    assert finding.subject == person_ref(sam)
    assert "an executive outside the ML org" in finding.message


# 4. Contractors ------------------------------------------------------------------------------


def contractor_labelers(worker_type: str):
    """Seed 002's Data Ops overseeing labelers whose solid line runs to their vendor (Vince,
    outside the ML org), at 3 of the team's 4 FTE."""
    design = sound_design()
    vendor = design.org.person("Vince", role=Role.OPS_MANAGER, manager=design.ceo)
    labelers = [
        design.org.person(f"Labeler {n}", manager=vendor, worker_type=worker_type)
        for n in range(3)
    ]
    for person in labelers:
        design.org.member(person, design.teams[TeamKind.DATA_OPS])
    return design, labelers


def test_contractor_labelers_under_their_vendor_leave_data_ops_quiet():
    design, _ = contractor_labelers(CONTRACTOR)
    assert compute_findings(design.org.data()) == []


def test_employees_in_the_same_place_make_data_ops_a_team_staffed_from_outside():
    design, labelers = contractor_labelers(WorkerType.EMPLOYEE)

    finding = only(design.org, "team.members_outside_ml_org")

    assert finding.subject == team_ref(design.teams[TeamKind.DATA_OPS])
    assert finding.related == tuple(person_ref(p) for p in labelers)
    assert finding.message == (
        "3 of the 5 active members of Data Ops (60% of its FTE) report into Vince's "
        "organisation instead of the ML org, and the team works on pipelines."
    )
    assert finding.severity == "error"


def test_a_contractor_without_a_manager_is_not_flagged_and_an_employee_is():
    design = sound_design()
    temp = design.org.person("Tia", worker_type=CONTRACTOR)
    design.org.member(temp, design.teams[TeamKind.MODELING], 50)
    assert flags(design.org, "person.no_manager") == []

    temp.worker_type = WorkerType.EMPLOYEE
    assert only(design.org, "person.no_manager").subject == person_ref(temp)


def test_a_contractor_in_the_ml_org_in_no_team_is_not_unallocated():
    design = sound_design()
    contractor = design.org.person("Cy", manager=design.head, worker_type=CONTRACTOR)
    assert flags(design.org, "person.unallocated") == []

    contractor.worker_type = WorkerType.EMPLOYEE
    assert only(design.org, "person.unallocated").subject == person_ref(contractor)


# 5. team.members_outside_ml_org: specialised teams only; an error at half the FTE ------------


def outside_members(count: int, kind: str = TeamKind.INFRASTRUCTURE, role=EngagementRole.OWNER):
    """A team of `kind` led in the ML org, with two members in it and `count` members from a
    company Infrastructure org (Otto's), engaged in the pipeline as `role`."""
    design = sound_design()
    org = design.org
    otto = org.person("Otto", role=Role.EXECUTIVE, manager=design.ceo)
    team = org.team("Platform", kind=kind, lead=design.head, kpi="latency",
                    kpi_type="model_outcome")
    for name in ("Pia", "Pat"):
        org.member(org.person(name, role=Role.ML_ENGINEER, manager=design.head), team)
    for number in range(count):
        org.member(org.person(f"Ops {number}", manager=otto), team)
    org.engage(design.pipeline, team, role)
    return design, team


def test_outside_members_under_half_the_fte_are_a_warning():
    design, team = outside_members(1, role=EngagementRole.CONTRIBUTOR)
    finding = only(design.org, "team.members_outside_ml_org")
    assert (finding.severity, finding.base_severity) == ("warning", "warning")
    assert "(33% of its FTE)" in finding.message and "Otto's organisation" in finding.message


@pytest.mark.parametrize("role", [EngagementRole.OWNER, EngagementRole.CONTRIBUTOR])
def test_outside_members_holding_half_the_fte_of_a_team_at_work_on_pipelines_are_an_error(role):
    design, team = outside_members(2, role=role)
    finding = only(design.org, "team.members_outside_ml_org")
    assert (finding.severity, finding.base_severity) == ("error", "warning")
    assert "(50% of its FTE)" in finding.message


def test_outside_members_of_a_platform_used_as_a_service_stay_a_warning():
    design, team = outside_members(2, role=EngagementRole.SERVICE)
    assert only(design.org, "team.members_outside_ml_org").severity == "warning"


def test_a_product_squad_staffed_from_outside_is_not_flagged():
    design, team = outside_members(3, kind=TeamKind.PRODUCT_SQUAD)
    assert flags(design.org, "team.members_outside_ml_org") == []


def test_a_team_of_kind_other_staffed_from_outside_is_not_flagged():
    design, team = outside_members(3, kind=TeamKind.OTHER)
    assert flags(design.org, "team.members_outside_ml_org") == []


def test_outside_members_of_a_team_of_sunset_pipelines_only_are_lowered():
    design, team = outside_members(2)
    design.pipeline.lifecycle = Lifecycle.SUNSET
    assert only(design.org, "team.members_outside_ml_org").severity == "warning"


# 6. Severity: raise for critical, then lower for sunset, on every pipeline finding ------------


def company_infra(design, lifecycles: list[str], tier: str = Tier.NORMAL):
    """A company Infrastructure team (led by Otto, under the CEO) that pipelines of
    `lifecycles` engage as a service."""
    otto = design.org.person("Otto", role=Role.EXECUTIVE, manager=design.ceo)
    infra = design.org.team("Company Infra", kind=TeamKind.INFRASTRUCTURE, lead=otto)
    for number, lifecycle in enumerate(lifecycles):
        pipeline = design.org.pipeline(f"Old {number}", pm=design.pm, required_stages=[],
                                       metric="ctr")
        pipeline.lifecycle, pipeline.tier = lifecycle, tier
        design.org.engage(pipeline, infra, EngagementRole.SERVICE)
    return infra


def test_an_outside_dependency_of_retiring_pipelines_only_is_a_warning():
    design = sound_design()
    company_infra(design, [Lifecycle.SUNSET, Lifecycle.SUNSET], Tier.CRITICAL)
    finding = only(design.org, "dependency.outside_ml_org")
    assert (finding.severity, finding.base_severity) == ("warning", "error")


def test_an_outside_dependency_of_one_live_pipeline_stays_an_error():
    design = sound_design()
    company_infra(design, [Lifecycle.SUNSET, Lifecycle.PRODUCTION])
    assert only(design.org, "dependency.outside_ml_org").severity == "error"


@pytest.mark.parametrize("tier", [Tier.CRITICAL, Tier.NORMAL])
def test_a_stage_nobody_owns_is_never_rated_below_a_stage_one_person_owns(tier):
    design = sound_design()
    design.pipeline.tier = tier
    design.pipeline.lifecycle = Lifecycle.SUNSET
    design.members[TeamKind.DATA_OPS].active = False  # one person on data
    modeling = design.teams[TeamKind.MODELING]
    design.org.engagements[:] = [e for e in design.org.engagements if e.team_id != modeling.id]

    unowned = only(design.org, "pipeline.stage_unowned")
    single = only(design.org, "pipeline.single_person_stage")

    assert (unowned.severity, single.severity) == ("warning", "info")


def test_a_warning_of_a_critical_pipeline_in_production_is_an_error():
    design = sound_design()
    design.pipeline.tier = Tier.CRITICAL
    design.members[TeamKind.DATA_OPS].active = False
    assert only(design.org, "pipeline.single_person_stage").severity == "error"


def test_a_pipeline_error_of_a_sunset_pipeline_is_lowered_to_a_warning():
    design = sound_design()
    design.pipeline.lifecycle = Lifecycle.SUNSET
    design.pipeline.pm_owner_id = None
    finding = only(design.org, "pipeline.no_pm")
    assert (finding.severity, finding.base_severity) == ("warning", "error")


# 7. Thin staffing: nobody, one person, less than one FTE --------------------------------------


def test_an_owner_team_with_nobody_in_it_leaves_the_stage_unowned_and_is_named():
    design = sound_design()
    team = design.teams[TeamKind.DEPLOYMENT]
    design.leads[TeamKind.DEPLOYMENT].active = False
    design.members[TeamKind.DEPLOYMENT].active = False

    finding = only(design.org, "pipeline.stage_unowned")

    assert finding.stage == "deployment" and finding.related == (team_ref(team),)
    assert "its owner Deployment has no active member" in finding.message


def test_two_members_at_ten_percent_each_understaff_a_stage():
    design = sound_design()
    for membership in design.org.memberships:
        if membership.team_id == design.teams[TeamKind.DEPLOYMENT].id:
            membership.allocation = 10

    finding = only(design.org, "pipeline.stage_understaffed")

    assert finding.stage == "deployment"
    assert finding.related == (team_ref(design.teams[TeamKind.DEPLOYMENT]),)
    assert finding.message == (
        "The deployment stage of News Feed ranking is owned by Deployment, whose 2 active "
        "members add up to 0.2 FTE, less than one."
    )
    assert flags(design.org, "pipeline.single_person_stage") == []
    design.pipeline.tier = Tier.CRITICAL
    assert only(design.org, "pipeline.stage_understaffed").severity == "error"


def test_two_members_adding_up_to_one_fte_are_enough():
    design = sound_design()
    for membership in design.org.memberships:
        if membership.team_id == design.teams[TeamKind.DEPLOYMENT].id:
            membership.allocation = 50
    assert flags(design.org, "pipeline.stage_understaffed") == []


def test_an_understaffed_team_of_a_stage_that_is_not_required_is_quiet():
    design = sound_design()
    design.pipeline.required_stages = ["data", "infrastructure", "modeling"]
    for membership in design.org.memberships:
        if membership.team_id == design.teams[TeamKind.DEPLOYMENT].id:
            membership.allocation = 10
    assert flags(design.org, "pipeline.stage_understaffed") == []


def test_a_squad_at_a_fraction_of_its_people_incubating_a_pipeline_is_flagged_once():
    design = sound_design()
    pipeline = design.org.pipeline("Smart reply", pm=design.pm, lifecycle=Lifecycle.INCUBATING,
                                   required_stages=["data", "modeling"])
    squad = design.org.team("Mail squad", kind=TeamKind.PRODUCT_SQUAD, lead=design.pm)
    for name in ("Sid", "Sky"):
        design.org.member(design.org.person(name, manager=design.head), squad, 20)
    design.org.engage(pipeline, squad)

    finding = only(design.org, "pipeline.stage_understaffed")

    assert finding.stage is None and finding.subject == pipeline_ref(pipeline)
    assert "The data and modeling stages of Smart reply are owned by Mail squad" in (
        finding.message)


# 8. A squad incubating its own ML project with its own PM -----------------------------------


def squad_with_its_pm(lifecycle: str, role: str = EngagementRole.OWNER):
    """Seed 000's embedded model: a squad under the product org (Pete, under the CEO) with
    its own PM, owning a pipeline."""
    design = sound_design()
    org = design.org
    pete = org.person("Pete", role=Role.EXECUTIVE, manager=design.ceo)
    pm = org.person("Pam", role=Role.PRODUCT_MANAGER, manager=pete)
    squad = org.team("Mail squad", kind=TeamKind.PRODUCT_SQUAD, lead=pm)
    for name in ("Sid", "Sky"):
        org.member(org.person(name, role=Role.SOFTWARE_ENGINEER, manager=pete), squad)
    org.member(pm, squad)
    pipeline = org.pipeline("Smart reply", pm=pm, lifecycle=lifecycle, metric="ctr")
    org.engage(pipeline, squad, role)
    return design, pipeline


def test_a_squad_incubating_with_its_own_pm_has_no_pm_warning():
    design, _ = squad_with_its_pm(Lifecycle.INCUBATING)
    assert flags(design.org, "pipeline.pm_outside_ml_org") == []


@pytest.mark.parametrize(("lifecycle", "role"), [
    (Lifecycle.PRODUCTION, EngagementRole.OWNER),
    (Lifecycle.INCUBATING, EngagementRole.CONTRIBUTOR),
])
def test_the_pm_of_a_squad_pipeline_in_production_or_not_owned_by_it_is_flagged(lifecycle, role):
    design, pipeline = squad_with_its_pm(lifecycle, role)
    assert only(design.org, "pipeline.pm_outside_ml_org").subject == pipeline_ref(pipeline)


# 9. The top of the organisation ------------------------------------------------------------


def head_missing_their_manager():
    """The company (Cleo's tree of 30) and an ML head whose manager is missing from the HR
    data, with a team of her own and a company Infra team under Cleo that a pipeline uses."""
    org = OrgBuilder()
    cleo = org.person("Cleo", role=Role.EXECUTIVE)
    for number in range(30):
        org.person(f"Staff {number}", manager=cleo)
    head = org.person("Hana", role=Role.EXECUTIVE)
    org.set_ml_head(head)
    otto = org.person("Otto", role=Role.EXECUTIVE, manager=cleo)
    infra = org.team("Company Infra", kind=TeamKind.INFRASTRUCTURE, lead=otto)
    pm = org.person("Paula", role=Role.PRODUCT_MANAGER, manager=head)
    pipeline = org.pipeline("Search", pm=pm, required_stages=[], metric="ndcg")
    org.engage(pipeline, infra, EngagementRole.SERVICE)
    return org, cleo, head, infra


def test_an_ml_head_missing_their_manager_is_not_the_top_and_is_flagged():
    org, cleo, head, infra = head_missing_their_manager()

    assert OrgIndex(org.data()).top_of_organisation == cleo.id
    finding = only(org, "person.no_manager")
    assert finding.subject == person_ref(head)


def test_teams_under_the_company_root_are_outside_the_ml_org():
    org, cleo, head, infra = head_missing_their_manager()

    assert OrgIndex(org.data()).team_in_ml_org(infra) is False
    assert only(org, "dependency.outside_ml_org").subject == team_ref(infra)


def test_an_ml_head_who_is_the_root_of_the_largest_tree_is_the_top():
    org, cleo, head, infra = head_missing_their_manager()
    for number in range(40):
        org.person(f"Scientist {number}", role=Role.SCIENTIST, manager=head)

    assert OrgIndex(org.data()).top_of_organisation == head.id
    # Cleo's tree is now the break: Infra can be placed neither inside nor outside.
    assert only(org, "person.no_manager").subject == person_ref(cleo)
    assert OrgIndex(org.data()).team_in_ml_org(infra) is None
    assert flags(org, "dependency.outside_ml_org") == []


# 10. person.unallocated leaves executives and tech leads alone -------------------------------


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.TECH_LEAD])
def test_a_principal_engineer_or_an_executive_in_no_team_is_not_unallocated(role):
    design = sound_design()
    design.org.person("Pip", role=role, manager=design.head)
    assert flags(design.org, "person.unallocated") == []


def test_a_software_engineer_in_no_team_is_unallocated():
    design = sound_design()
    sue = design.org.person("Sue", role=Role.SOFTWARE_ENGINEER, manager=design.head)
    assert only(design.org, "person.unallocated").subject == person_ref(sue)


# 13. team.over_committed -------------------------------------------------------------------


def committed(efforts: list[int | None], roles=None):
    design = sound_design()
    team = design.teams[TeamKind.MODELING]
    roles = roles or [EngagementRole.CONTRIBUTOR] * len(efforts)
    design.org.engagements[:] = [e for e in design.org.engagements if e.team_id != team.id]
    design.org.engage(design.pipeline, team, effort=70)
    pipelines = []
    for number, (effort, role) in enumerate(zip(efforts, roles, strict=True)):
        pipeline = design.org.pipeline(f"Other {number}", pm=design.pm, required_stages=[],
                                       metric="ctr")
        design.org.engage(pipeline, team, role, effort=effort)
        pipelines.append(pipeline)
    return design, team, pipelines


def test_efforts_over_all_of_a_teams_capacity_are_over_committed():
    design, team, pipelines = committed([20, 20, None])

    finding = only(design.org, "team.over_committed")

    assert finding.subject == team_ref(team)
    assert finding.message == (
        "Modeling has 110% of its capacity promised to 3 pipelines, more than all of it."
    )
    assert {ref.name for ref in finding.related} == {"News Feed ranking", "Other 0", "Other 1"}
    assert finding.severity == "warning"


def test_efforts_of_exactly_all_the_capacity_are_quiet():
    design, team, _ = committed([20, 10, None])
    assert flags(design.org, "team.over_committed") == []


def test_a_service_engagement_promises_no_capacity():
    design, team, _ = committed([40], [EngagementRole.SERVICE])
    assert flags(design.org, "team.over_committed") == []


def test_over_commitment_on_a_critical_pipeline_is_an_error():
    design, team, _ = committed([40])
    design.pipeline.tier = Tier.CRITICAL
    assert only(design.org, "team.over_committed").severity == "error"


# Found by the domain review ------------------------------------------------------------------


def test_a_team_led_by_the_top_of_the_organisation_is_said_to_be_led_from_the_top():
    org, cleo, head, infra = head_missing_their_manager()
    infra.lead_id = cleo.id

    finding = only(org, "dependency.outside_ml_org")

    assert finding.message == (
        "1 pipeline depends on Company Infra, led by Cleo, at the top of the organisation, "
        "outside the ML org."
    )


def test_a_team_led_from_above_names_whom_the_ml_head_reports_through():
    design = sound_design()
    cto = design.org.person("Cato", role=Role.EXECUTIVE, manager=design.ceo)
    design.head.manager_id = cto.id
    research = design.org.team("Research", kind=TeamKind.MODELING, lead=design.ceo)
    design.org.engage(design.pipeline, research, EngagementRole.CONTRIBUTOR)

    assert only(design.org, "dependency.outside_ml_org").message == (
        "1 pipeline depends on Research, led from above the ML org by Cleo, to whom the ML head "
        "Hana reports through Cato."
    )


@pytest.mark.parametrize(("worker_type", "flagged"), [(CONTRACTOR, False), ("employee", True)])
def test_the_vendor_manager_of_contractors_is_not_flagged_for_their_missing_manager(
    worker_type, flagged
):
    design = sound_design()
    vendor = design.org.person("Vendor Boss", role=Role.OPS_MANAGER)  # nobody above
    labeler = design.org.person("Labeler", manager=vendor, worker_type=worker_type)
    design.org.member(labeler, design.teams[TeamKind.DATA_OPS])

    found = [f.subject for f in flags(design.org, "person.no_manager")]

    assert found == ([person_ref(vendor)] if flagged else [])


def test_an_over_commitment_concerns_the_pipelines_promised_not_those_served():
    design, team, pipelines = committed([40])
    critical = design.org.pipeline("Crit", pm=design.pm, required_stages=[], metric="ctr")
    critical.tier = Tier.CRITICAL
    design.org.engage(critical, team, EngagementRole.SERVICE)

    assert only(design.org, "team.over_committed").severity == "warning"


@pytest.mark.parametrize(("count", "start"), [
    (1, "The only active member of Platform (100% of its FTE) reports into Otto's"),
    (3, "All 3 active members of Platform (100% of its FTE) report into Otto's"),
])
def test_a_team_staffed_wholly_from_outside_is_said_so(count, start):
    design = sound_design()
    otto = design.org.person("Otto", role=Role.EXECUTIVE, manager=design.ceo)
    team = design.org.team("Platform", kind=TeamKind.INFRASTRUCTURE, lead=design.head)
    for number in range(count):
        design.org.member(design.org.person(f"Ops {number}", manager=otto), team)

    assert only(design.org, "team.members_outside_ml_org").message.startswith(start)


def test_members_from_two_other_orgs_name_the_larger_and_count_the_other_organisation():
    design, team = outside_members(2)
    vera = design.org.person("Vera", role=Role.EXECUTIVE, manager=design.ceo)
    design.org.member(design.org.person("Res", manager=vera), team)

    assert "report into Otto's organisation and 1 other organisation instead" in only(
        design.org, "team.members_outside_ml_org").message
