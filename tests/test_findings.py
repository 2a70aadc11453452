"""The findings engine (docs/design.md section 2), on unsaved model instances and no database.

Most tests start from `sound_design()`, which raises no finding at all, break one thing and
check the one flag that follows; each code also has a close case that must stay quiet.
"""


from dataclasses import replace

import pytest

from orgdesign.analysis.catalog import CatalogRow
from orgdesign.analysis.catalogue import CATALOGUE
from orgdesign.analysis.findings import Finding, Ref, compute_findings
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.structure import classify_structure
from pipelines.models import EngagementRole, Lifecycle
from teams.models import KpiType, Person, Role, Team, TeamKind
from tests.builders import OrgBuilder
from tests.designs import (
    CONTRACT_SEVERITIES,
    HEAD_ONLY_CODES,
    SPECIALISED,
    Design,
    flags,
    only,
    person_ref,
    pipeline_ref,
    sound_design,
    team_ref,
)


def test_a_sound_design_has_no_findings():
    assert compute_findings(sound_design().org.data()) == []


# The contract ---------------------------------------------------------------------------------


def test_every_code_of_the_contract_has_a_catalogue_entry_with_its_severity():
    assert {code: entry.severity for code, entry in CATALOGUE.items()} == CONTRACT_SEVERITIES


def test_every_catalogue_entry_says_what_why_and_how_to_fix():
    for code, entry in CATALOGUE.items():
        assert entry.code == code
        assert entry.title and entry.why and entry.fix, code


def test_a_finding_takes_its_severity_from_the_catalogue():
    finding = Finding("team.idle", Ref("team", 1, "Tooling"), "Tooling is idle.")
    assert finding.severity == "info"
    assert finding.entry is CATALOGUE["team.idle"]


def test_a_stage_finding_carries_its_stage_in_its_dict():
    design = sound_design()
    design.org.engagements.clear()

    finding = flags(design.org, "pipeline.stage_unowned")[0]

    assert finding.as_dict() == {
        "key": f"pipeline.stage_unowned:{design.pipeline.id}:data",
        "code": "pipeline.stage_unowned",
        "severity": "error",
        "base_severity": "error",
        "subject": {"type": "pipeline", "id": design.pipeline.id, "name": "News Feed ranking"},
        "message": finding.message,
        "related": [],
        "stage": "data",
    }


def test_a_finding_without_stage_has_no_stage_key_and_lists_its_related_objects():
    design = sound_design()
    design.pm.active = False

    finding = only(design.org, "pipeline.pm_inactive")

    assert finding.as_dict() == {
        "key": f"pipeline.pm_inactive:{design.pipeline.id}",
        "code": "pipeline.pm_inactive",
        "severity": "error",
        "base_severity": "error",
        "subject": {"type": "pipeline", "id": design.pipeline.id, "name": "News Feed ranking"},
        "message": finding.message,
        "related": [{"type": "person", "id": design.pm.id, "name": "Paula"}],
    }


def test_findings_are_ordered_by_severity_then_code_then_subject_name():
    org = OrgBuilder()  # no ML head: org.no_ml_head
    ann = org.person("Ann", role=Role.SCIENTIST)
    squad = org.team("Squad", kind=TeamKind.PRODUCT_SQUAD)  # no lead
    org.member(ann, squad)  # the only scientist of her squad: scientist.isolated
    # Names compare regardless of case (xenon before Yak, bravo before Zulu), and only once
    # the code is the same (pipeline.no_pm of Yak before team.no_lead of bravo).
    org.pipeline("Yak", required_stages=[])  # no PM
    org.pipeline("xenon", required_stages=[])  # no PM
    org.team("Zulu", kind=TeamKind.OTHER)  # no lead, empty
    org.team("bravo", kind=TeamKind.OTHER)  # no lead, empty

    found = [(f.severity, f.code, f.subject.name) for f in compute_findings(org.data())]

    assert found == [
        ("error", "org.no_ml_head", "Acme"),
        ("error", "pipeline.no_pm", "xenon"),
        ("error", "pipeline.no_pm", "Yak"),
        ("error", "team.no_lead", "bravo"),
        ("error", "team.no_lead", "Squad"),
        ("error", "team.no_lead", "Zulu"),
        ("warning", "team.empty", "bravo"),
        ("warning", "team.empty", "Zulu"),
        ("info", "scientist.isolated", "Ann"),
    ]


def test_compute_findings_accepts_an_index_built_beforehand():
    design = sound_design()
    design.pm.active = False
    data = design.org.data()

    assert compute_findings(data, OrgIndex(data)) == compute_findings(data)


def test_the_database_is_out_of_reach_in_these_tests():
    # So the next test would fail if the engine queried, e.g. through `team.lead`.
    with pytest.raises(RuntimeError, match="Database access not allowed"):
        Person.objects.exists()


def test_findings_and_structure_are_computed_without_the_database():
    design = sound_design(layers_max=2)
    org, ceo, head = design.org, design.ceo, design.head
    design.pm.role = Role.SCIENTIST  # pipeline.pm_not_product_manager
    design.members[TeamKind.DEPLOYMENT].active = False  # pipeline.single_person_stage
    design.members[TeamKind.DATA_OPS].manager_id = design.leads[TeamKind.MODELING].id
    org.pipeline("Ads ranking", pm=org.person("Pam", role=Role.PRODUCT_MANAGER, manager=ceo))
    org.pipeline("Search", pm=org.person("Lea", role=Role.PRODUCT_MANAGER, active=False))
    org.pipeline("Spam")  # no PM
    second_modeling = org.team("Modeling 2", kind=TeamKind.MODELING, lead=design.head)
    org.engage(design.pipeline, second_modeling)
    org.team("Leaderless")
    org.team("Left", lead=org.person("Gone", active=False))
    tooling = org.team("Tooling", kind=TeamKind.TOOLING, lead=head)
    labels = org.team("Labels", kind=TeamKind.DATA_OPS, kpi_type=KpiType.OUTPUT_VOLUME)
    org.engage(design.pipeline, labels, EngagementRole.CONTRIBUTOR)
    vp = org.person("Otto", role=Role.EXECUTIVE, manager=ceo)
    infra = org.team("Company Infra", kind=TeamKind.INFRASTRUCTURE, lead=vp)
    org.engage(design.pipeline, infra, EngagementRole.SERVICE)
    left_manager = org.person("Lou", role=Role.ENGINEERING_MANAGER, manager=head, active=False)
    sam = org.person("Sam", role=Role.SCIENTIST, manager=left_manager)
    squad = org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD, lead=head)
    org.member(sam, squad, 60)
    org.member(sam, second_modeling, 50)
    deep = org.person("Deep", manager=org.person("Mid", manager=design.members[TeamKind.MODELING]))
    org.member(deep, second_modeling)
    org.person("Idle", manager=head)
    floating = org.person("Floating", role=Role.ML_ENGINEER)  # works in an ML team, no manager
    org.member(floating, tooling, 50)
    org.member(org.person("Olga", manager=vp), tooling, 50)  # team.members_outside_ml_org
    org.pipeline("Churn", pm=design.pm, metric="")  # pipeline.no_metric
    papers = org.team("Research", lead=head, kpi_type=KpiType.PUBLICATIONS)
    org.engage(design.pipeline, papers, EngagementRole.CONTRIBUTOR)  # team.kpi_publications
    # No KPI for the tooling team, which works on a pipeline: team.no_kpi.
    org.engage(design.pipeline, tooling, EngagementRole.CONTRIBUTOR)
    org.team("Tooling 2", kind=TeamKind.TOOLING, lead=head)  # team.idle
    # Two people at 10% own a stage: pipeline.stage_understaffed; promised 60% + 60% of
    # their capacity: team.over_committed.
    lite = org.team("Deploy lite", kind=TeamKind.DEPLOYMENT, lead=head)
    for name in ("Dee", "Dot"):
        org.member(org.person(name, manager=head), lite, 10)
    org.engage(org.pipeline("Fraud", pm=design.pm, required_stages=["deployment"]), lite,
               effort=60)
    org.engage(design.pipeline, lite, EngagementRole.CONTRIBUTOR, effort=60)
    for number in range(10):
        org.person(f"Report {number}", manager=head)

    # The software catalog of the pipeline: a data component owned by Modeling
    # (catalog.stage_owned_elsewhere), one owned by Company Infra (catalog.owner_outside_ml_org),
    # one owned by nobody (catalog.component_unowned), and nothing behind its other stages
    # (catalog.stage_without_components).
    catalog = [
        CatalogRow(900 + number, "component", f"component:default/{name}", name, owner=owner,
                   pipeline_hint=design.pipeline.name, stage_hint=stage)
        for number, (name, owner, stage) in enumerate((
            ("labels", "group:default/modeling", "data"),
            ("gpu-pool", "group:default/company-infra", ""),
            ("orphan", "", ""),
        ))
    ]
    data = replace(org.data(), catalog=catalog)
    codes = {finding.code for finding in compute_findings(data)}
    structure = classify_structure(data)

    assert codes == set(CONTRACT_SEVERITIES) - {"org.no_ml_head"}
    assert structure.label == "hybrid"


# org.no_ml_head and who is looked at without an ML head ----------------------------------------


def test_it_flags_an_organisation_without_an_ml_head():
    design = sound_design()
    design.org.set_ml_head(None)

    finding = only(design.org, "org.no_ml_head")

    assert finding.severity == "error"
    assert finding.subject == Ref("organisation", 1, "Acme")
    assert "no ML head is set" in finding.message


def test_it_flags_an_organisation_whose_ml_head_has_left():
    design = sound_design()
    design.head.active = False

    finding = only(design.org, "org.no_ml_head")

    assert "Hana" in finding.message


def test_it_does_not_flag_an_organisation_with_an_active_ml_head():
    assert flags(sound_design().org, "org.no_ml_head") == []


def head_only_flags_design() -> Design:
    """A design that raises each check that needs the ML head, while it has one."""
    design = sound_design(layers_max=1)
    org = design.org
    design.pm.manager_id = design.ceo.id  # pipeline.pm_outside_ml_org
    vp = org.person("Otto", role=Role.EXECUTIVE, manager=design.ceo)
    infra = org.team("Company Infra", kind=TeamKind.INFRASTRUCTURE, lead=vp)
    org.member(vp, infra)
    org.engage(design.pipeline, infra, EngagementRole.SERVICE)  # dependency.outside_ml_org
    mona = design.leads[TeamKind.MODELING]
    deep = org.person("Deep", manager=org.person("Mid", manager=mona))  # reporting.too_deep
    org.member(deep, design.teams[TeamKind.MODELING])
    org.person("Idle", manager=design.head)  # person.unallocated
    # Staffed from Otto's org: team.members_outside_ml_org.
    org.member(org.person("Olga", manager=vp), design.teams[TeamKind.INFRASTRUCTURE], 50)
    for number in range(11):  # manager.span_wide
        org.person(f"Report {number}", manager=design.leads[TeamKind.DATA_OPS])
    return design


def test_the_checks_that_need_an_ml_head_run_when_it_is_active():
    codes = {finding.code for finding in compute_findings(head_only_flags_design().org.data())}
    assert codes >= HEAD_ONLY_CODES


@pytest.mark.parametrize("how", ["unset", "left"])
def test_without_an_active_ml_head_the_checks_that_need_it_are_not_computed(how):
    design = head_only_flags_design()
    if how == "unset":
        design.org.set_ml_head(None)
    else:
        design.head.active = False

    codes = {finding.code for finding in compute_findings(design.org.data())}

    assert codes & HEAD_ONLY_CODES == set()
    assert "org.no_ml_head" in codes


def test_without_an_ml_head_the_span_of_control_of_the_whole_company_is_not_checked():
    design = sound_design()
    design.org.set_ml_head(None)

    # Cleo manages only Hana. Without an ML head the ML org cannot be told apart, and a
    # company freshly synced from HR must not drown in span findings about everyone.
    assert flags(design.org, "manager.span_narrow") == []


# Pipelines: PM owner ---------------------------------------------------------------------------


def test_it_flags_a_pipeline_without_pm():
    design = sound_design()
    design.pipeline.pm_owner_id = None

    finding = only(design.org, "pipeline.no_pm")

    assert finding.severity == "error"
    assert finding.subject == pipeline_ref(design.pipeline)
    assert finding.related == ()
    assert "News Feed ranking" in finding.message


def test_a_pipeline_without_pm_raises_no_other_pm_flag():
    design = sound_design()
    design.pipeline.pm_owner_id = None

    codes = {finding.code for finding in compute_findings(design.org.data())}

    assert codes == {"pipeline.no_pm", "person.unallocated"}  # Paula now owns nothing


def test_it_does_not_flag_a_pipeline_with_a_pm():
    assert flags(sound_design().org, "pipeline.no_pm") == []


def test_it_flags_a_pipeline_whose_pm_has_left():
    design = sound_design()
    design.pm.active = False

    finding = only(design.org, "pipeline.pm_inactive")

    assert finding.severity == "error"
    assert finding.subject == pipeline_ref(design.pipeline)
    assert finding.related == (person_ref(design.pm),)
    assert "Paula" in finding.message


def test_it_does_not_flag_a_pipeline_whose_pm_is_active():
    assert flags(sound_design().org, "pipeline.pm_inactive") == []


def test_it_flags_a_pipeline_owned_by_someone_who_is_not_a_product_manager():
    design = sound_design()
    design.pm.role = Role.SCIENTIST

    finding = only(design.org, "pipeline.pm_not_product_manager")

    assert finding.severity == "warning"
    assert finding.subject == pipeline_ref(design.pipeline)
    assert finding.related == (person_ref(design.pm),)
    assert "scientist" in finding.message


def test_a_product_manager_who_left_is_flagged_as_gone_not_as_a_non_pm():
    design = sound_design()
    design.pm.active = False

    assert flags(design.org, "pipeline.pm_not_product_manager") == []


def test_it_flags_a_pipeline_whose_pm_reports_outside_the_ml_org():
    design = sound_design()
    design.pm.manager_id = design.ceo.id

    finding = only(design.org, "pipeline.pm_outside_ml_org")

    assert finding.severity == "warning"
    assert finding.subject == pipeline_ref(design.pipeline)
    assert finding.related == (person_ref(design.pm),)


def test_it_flags_a_pipeline_owned_by_someone_above_the_ml_head():
    design = sound_design()
    design.pipeline.pm_owner_id = design.ceo.id

    assert only(design.org, "pipeline.pm_outside_ml_org").related == (person_ref(design.ceo),)


def test_it_does_not_flag_a_pm_whose_chain_reaches_the_ml_head_through_someone_who_left():
    design = sound_design()
    gone = design.org.person("Gone", manager=design.head, active=False)
    design.pm.manager_id = gone.id

    assert flags(design.org, "pipeline.pm_outside_ml_org") == []


def test_it_does_not_flag_a_pm_who_is_the_ml_head():
    design = sound_design()
    design.pipeline.pm_owner_id = design.head.id

    assert flags(design.org, "pipeline.pm_outside_ml_org") == []


# Pipelines: stages -----------------------------------------------------------------------------


def unowned_stages(org: OrgBuilder) -> list[str]:
    return sorted(finding.stage for finding in flags(org, "pipeline.stage_unowned"))


def test_it_flags_each_unowned_required_stage_once():
    design = sound_design()
    design.org.engagements.clear()

    found = flags(design.org, "pipeline.stage_unowned")

    assert sorted(f.stage for f in found) == ["data", "deployment", "infrastructure", "modeling"]
    for finding in found:
        assert finding.severity == "error"
        assert finding.subject == pipeline_ref(design.pipeline)
        assert finding.stage in finding.message


def test_it_does_not_flag_stages_owned_by_a_team_of_their_kind():
    # data_ops covers data; the other kinds cover the stage of their own name.
    assert unowned_stages(sound_design().org) == []


@pytest.mark.parametrize("role", [EngagementRole.CONTRIBUTOR, EngagementRole.SERVICE])
def test_a_stage_whose_team_does_not_own_it_is_still_unowned(role):
    design = sound_design()
    design.org.engagements[2].role = role  # the modeling team's cell

    assert unowned_stages(design.org) == ["modeling"]


def test_an_owner_of_another_kind_does_not_cover_a_stage():
    design = sound_design()
    data_ops = design.teams[TeamKind.DATA_OPS]
    design.org.engagements[:] = [e for e in design.org.engagements if e.team_id != data_ops.id]
    design.org.engage(design.pipeline, design.org.team("Misc", kind=TeamKind.OTHER))
    design.org.engage(design.pipeline, design.org.team("Tools", kind=TeamKind.TOOLING))

    assert unowned_stages(design.org) == ["data"]


def test_an_incubating_pipeline_owned_by_a_product_squad_has_every_stage_covered():
    org = OrgBuilder()
    pipeline = org.pipeline(
        "Smart reply", lifecycle=Lifecycle.INCUBATING, required_stages=["data", "tooling"]
    )
    squad = org.team("Mail squad", kind=TeamKind.PRODUCT_SQUAD)
    for name in ("Sid", "Sky"):
        org.member(org.person(name), squad)
    org.engage(pipeline, squad)

    assert unowned_stages(org) == []


@pytest.mark.parametrize("lifecycle", [Lifecycle.PRODUCTION, Lifecycle.SUNSET])
def test_a_product_squad_owning_a_pipeline_out_of_incubation_covers_no_stage(lifecycle):
    org = OrgBuilder()
    pipeline = org.pipeline("Smart reply", lifecycle=lifecycle)
    org.engage(pipeline, org.team("Mail squad", kind=TeamKind.PRODUCT_SQUAD))

    assert unowned_stages(org) == ["data", "deployment", "infrastructure", "modeling"]


def test_a_product_squad_contributing_to_an_incubating_pipeline_covers_no_stage():
    org = OrgBuilder()
    pipeline = org.pipeline("Smart reply", lifecycle=Lifecycle.INCUBATING)
    squad = org.team("Mail squad", kind=TeamKind.PRODUCT_SQUAD)
    org.engage(pipeline, squad, EngagementRole.CONTRIBUTOR)

    assert unowned_stages(org) == ["data", "deployment", "infrastructure", "modeling"]


def test_a_stage_that_is_not_required_is_not_flagged_as_unowned():
    org = OrgBuilder()
    org.pipeline("Churn", required_stages=["modeling"])

    assert unowned_stages(org) == ["modeling"]


def test_a_required_tooling_stage_is_flagged_when_unowned():
    design = sound_design()
    design.pipeline.required_stages = ["data", "tooling"]

    finding = only(design.org, "pipeline.stage_unowned")

    assert finding.stage == "tooling"
    assert "tooling" in finding.message


def test_unowned_stages_are_flagged_per_pipeline():
    design = sound_design()
    other = design.org.pipeline("Ads ranking", pm=design.pm, required_stages=["modeling"])

    assert [f.subject for f in flags(design.org, "pipeline.stage_unowned")] == [pipeline_ref(other)]


def test_it_flags_a_stage_with_two_owner_teams():
    design = sound_design()
    second = design.org.team("Applied Modeling", kind=TeamKind.MODELING, lead=design.head)
    design.org.engage(design.pipeline, second)

    finding = only(design.org, "pipeline.stage_multiple_owners")

    assert finding.severity == "warning"
    assert finding.subject == pipeline_ref(design.pipeline)
    assert finding.stage == "modeling"
    assert finding.related == (team_ref(second), team_ref(design.teams[TeamKind.MODELING]))
    assert "modeling" in finding.message
    assert "Applied Modeling" in finding.message and "Modeling" in finding.message


@pytest.mark.parametrize("role", [EngagementRole.CONTRIBUTOR, EngagementRole.SERVICE])
def test_it_does_not_flag_a_second_team_of_the_kind_that_does_not_own_the_stage(role):
    design = sound_design()
    second = design.org.team("Applied Modeling", kind=TeamKind.MODELING, lead=design.head)
    design.org.engage(design.pipeline, second, role)

    assert flags(design.org, "pipeline.stage_multiple_owners") == []


def test_it_flags_two_owners_of_a_stage_even_when_the_stage_is_not_required():
    # The contract's condition ("more than one team owns the same stage") names no stage list.
    org = OrgBuilder()
    pipeline = org.pipeline("Churn", required_stages=[])
    org.engage(pipeline, org.team("Tools A", kind=TeamKind.TOOLING))
    org.engage(pipeline, org.team("Tools B", kind=TeamKind.TOOLING))

    assert only(org, "pipeline.stage_multiple_owners").stage == "tooling"


def test_it_flags_a_required_stage_owned_by_a_team_with_a_single_active_member():
    design = sound_design()
    design.members[TeamKind.MODELING].active = False  # Max left; Mona remains

    finding = only(design.org, "pipeline.single_person_stage")

    assert finding.severity == "warning"
    assert finding.subject == pipeline_ref(design.pipeline)
    assert finding.stage == "modeling"
    assert finding.related == (team_ref(design.teams[TeamKind.MODELING]),)
    assert "modeling" in finding.message and "single active member" in finding.message


def test_an_owner_team_with_no_active_member_does_not_own_the_stage():
    design = sound_design()
    design.members[TeamKind.DATA_OPS].active = False
    design.leads[TeamKind.DATA_OPS].active = False

    finding = only(design.org, "pipeline.stage_unowned")

    assert finding.stage == "data"
    assert finding.severity == "error"
    assert finding.related == (Ref("team", design.teams[TeamKind.DATA_OPS].id, "Data Ops"),)
    assert finding.message == (
        "No team owns the data stage of News Feed ranking: its owner Data Ops has no active "
        "member."
    )
    assert flags(design.org, "pipeline.single_person_stage") == []


def test_it_does_not_flag_an_owner_team_with_two_active_members():
    assert flags(sound_design().org, "pipeline.single_person_stage") == []


def test_it_does_not_flag_a_one_person_owner_of_a_stage_that_is_not_required():
    design = sound_design()
    tools = design.org.team("Tools", kind=TeamKind.TOOLING, lead=design.head)
    design.org.member(design.head, tools)
    design.org.engage(design.pipeline, tools)

    assert flags(design.org, "pipeline.single_person_stage") == []


def test_it_does_not_flag_a_one_person_team_that_only_contributes_to_a_stage():
    design = sound_design()
    helper = design.org.team("Applied Modeling", kind=TeamKind.MODELING, lead=design.head)
    design.org.member(design.head, helper)
    design.org.engage(design.pipeline, helper, EngagementRole.CONTRIBUTOR)

    assert flags(design.org, "pipeline.single_person_stage") == []


# Teams -----------------------------------------------------------------------------------------


def test_it_flags_a_team_without_lead():
    design = sound_design()
    team = design.teams[TeamKind.MODELING]
    team.lead_id = None

    finding = only(design.org, "team.no_lead")

    assert finding.severity == "error"
    assert finding.subject == team_ref(team)
    assert "Modeling" in finding.message


def test_it_does_not_flag_a_team_with_a_lead():
    assert flags(sound_design().org, "team.no_lead") == []


def test_it_flags_a_team_whose_lead_has_left():
    design = sound_design()
    mona = design.leads[TeamKind.MODELING]
    mona.active = False

    finding = only(design.org, "team.lead_inactive")

    assert finding.severity == "error"
    assert finding.subject == team_ref(design.teams[TeamKind.MODELING])
    assert finding.related == (person_ref(mona),)
    assert "Mona" in finding.message


def test_a_team_without_lead_is_not_also_flagged_for_an_inactive_lead():
    design = sound_design()
    design.teams[TeamKind.MODELING].lead_id = None

    assert flags(design.org, "team.lead_inactive") == []


def test_it_flags_a_team_without_members():
    org = OrgBuilder()
    team = org.team("Tools", kind=TeamKind.TOOLING)

    finding = only(org, "team.empty")

    assert finding.severity == "warning"
    assert finding.subject == team_ref(team)


def test_it_flags_a_team_whose_members_have_all_left():
    design = sound_design()
    design.leads[TeamKind.MODELING].active = False
    design.members[TeamKind.MODELING].active = False

    assert only(design.org, "team.empty").subject == team_ref(design.teams[TeamKind.MODELING])


def test_a_lead_who_is_not_a_member_does_not_keep_a_team_from_being_empty():
    design = sound_design()
    team = design.org.team("Tools", kind=TeamKind.TOOLING, lead=design.head)

    assert only(design.org, "team.empty").subject == team_ref(team)


def test_it_does_not_flag_a_team_with_one_active_member():
    design = sound_design()
    design.members[TeamKind.MODELING].active = False

    assert flags(design.org, "team.empty") == []


@pytest.mark.parametrize("kind", SPECIALISED)
def test_it_flags_a_specialised_team_in_the_ml_org_engaged_in_no_pipeline(kind):
    design = sound_design()
    team = design.org.team("Spare", kind=kind, lead=design.head)
    design.org.member(design.head, team)

    finding = only(design.org, "team.idle")

    assert finding.severity == "info"
    assert finding.subject == team_ref(team)
    assert "Spare" in finding.message


@pytest.mark.parametrize("role", list(EngagementRole))
def test_it_does_not_flag_a_specialised_team_engaged_in_any_role(role):
    design = sound_design()
    design.org.engagements[0].role = role

    assert flags(design.org, "team.idle") == []


@pytest.mark.parametrize("kind", [TeamKind.PRODUCT_SQUAD, TeamKind.OTHER])
def test_it_does_not_flag_an_unengaged_team_that_is_not_specialised(kind):
    design = sound_design()
    team = design.org.team("Spare", kind=kind, lead=design.head)
    design.org.member(design.head, team)

    assert flags(design.org, "team.idle") == []


def test_it_does_not_flag_an_unengaged_specialised_team_outside_the_ml_org():
    design = sound_design()
    vp = design.org.person("Otto", manager=design.ceo)
    design.org.member(vp, design.org.team("Company Infra", kind=TeamKind.INFRASTRUCTURE, lead=vp))

    assert flags(design.org, "team.idle") == []


@pytest.mark.parametrize("lead", ["missing", "left"])
def test_it_does_not_flag_an_unengaged_team_that_is_neither_in_nor_out_of_the_ml_org(lead):
    design = sound_design()
    gone = design.org.person("Gone", manager=design.head, active=False)
    design.org.team("Spare", kind=TeamKind.TOOLING, lead=gone if lead == "left" else None)

    assert flags(design.org, "team.idle") == []


def test_it_does_not_flag_idle_teams_without_an_ml_head():
    design = sound_design()
    design.org.team("Spare", kind=TeamKind.TOOLING, lead=design.head)
    design.org.set_ml_head(None)

    assert flags(design.org, "team.idle") == []


def test_it_flags_an_engaged_team_measured_on_output_volume():
    design = sound_design()
    team = design.teams[TeamKind.DATA_OPS]
    team.kpi, team.kpi_type = "labels produced per week", KpiType.OUTPUT_VOLUME

    finding = only(design.org, "team.kpi_output_volume")

    assert finding.severity == "warning"
    assert finding.subject == team_ref(team)
    assert "labels produced per week" in finding.message


def test_it_does_not_flag_an_unengaged_team_measured_on_output_volume():
    design = sound_design()
    design.org.team("Labels", kind=TeamKind.OTHER, kpi_type=KpiType.OUTPUT_VOLUME)

    assert flags(design.org, "team.kpi_output_volume") == []


@pytest.mark.parametrize("kpi_type", [KpiType.MODEL_OUTCOME, KpiType.OTHER, ""])
def test_it_does_not_flag_an_engaged_team_measured_otherwise(kpi_type):
    design = sound_design()
    design.teams[TeamKind.DATA_OPS].kpi_type = kpi_type

    assert flags(design.org, "team.kpi_output_volume") == []


# dependency.outside_ml_org ---------------------------------------------------------------------


def outside_infra(design: Design, *, lead_manager: Person | None = None) -> tuple[Team, Person]:
    """A company infrastructure team led by Iris; by default Iris > Otto (VP) > Cleo (CEO)."""
    org = design.org
    if lead_manager is None:
        lead_manager = org.person("Otto", role=Role.EXECUTIVE, manager=design.ceo)
    iris = org.person("Iris", role=Role.ENGINEERING_MANAGER, manager=lead_manager)
    infra = org.team("Company Infra", kind=TeamKind.INFRASTRUCTURE, lead=iris)
    org.member(iris, infra)
    return infra, iris


def test_it_flags_a_specialised_team_outside_the_ml_org_that_pipelines_depend_on():
    design = sound_design()
    infra, _ = outside_infra(design)
    search = design.org.pipeline("Search", pm=design.pm)
    design.org.pipeline("Churn", pm=design.pm)  # does not engage the team
    design.org.engage(search, infra, EngagementRole.CONTRIBUTOR)
    design.org.engage(design.pipeline, infra, EngagementRole.SERVICE)

    finding = only(design.org, "dependency.outside_ml_org")

    assert finding.severity == "error"
    assert finding.subject == team_ref(infra)
    assert finding.related == (pipeline_ref(design.pipeline), pipeline_ref(search))
    assert "Iris" in finding.message  # the team's lead
    assert "Otto" in finding.message  # the head of the org it sits in instead


def test_a_dependency_of_one_pipeline_reads_in_the_singular():
    design = sound_design()
    infra, _ = outside_infra(design)
    design.org.engage(design.pipeline, infra, EngagementRole.SERVICE)

    message = only(design.org, "dependency.outside_ml_org").message

    assert message == (
        "1 pipeline depends on Company Infra, led by Iris, who reports into Otto's "
        "organisation instead of the ML org."
    )


def test_the_head_of_the_outside_org_is_found_through_people_who_left():
    design = sound_design()
    otto = design.org.person("Otto", role=Role.EXECUTIVE, manager=design.ceo)
    gone = design.org.person("Gone", manager=otto, active=False)
    infra, _ = outside_infra(design, lead_manager=gone)
    design.org.engage(design.pipeline, infra, EngagementRole.SERVICE)

    message = only(design.org, "dependency.outside_ml_org").message

    assert "Otto" in message
    assert "Gone" not in message


def test_a_lead_whose_chain_stops_short_of_the_top_is_a_gap_in_the_data_not_a_dependency():
    design = sound_design()
    otto = design.org.person("Otto", role=Role.EXECUTIVE)  # no manager, not the top
    infra, _ = outside_infra(design, lead_manager=design.org.person("Olaf", manager=otto))
    design.org.engage(design.pipeline, infra, EngagementRole.SERVICE)

    assert flags(design.org, "dependency.outside_ml_org") == []
    gap = only(design.org, "person.no_manager")
    assert gap.subject == person_ref(otto)
    assert gap.related == (team_ref(infra),)
    assert "Company Infra" in gap.message


def test_a_lead_reporting_to_someone_on_the_ml_heads_chain_heads_the_outside_org():
    design = sound_design()
    infra, _ = outside_infra(design, lead_manager=design.ceo)
    design.org.engage(design.pipeline, infra, EngagementRole.SERVICE)

    message = only(design.org, "dependency.outside_ml_org").message

    assert message == (
        "1 pipeline depends on Company Infra, led by Iris, who reports to Cleo outside the ML "
        "org."
    )


def test_it_does_not_flag_a_specialised_team_in_the_ml_org():
    assert flags(sound_design().org, "dependency.outside_ml_org") == []


def test_it_does_not_flag_a_team_whose_lead_reaches_the_ml_head_through_someone_who_left():
    design = sound_design()
    gone = design.org.person("Gone", manager=design.head, active=False)
    infra, _ = outside_infra(design, lead_manager=gone)
    design.org.engage(design.pipeline, infra, EngagementRole.SERVICE)

    assert flags(design.org, "dependency.outside_ml_org") == []


@pytest.mark.parametrize("kind", [TeamKind.PRODUCT_SQUAD, TeamKind.OTHER])
def test_it_does_not_flag_a_team_outside_the_ml_org_that_is_not_specialised(kind):
    design = sound_design()
    team, _ = outside_infra(design)
    team.kind = kind
    design.org.engage(design.pipeline, team, EngagementRole.CONTRIBUTOR)

    assert flags(design.org, "dependency.outside_ml_org") == []


def test_it_does_not_flag_a_specialised_team_outside_the_ml_org_that_no_pipeline_engages():
    design = sound_design()
    outside_infra(design)

    assert flags(design.org, "dependency.outside_ml_org") == []


def test_it_does_not_flag_a_dependency_whose_lead_has_left():
    # A team without an active lead is neither in nor out: team.lead_inactive says why.
    design = sound_design()
    infra, iris = outside_infra(design)
    iris.active = False
    design.org.engage(design.pipeline, infra, EngagementRole.SERVICE)

    assert flags(design.org, "dependency.outside_ml_org") == []
    assert only(design.org, "team.lead_inactive").subject == team_ref(infra)


def test_it_does_not_flag_a_dependency_without_lead():
    design = sound_design()
    infra, _ = outside_infra(design)
    infra.lead_id = None
    design.org.engage(design.pipeline, infra, EngagementRole.SERVICE)

    assert flags(design.org, "dependency.outside_ml_org") == []


# People ----------------------------------------------------------------------------------------


def test_it_flags_an_active_person_whose_manager_has_left():
    design = sound_design()
    mona = design.leads[TeamKind.MODELING]
    max_ = design.members[TeamKind.MODELING]
    max_.manager_id = mona.id
    mona.active = False

    finding = only(design.org, "person.manager_inactive")

    assert finding.severity == "error"
    assert finding.subject == person_ref(max_)
    assert finding.related == (person_ref(mona),)
    assert "Mona" in finding.message


def test_it_flags_a_manager_who_left_outside_the_ml_org_too():
    design = sound_design()
    gone = design.org.person("Gone", manager=design.ceo, active=False)
    sales = design.org.person("Sal", manager=gone)

    assert only(design.org, "person.manager_inactive").subject == person_ref(sales)


def test_it_does_not_flag_someone_who_left_for_a_manager_who_left():
    design = sound_design()
    gone = design.org.person("Gone", manager=design.head, active=False)
    design.org.person("Also gone", manager=gone, active=False)

    assert flags(design.org, "person.manager_inactive") == []


def test_it_does_not_flag_people_whose_manager_is_active():
    assert flags(sound_design().org, "person.manager_inactive") == []


def test_it_flags_someone_without_manager_who_is_not_the_top_of_the_organisation():
    org = OrgBuilder()  # no ML head: the top is the root with the most people under it
    ada = org.person("Ada", role=Role.EXECUTIVE)
    org.person("Bob", manager=ada)
    org.person("Cy", manager=ada)
    zed = org.person("Zed")
    org.pipeline("Spam filter", pm=zed, required_stages=[])  # Zed works for the ML org

    finding = only(org, "person.no_manager")

    assert finding.severity == "warning"
    assert finding.subject == person_ref(zed)


def test_the_top_of_the_organisation_counts_only_active_people_beneath_it():
    # An HR system keeps everyone who ever left: a tree of leavers is not the company.
    org = OrgBuilder()
    ada = org.person("Ada")
    org.person("Bob", manager=ada)
    org.person("Bea", manager=ada)
    zed = org.person("Zed")
    gone = org.person("Gone", manager=zed, active=False)
    org.person("Went", manager=gone, active=False)
    org.person("Cy", manager=gone)
    for pm in (ada, zed):  # both work for the ML org: they own pipelines
        org.pipeline(f"Pipeline of {pm.name}", pm=pm, required_stages=[])

    # Zed's tree holds four people but two active (Zed, Cy); Ada's three, all active.
    assert OrgIndex(org.data()).top_of_organisation == ada.id
    assert only(org, "person.no_manager").subject == person_ref(zed)


def test_it_does_not_flag_someone_without_manager_who_has_left():
    org = OrgBuilder()
    ada = org.person("Ada")
    org.person("Bob", manager=ada)
    org.person("Zed", active=False)

    assert flags(org, "person.no_manager") == []


def test_with_an_ml_head_it_looks_only_at_people_outside_the_ml_org_who_work_in_it():
    # Nobody without a manager has the ML head on their chain, so the ML org's people without
    # a manager are those who work in it: members of its teams and pipelines' PMs.
    design = sound_design()
    design.org.person("Zed", role=Role.SOFTWARE_ENGINEER)  # no part in the ML org
    assert flags(design.org, "person.no_manager") == []

    mo = design.org.person("Mo", role=Role.ML_ENGINEER)
    design.org.member(mo, design.teams[TeamKind.MODELING], 50)
    assert only(design.org, "person.no_manager").subject == person_ref(mo)


def test_with_an_ml_head_it_flags_a_pipeline_pm_without_manager():
    design = sound_design()
    pam = design.org.person("Pam", role=Role.PRODUCT_MANAGER)
    design.pipeline.pm_owner_id = pam.id
    assert only(design.org, "person.no_manager").subject == person_ref(pam)


def test_with_an_ml_head_who_has_no_manager_the_head_is_the_top():
    design = sound_design()
    design.head.manager_id = None
    assert flags(design.org, "person.no_manager") == []


def test_it_flags_someone_allocated_over_a_hundred_percent():
    design = sound_design()
    max_ = design.members[TeamKind.MODELING]
    design.org.member(max_, design.teams[TeamKind.DEPLOYMENT], 50)  # on top of 100

    finding = only(design.org, "person.over_allocated")

    assert finding.severity == "warning"
    assert finding.subject == person_ref(max_)
    assert finding.related == (
        team_ref(design.teams[TeamKind.MODELING]),
        team_ref(design.teams[TeamKind.DEPLOYMENT]),
    )
    assert "150%" in finding.message


def test_it_does_not_flag_someone_allocated_exactly_a_hundred_percent():
    org = OrgBuilder()
    ada = org.person("Ada")
    org.member(ada, org.team("A"), 60)
    org.member(ada, org.team("B"), 40)

    assert flags(org, "person.over_allocated") == []


def test_it_flags_over_allocation_outside_the_ml_org():
    design = sound_design()
    sal = design.org.person("Sal", manager=design.ceo)
    design.org.member(sal, design.org.team("Sales"), 80)
    design.org.member(sal, design.org.team("Marketing"), 80)

    assert only(design.org, "person.over_allocated").subject == person_ref(sal)


def test_it_does_not_flag_the_over_allocation_of_someone_who_left():
    design = sound_design()
    max_ = design.members[TeamKind.MODELING]
    design.org.member(max_, design.teams[TeamKind.DEPLOYMENT], 50)
    max_.active = False

    assert flags(design.org, "person.over_allocated") == []


def test_it_flags_someone_in_the_ml_org_who_is_part_of_no_work():
    design = sound_design()
    ida = design.org.person("Ida", manager=design.head)

    finding = only(design.org, "person.unallocated")

    assert finding.severity == "info"
    assert finding.subject == person_ref(ida)
    assert "Ida" in finding.message


def test_it_does_not_flag_a_team_member_as_unallocated():
    design = sound_design()
    ida = design.org.person("Ida", manager=design.head)
    design.org.member(ida, design.teams[TeamKind.MODELING], 10)

    assert flags(design.org, "person.unallocated") == []


def test_it_does_not_flag_a_team_lead_who_is_no_member_as_unallocated():
    # The sound design's leads are also members, so the team gets a lead who is not.
    design = sound_design()
    ida = design.org.person("Ida", manager=design.head)
    design.teams[TeamKind.MODELING].lead_id = ida.id

    assert flags(design.org, "person.unallocated") == []


def test_it_does_not_flag_a_pipeline_owner_as_unallocated():
    design = sound_design()
    design.org.pipeline("Ads ranking", pm=design.org.person("Ida", manager=design.head))

    assert flags(design.org, "person.unallocated") == []


def test_it_does_not_flag_a_manager_as_unallocated():
    design = sound_design()
    ida = design.org.person("Ida", manager=design.head)
    design.members[TeamKind.MODELING].manager_id = ida.id

    assert flags(design.org, "person.unallocated") == []


def test_it_does_not_flag_someone_outside_the_ml_org_as_unallocated():
    design = sound_design()
    design.org.person("Sal", manager=design.ceo)

    assert flags(design.org, "person.unallocated") == []


def test_it_does_not_flag_someone_who_left_as_unallocated():
    design = sound_design()
    design.org.person("Ida", manager=design.head, active=False)

    assert flags(design.org, "person.unallocated") == []


def test_the_ml_head_can_be_unallocated_too():
    org = OrgBuilder()
    hana = org.person("Hana", role=Role.SCIENCE_MANAGER)
    org.set_ml_head(hana)

    assert only(org, "person.unallocated").subject == person_ref(hana)


# Managers and layers ---------------------------------------------------------------------------


def manager_with_reports(org: OrgBuilder, boss: Person, active: int, left: int = 0) -> Person:
    manager = org.person("Mia", role=Role.ENGINEERING_MANAGER, manager=boss)
    for number in range(active):
        org.person(f"Report {number}", manager=manager)
    for number in range(left):
        org.person(f"Former {number}", manager=manager, active=False)
    return manager


def test_it_flags_a_manager_with_more_direct_reports_than_the_default_span():
    design = sound_design()
    mia = manager_with_reports(design.org, design.head, 11)

    finding = only(design.org, "manager.span_wide")

    assert finding.severity == "warning"
    assert finding.subject == person_ref(mia)
    assert "11" in finding.message and "10" in finding.message


def test_it_does_not_flag_a_manager_with_exactly_the_default_span():
    design = sound_design()
    manager_with_reports(design.org, design.head, 10, left=3)

    assert flags(design.org, "manager.span_wide") == []


def test_the_span_limit_is_the_organisations_setting():
    org = OrgBuilder(span_max=3)
    hana = org.person("Hana", role=Role.EXECUTIVE)
    org.set_ml_head(hana)
    mia = manager_with_reports(org, hana, 4)
    manager_with_reports(org, hana, 3)

    finding = only(org, "manager.span_wide")

    assert finding.subject == person_ref(mia)
    assert "limit of 3" in finding.message


def test_it_does_not_flag_a_wide_span_outside_the_ml_org():
    design = sound_design()
    manager_with_reports(design.org, design.ceo, 11)

    assert flags(design.org, "manager.span_wide") == []


def test_it_flags_a_manager_of_exactly_one_active_person():
    design = sound_design()
    mia = manager_with_reports(design.org, design.head, 1, left=2)

    finding = only(design.org, "manager.span_narrow")

    assert finding.severity == "info"
    assert finding.subject == person_ref(mia)


@pytest.mark.parametrize("reports", [0, 2])
def test_it_does_not_flag_a_manager_of_other_than_one_person(reports):
    design = sound_design()
    manager_with_reports(design.org, design.head, reports, left=1)

    assert flags(design.org, "manager.span_narrow") == []


def test_it_does_not_flag_a_narrow_span_outside_the_ml_org():
    # Cleo, the CEO, manages only Hana in the sound design.
    assert flags(sound_design().org, "manager.span_narrow") == []


def test_it_does_not_flag_the_span_of_a_manager_who_left():
    design = sound_design()
    manager_with_reports(design.org, design.head, 1).active = False

    assert flags(design.org, "manager.span_narrow") == []


def chain_below(org: OrgBuilder, top: Person, length: int) -> list[Person]:
    """`length` people, each reporting to the previous one, the first to `top`."""
    chain, boss = [], top
    for number in range(1, length + 1):
        boss = org.person(f"Layer {number}", manager=boss)
        chain.append(boss)
    return chain


def too_deep(org: OrgBuilder) -> list[str]:
    return [finding.subject.name for finding in flags(org, "reporting.too_deep")]


def test_it_flags_someone_more_than_the_default_six_layers_below_the_ml_head():
    design = sound_design()
    chain = chain_below(design.org, design.head, 7)

    finding = only(design.org, "reporting.too_deep")

    assert finding.severity == "warning"
    assert finding.subject == person_ref(chain[6])
    assert "7 layers" in finding.message and "Hana" in finding.message


def test_the_ml_heads_direct_reports_are_one_step_below_it():
    org = OrgBuilder(layers_max=1)
    hana = org.person("Hana", role=Role.EXECUTIVE)
    org.set_ml_head(hana)
    chain_below(org, hana, 2)

    assert too_deep(org) == ["Layer 2"]


def test_the_layer_limit_is_the_organisations_setting():
    design = sound_design(layers_max=3)
    chain_below(design.org, design.head, 5)

    assert too_deep(design.org) == ["Layer 4", "Layer 5"]


def test_layers_count_people_who_left():
    design = sound_design(layers_max=2)
    chain = chain_below(design.org, design.head, 3)
    chain[0].active = False

    assert too_deep(design.org) == ["Layer 3"]


def test_it_does_not_flag_a_deep_chain_outside_the_ml_org():
    design = sound_design(layers_max=2)
    chain_below(design.org, design.ceo, 5)

    assert too_deep(design.org) == []


def test_it_does_not_flag_a_deep_person_who_left():
    design = sound_design(layers_max=2)
    chain_below(design.org, design.head, 3)[2].active = False

    assert too_deep(design.org) == []


# Scientists ------------------------------------------------------------------------------------


def test_it_flags_a_scientist_managed_by_someone_who_is_no_science_manager():
    design = sound_design()
    max_ = design.members[TeamKind.MODELING]
    mona = design.leads[TeamKind.MODELING]
    max_.manager_id = mona.id  # a tech lead

    finding = only(design.org, "scientist.no_science_manager")

    assert finding.severity == "warning"
    assert finding.subject == person_ref(max_)
    assert finding.related == (person_ref(mona),)
    assert "Mona" in finding.message


@pytest.mark.parametrize("role", [Role.SCIENCE_MANAGER, Role.EXECUTIVE])
def test_it_does_not_flag_a_scientist_managed_by_a_science_manager_or_executive(role):
    design = sound_design()
    mona = design.leads[TeamKind.MODELING]
    design.members[TeamKind.MODELING].manager_id = mona.id
    mona.role = role

    assert flags(design.org, "scientist.no_science_manager") == []


def test_it_does_not_flag_a_scientist_without_manager():
    org = OrgBuilder()
    org.person("Sue", role=Role.SCIENTIST)

    assert flags(org, "scientist.no_science_manager") == []


def test_it_does_not_flag_an_ml_engineer_managed_by_an_engineering_manager():
    design = sound_design()
    dina = design.members[TeamKind.DEPLOYMENT]
    dina.manager_id = design.leads[TeamKind.DEPLOYMENT].id

    assert flags(design.org, "scientist.no_science_manager") == []


def test_it_flags_a_scientist_outside_the_ml_org_managed_by_someone_else():
    design = sound_design()
    eve = design.org.person("Eve", role=Role.ENGINEERING_MANAGER, manager=design.ceo)
    sue = design.org.person("Sue", role=Role.SCIENTIST, manager=eve)

    assert only(design.org, "scientist.no_science_manager").subject == person_ref(sue)


def test_it_flags_a_scientist_whose_manager_has_left_and_is_no_science_manager():
    design = sound_design()
    eve = design.org.person("Eve", role=Role.ENGINEERING_MANAGER, manager=design.head)
    eve.active = False
    design.members[TeamKind.MODELING].manager_id = eve.id

    assert only(design.org, "scientist.no_science_manager").related == (person_ref(eve),)


def test_it_does_not_flag_a_scientist_who_left():
    design = sound_design()
    max_ = design.members[TeamKind.MODELING]
    max_.manager_id = design.leads[TeamKind.MODELING].id
    max_.active = False

    assert flags(design.org, "scientist.no_science_manager") == []


def squad_with(org: OrgBuilder, *roles: str, active: bool = True) -> Team:
    lead = org.person("Sid", role=Role.ENGINEERING_MANAGER)
    squad = org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD, lead=lead)
    org.member(lead, squad)
    for number, role in enumerate(roles):
        org.member(org.person(f"{str(role)} {number}", role=role, active=active), squad)
    return squad


@pytest.mark.parametrize("role", [Role.SCIENTIST, Role.ML_ENGINEER])
def test_it_flags_the_only_ml_person_of_a_product_squad(role):
    org = OrgBuilder()
    squad = squad_with(org, role, Role.SOFTWARE_ENGINEER, Role.PRODUCT_MANAGER)

    finding = only(org, "scientist.isolated")

    assert finding.severity == "info"
    assert finding.subject == person_ref(org.people[1])
    assert finding.related == (team_ref(squad),)
    assert "Feed squad" in finding.message


def test_it_does_not_flag_a_squad_with_two_ml_people():
    org = OrgBuilder()
    squad_with(org, Role.SCIENTIST, Role.ML_ENGINEER)

    assert flags(org, "scientist.isolated") == []


def test_it_does_not_flag_a_squad_without_ml_people():
    org = OrgBuilder()
    squad_with(org, Role.SOFTWARE_ENGINEER, Role.DATA_ENGINEER)

    assert flags(org, "scientist.isolated") == []


def test_a_scientist_whose_ml_peer_left_is_isolated():
    org = OrgBuilder()
    squad = squad_with(org, Role.SCIENTIST, Role.SCIENTIST)
    org.people[2].active = False

    finding = only(org, "scientist.isolated")

    assert finding.subject == person_ref(org.people[1])
    assert finding.related == (team_ref(squad),)


def test_it_does_not_flag_a_lone_scientist_who_left():
    org = OrgBuilder()
    squad_with(org, Role.SCIENTIST, active=False)

    assert flags(org, "scientist.isolated") == []


def test_it_does_not_flag_the_only_scientist_of_a_specialised_team():
    # Max is the only scientist of the sound design's Modeling team.
    assert flags(sound_design().org, "scientist.isolated") == []


def test_it_flags_an_isolated_scientist_outside_the_ml_org():
    design = sound_design()
    squad = squad_with(design.org, Role.SCIENTIST)

    assert only(design.org, "scientist.isolated").related == (team_ref(squad),)


# OrgIndex: who is in the ML org ----------------------------------------------------------------


def test_the_ml_head_and_everyone_below_are_in_the_ml_org():
    design = sound_design()
    index = OrgIndex(design.org.data())

    assert index.in_ml_org(design.head.id) is True
    assert index.in_ml_org(design.members[TeamKind.MODELING].id) is True
    assert index.in_ml_org(design.ceo.id) is False


def test_the_ml_org_reaches_through_people_who_left():
    design = sound_design()
    gone = design.org.person("Gone", manager=design.head, active=False)
    ada = design.org.person("Ada", manager=gone)
    index = OrgIndex(design.org.data())

    assert index.in_ml_org(gone.id) is True
    assert index.in_ml_org(ada.id) is True


@pytest.mark.parametrize("how", ["unset", "left"])
def test_nobody_is_in_or_out_of_the_ml_org_without_an_active_ml_head(how):
    design = sound_design()
    if how == "unset":
        design.org.set_ml_head(None)
    else:
        design.head.active = False
    index = OrgIndex(design.org.data())

    assert index.ml_head is None
    assert index.in_ml_org(design.pm.id) is None
    assert index.team_in_ml_org(design.teams[TeamKind.MODELING]) is None


def test_a_team_is_in_the_ml_org_when_its_active_lead_is():
    design = sound_design()
    infra, _ = outside_infra(design)
    index = OrgIndex(design.org.data())

    assert index.team_in_ml_org(design.teams[TeamKind.MODELING]) is True
    assert index.team_in_ml_org(infra) is False


def test_a_team_whose_lead_left_or_is_missing_is_neither_in_nor_out_of_the_ml_org():
    design = sound_design()
    design.leads[TeamKind.MODELING].active = False
    design.teams[TeamKind.DATA_OPS].lead_id = None
    index = OrgIndex(design.org.data())

    assert index.team_in_ml_org(design.teams[TeamKind.MODELING]) is None
    assert index.team_in_ml_org(design.teams[TeamKind.DATA_OPS]) is None


def test_the_top_of_the_organisation_is_the_root_with_the_most_people_whatever_the_head():
    design = sound_design()
    assert OrgIndex(design.org.data()).top_of_organisation == design.ceo.id
    # A larger tree elsewhere is the company: the CEO of the design's tree is then a break.
    zed = design.org.person("Zed")
    for number in range(20):
        design.org.person(f"Sales {number}", manager=zed)

    assert OrgIndex(design.org.data()).top_of_organisation == zed.id
    design.org.set_ml_head(None)
    assert OrgIndex(design.org.data()).top_of_organisation == zed.id


def test_the_top_of_the_organisation_is_active_and_ties_go_to_the_lower_id():
    org = OrgBuilder()
    ann, bob = org.person("Ann"), org.person("Bob")
    org.person("A1", manager=ann), org.person("B1", manager=bob)
    assert OrgIndex(org.data()).top_of_organisation == ann.id
    ann.active = False
    assert OrgIndex(org.data()).top_of_organisation == bob.id
