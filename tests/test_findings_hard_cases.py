"""The findings engine on the hard cases of docs/design.md sections 1-2: the new codes, the six
defects it fixes, the stronger rules, and severity that follows the business.

Pure like `test_findings.py`: unsaved model instances, no database. Every flag is checked in
full (code, subject, severity, related, the words of its message) next to a close design that
must stay quiet.
"""

import re

import pytest

from orgdesign.analysis.catalogue import CATALOGUE
from orgdesign.analysis.findings import Finding, compute_findings
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.structure import classify_structure
from pipelines.models import EngagementRole, Lifecycle, Pipeline, Tier
from teams.models import KpiType, Person, Role, Team, TeamKind
from tests.builders import OrgBuilder
from tests.designs import (
    CONTRACT_SEVERITIES,
    HEAD_ONLY_CODES,
    Design,
    flags,
    only,
    person_ref,
    pipeline_ref,
    sound_design,
    team_ref,
)


def codes(org: OrgBuilder) -> set[str]:
    return {finding.code for finding in compute_findings(org.data())}


def says_it_fits(text: str) -> bool:
    return re.search(r"\b(fits?|suits?)\b", text, re.IGNORECASE) is not None


def company_infra(design: Design) -> tuple[Person, Person]:
    """Seed 002's company Infrastructure org: Cleo (CEO) > Vic (VP Infrastructure) > Olga."""
    org = design.org
    vic = org.person("Vic", role=Role.EXECUTIVE, manager=design.ceo)
    olga = org.person("Olga", role=Role.SOFTWARE_ENGINEER, manager=vic)
    return vic, olga


def outside_team(design: Design, lead_manager: Person | None) -> tuple[Team, Person]:
    """A specialised infrastructure team led by Iris (reporting to `lead_manager`), with Iris
    as its only member, engaged as a service by the sound design's pipeline."""
    org = design.org
    iris = org.person("Iris", role=Role.ENGINEERING_MANAGER, manager=lead_manager)
    infra = org.team("Company Infra", kind=TeamKind.INFRASTRUCTURE, lead=iris)
    org.member(iris, infra)
    org.engage(design.pipeline, infra, EngagementRole.SERVICE)
    return infra, iris


# pipeline.no_metric ----------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["", "   "])
def test_it_flags_a_production_pipeline_without_a_metric(metric):
    design = sound_design()
    design.pipeline.metric = metric

    finding = only(design.org, "pipeline.no_metric")

    assert finding.severity == "warning"
    assert finding.base_severity == "warning"
    assert finding.subject == pipeline_ref(design.pipeline)
    assert finding.related == ()
    assert finding.stage is None
    assert "News Feed ranking" in finding.message
    assert "production" in finding.message and "metric" in finding.message
    assert codes(design.org) == {"pipeline.no_metric"}


@pytest.mark.parametrize("lifecycle", [Lifecycle.INCUBATING, Lifecycle.SUNSET])
def test_it_does_not_flag_a_pipeline_without_a_metric_that_is_not_in_production(lifecycle):
    design = sound_design()
    design.pipeline.metric = ""
    design.pipeline.lifecycle = lifecycle

    assert compute_findings(design.org.data()) == []


def test_it_does_not_flag_a_production_pipeline_with_a_metric():
    design = sound_design()
    assert design.pipeline.metric

    assert flags(design.org, "pipeline.no_metric") == []


# team.kpi_publications -------------------------------------------------------------------------


def test_it_flags_an_engaged_team_measured_on_publications():
    design = sound_design()
    team = design.teams[TeamKind.MODELING]
    team.kpi, team.kpi_type = "papers at NeurIPS", KpiType.PUBLICATIONS

    finding = only(design.org, "team.kpi_publications")

    assert finding.severity == "warning"
    assert finding.subject == team_ref(team)
    assert finding.related == ()
    assert "Modeling" in finding.message
    assert "publications" in finding.message and "papers at NeurIPS" in finding.message
    assert codes(design.org) == {"team.kpi_publications"}


def test_it_flags_an_engaged_research_team_outside_the_ml_org_measured_on_publications():
    # Seed 002's company Research org: the KPI rule looks at every engaged team.
    design = sound_design()
    vic, olga = company_infra(design)
    research = design.org.team(
        "Research", kind=TeamKind.OTHER, lead=vic, kpi_type=KpiType.PUBLICATIONS
    )
    design.org.member(olga, research)
    design.org.engage(design.pipeline, research, EngagementRole.CONTRIBUTOR)

    assert only(design.org, "team.kpi_publications").subject == team_ref(research)


def test_it_does_not_flag_the_same_team_measured_on_publications_when_it_is_not_engaged():
    design = sound_design()
    team = design.teams[TeamKind.MODELING]
    team.kpi, team.kpi_type = "papers at NeurIPS", KpiType.PUBLICATIONS
    design.org.engagements[:] = [e for e in design.org.engagements if e.team_id != team.id]

    assert flags(design.org, "team.kpi_publications") == []
    assert only(design.org, "team.idle").subject == team_ref(team)


# team.no_kpi -----------------------------------------------------------------------------------


def test_it_flags_an_engaged_specialised_team_in_the_ml_org_without_a_kpi():
    design = sound_design()
    team = design.teams[TeamKind.MODELING]
    team.kpi, team.kpi_type = "", ""

    finding = only(design.org, "team.no_kpi")

    assert finding.severity == "info"
    assert finding.subject == team_ref(team)
    assert finding.related == ()
    assert "Modeling" in finding.message and "KPI" in finding.message
    assert codes(design.org) == {"team.no_kpi"}


def test_it_does_not_flag_a_team_with_a_kpi_text_and_no_kpi_type():
    design = sound_design()
    team = design.teams[TeamKind.MODELING]
    team.kpi, team.kpi_type = "model precision", ""

    assert flags(design.org, "team.no_kpi") == []


def test_it_does_not_flag_a_team_with_a_kpi_type_and_no_kpi_text():
    design = sound_design()
    team = design.teams[TeamKind.MODELING]
    team.kpi, team.kpi_type = "", KpiType.MODEL_OUTCOME

    assert flags(design.org, "team.no_kpi") == []


def test_it_does_not_flag_an_engaged_specialised_team_without_kpi_outside_the_ml_org():
    design = sound_design()
    infra, _ = outside_team(design, design.org.person("Otto", manager=design.ceo))
    assert infra.kpi == "" and infra.kpi_type == ""

    assert flags(design.org, "team.no_kpi") == []
    assert only(design.org, "dependency.outside_ml_org").subject == team_ref(infra)


def test_an_unengaged_specialised_team_without_kpi_is_idle_not_without_kpi():
    design = sound_design()
    team = design.teams[TeamKind.MODELING]
    team.kpi, team.kpi_type = "", ""
    design.org.engagements[:] = [e for e in design.org.engagements if e.team_id != team.id]

    assert flags(design.org, "team.no_kpi") == []
    assert only(design.org, "team.idle").subject == team_ref(team)


def test_it_does_not_flag_an_engaged_product_squad_without_kpi():
    design = sound_design()
    squad = design.org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD, lead=design.head)
    design.org.member(design.head, squad)
    design.org.engage(design.pipeline, squad, EngagementRole.CONTRIBUTOR)

    assert compute_findings(design.org.data()) == []


# team.members_outside_ml_org -------------------------------------------------------------------


def test_it_flags_an_ml_team_staffed_from_a_company_infrastructure_org():
    # Seed 002: ML infrastructure staffed from the company's Infrastructure org.
    design = sound_design()
    team = design.teams[TeamKind.INFRASTRUCTURE]  # Ines 100, Ivan 100, both in the ML org
    _, olga = company_infra(design)
    design.org.member(olga, team, 50)

    finding = only(design.org, "team.members_outside_ml_org")

    assert finding.severity == "warning"
    assert finding.subject == team_ref(team)
    assert finding.related == (person_ref(olga),)
    assert finding.message == (
        "1 of the 3 active members of ML Infra (20% of its FTE) reports into Vic's "
        "organisation instead of the ML org."
    )
    assert codes(design.org) == {"team.members_outside_ml_org"}


def test_the_outside_share_is_truncated_and_the_outside_members_sorted_by_name():
    design = sound_design()
    team = design.teams[TeamKind.INFRASTRUCTURE]
    vic, _ = company_infra(design)
    zoe = design.org.person("Zoe", role=Role.SOFTWARE_ENGINEER, manager=vic)
    abe = design.org.person("Abe", role=Role.SOFTWARE_ENGINEER, manager=vic)
    design.org.member(zoe, team, 100)
    design.org.member(abe, team, 50)

    finding = only(design.org, "team.members_outside_ml_org")

    # 150 of 350 FTE is 42.86%: truncated to 42, never rounded to 43.
    assert "2 of the 4 active members" in finding.message
    assert "42%" in finding.message and "43%" not in finding.message
    assert "Vic" in finding.message
    assert finding.related == (person_ref(abe), person_ref(zoe))


def test_members_who_left_count_neither_as_outside_nor_in_the_teams_fte():
    design = sound_design()
    team = design.teams[TeamKind.INFRASTRUCTURE]
    vic, olga = company_infra(design)
    design.org.member(olga, team, 50)
    gone_outside = design.org.person("Gus", manager=vic, active=False)
    gone_inside = design.org.person("Gil", manager=design.head, active=False)
    design.org.member(gone_outside, team, 100)
    design.org.member(gone_inside, team, 100)

    finding = only(design.org, "team.members_outside_ml_org")

    assert finding.related == (person_ref(olga),)
    assert "1 of the 3 active members" in finding.message and "20%" in finding.message


def test_a_member_reporting_straight_to_the_ceo_reports_into_the_ceos_org_not_her_own():
    # docs/design.md: the message names "the head of the org they report into". Olga reports to
    # Cleo; she heads no organisation, so naming her own would be wrong.
    design = sound_design()
    team = design.teams[TeamKind.INFRASTRUCTURE]
    olga = design.org.person("Olga", role=Role.SOFTWARE_ENGINEER, manager=design.ceo)
    design.org.member(olga, team, 50)

    finding = only(design.org, "team.members_outside_ml_org")

    assert finding.related == (person_ref(olga),)
    assert "20%" in finding.message
    assert "Cleo" in finding.message
    assert "Olga's organisation" not in finding.message


def test_it_does_not_flag_a_team_whose_members_are_all_in_the_ml_org():
    assert flags(sound_design().org, "team.members_outside_ml_org") == []


def test_it_does_not_flag_a_team_outside_the_ml_org_staffed_from_its_own_org():
    design = sound_design()
    vic, olga = company_infra(design)
    company = design.org.team("Company Infra", kind=TeamKind.INFRASTRUCTURE, lead=vic)
    design.org.member(olga, company)
    design.org.member(vic, company)

    assert flags(design.org, "team.members_outside_ml_org") == []


def test_it_does_not_flag_outside_members_who_have_left():
    design = sound_design()
    _, olga = company_infra(design)
    design.org.member(olga, design.teams[TeamKind.INFRASTRUCTURE], 50)
    olga.active = False

    assert flags(design.org, "team.members_outside_ml_org") == []


def test_a_member_without_manager_is_a_gap_in_hr_data_not_an_outside_member():
    design = sound_design()
    team = design.teams[TeamKind.INFRASTRUCTURE]
    nomad = design.org.person("Nomad", role=Role.SOFTWARE_ENGINEER)
    design.org.member(nomad, team, 50)

    assert flags(design.org, "team.members_outside_ml_org") == []
    assert only(design.org, "person.no_manager").subject == person_ref(nomad)


@pytest.mark.parametrize("how", ["unset", "left"])
def test_it_does_not_flag_outside_members_without_an_active_ml_head(how):
    design = sound_design()
    _, olga = company_infra(design)
    design.org.member(olga, design.teams[TeamKind.INFRASTRUCTURE], 50)
    if how == "unset":
        design.org.set_ml_head(None)
    else:
        design.head.active = False

    assert flags(design.org, "team.members_outside_ml_org") == []
    assert "org.no_ml_head" in codes(design.org)


# Regression 1: a missing manager is a gap in the HR data ---------------------------------------


def test_regression_1_a_lead_without_manager_is_a_gap_in_hr_data_not_an_outside_dependency():
    design = sound_design()
    infra, iris = outside_team(design, lead_manager=None)
    data = design.org.data()

    assert OrgIndex(data).team_in_ml_org(infra) is None
    assert flags(design.org, "dependency.outside_ml_org") == []
    finding = only(design.org, "person.no_manager")
    assert finding.severity == "warning"
    assert finding.subject == person_ref(iris)
    assert finding.related == (team_ref(infra),)
    assert "Iris" in finding.message and "Company Infra" in finding.message
    assert codes(design.org) == {"person.no_manager"}


def test_regression_1_a_lead_whose_chain_stops_short_of_the_top_is_not_an_outside_dependency():
    design = sound_design()
    otto = design.org.person("Otto", role=Role.EXECUTIVE)  # no manager, and not the top
    infra, iris = outside_team(design, lead_manager=otto)

    assert OrgIndex(design.org.data()).team_in_ml_org(infra) is None
    assert flags(design.org, "dependency.outside_ml_org") == []
    finding = only(design.org, "person.no_manager")
    assert finding.subject == person_ref(otto)  # the top of the broken chain, not Iris
    assert finding.related == (team_ref(infra),)
    assert "Otto" in finding.message and "Company Infra" in finding.message
    assert codes(design.org) == {"person.no_manager"}


def test_regression_1_a_lead_whose_chain_reaches_the_top_outside_the_ml_head_is_a_dependency():
    design = sound_design()
    otto = design.org.person("Otto", role=Role.EXECUTIVE, manager=design.ceo)
    infra, _ = outside_team(design, lead_manager=otto)

    assert OrgIndex(design.org.data()).team_in_ml_org(infra) is False
    finding = only(design.org, "dependency.outside_ml_org")
    assert finding.severity == "error"
    assert finding.subject == team_ref(infra)
    assert finding.related == (pipeline_ref(design.pipeline),)
    assert "Iris" in finding.message and "Otto" in finding.message
    assert flags(design.org, "person.no_manager") == []


# Regression 2: a product squad incubating a pipeline can rest on one person -----------------


def squad_incubating(design: Design, members: int) -> tuple[Pipeline, Team]:
    """An incubating pipeline owned by the Mail squad (led by Sid), with `members` active
    members among Sid and Sky, both under the ML head."""
    org = design.org
    pipeline = org.pipeline("Smart reply", pm=design.pm, lifecycle=Lifecycle.INCUBATING)
    sid = org.person("Sid", role=Role.ENGINEERING_MANAGER, manager=design.head)
    sky = org.person("Sky", role=Role.SOFTWARE_ENGINEER, manager=design.head)
    squad = org.team("Mail squad", kind=TeamKind.PRODUCT_SQUAD, lead=sid)
    for person in [sid, sky][:members]:
        org.member(person, squad)
    org.engage(pipeline, squad)
    return pipeline, squad


def test_regression_2_a_product_squad_incubating_a_pipeline_with_one_person_is_flagged_once():
    # One finding for the pipeline, naming its stages, not one a stage (docs/design.md section 2).
    design = sound_design()
    pipeline, squad = squad_incubating(design, 1)

    finding = only(design.org, "pipeline.single_person_stage")

    assert finding.severity == "warning"
    assert finding.subject == pipeline_ref(pipeline)
    assert finding.related == (team_ref(squad),)
    assert finding.stage is None
    assert finding.message == (
        "The data, infrastructure, modeling and deployment stages of Smart reply are owned "
        "by Mail squad, which has a single active member."
    )
    assert flags(design.org, "pipeline.stage_unowned") == []


def test_regression_2_a_product_squad_incubating_a_pipeline_with_nobody_owns_no_stage():
    design = sound_design()
    pipeline, squad = squad_incubating(design, 0)

    found = flags(design.org, "pipeline.stage_unowned")

    assert sorted(f.stage for f in found) == ["data", "deployment", "infrastructure", "modeling"]
    for finding in found:
        assert finding.related == (team_ref(squad),)
        assert "Mail squad has no active member" in finding.message
    assert flags(design.org, "pipeline.single_person_stage") == []


def test_regression_2_a_product_squad_incubating_a_pipeline_with_two_people_is_not_flagged():
    design = sound_design()
    squad_incubating(design, 2)

    assert flags(design.org, "pipeline.single_person_stage") == []
    assert flags(design.org, "pipeline.stage_unowned") == []


def test_regression_2_a_one_person_squad_owning_a_production_pipeline_owns_no_stage():
    design = sound_design()
    pipeline, _ = squad_incubating(design, 1)
    pipeline.lifecycle = Lifecycle.PRODUCTION

    assert flags(design.org, "pipeline.single_person_stage") == []
    assert len(flags(design.org, "pipeline.stage_unowned")) == 4


# Regression 3: a share just under 80% never reads 80% ------------------------------------------


def structure_with(central: int, embedded: int):
    org = OrgBuilder()
    modeling = org.team("Modeling", kind=TeamKind.MODELING)
    squad = org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD)
    for number in range(central + embedded):
        person = org.person(f"Sci {number}", role=Role.SCIENTIST)
        org.member(person, modeling if number < central else squad)
    return classify_structure(org.data())


def test_regression_3_a_central_share_just_under_80_percent_is_hybrid_and_reads_79():
    structure = structure_with(1999, 501)  # 79.96%

    assert structure.label == "hybrid"
    assert structure.people == 2500 and structure.central == 1999
    assert structure.central_percent == 79
    assert structure.central_share == 0.799


def test_regression_3_four_in_five_is_exactly_80_percent_and_centralized():
    structure = structure_with(4, 1)

    assert structure.label == "centralized"
    assert structure.central_percent == 80
    assert structure.central_share == 0.8
    assert structure.embedded_percent == 20


# Regression 4: a fit hint never claims a fit without evidence ----------------------------------


def test_regression_4_the_hint_of_no_structure_gives_seed_000s_advice_to_explore_embedded():
    structure = classify_structure(OrgBuilder().data())

    assert structure.label == "none"
    hint = structure.fit_hint
    assert "000" in hint and "embedded" in hint and "explore" in hint
    assert not says_it_fits(hint)


def test_regression_4_the_hint_of_a_hybrid_names_its_costs_without_claiming_a_fit():
    structure = structure_with(1, 1)

    assert structure.label == "hybrid"
    hint = structure.fit_hint
    assert "afford" in hint and "rotations" in hint
    assert not says_it_fits(hint)


def test_regression_4_a_centralized_structure_with_balanced_lifecycles_claims_no_fit():
    org = OrgBuilder()
    modeling = org.team("Modeling", kind=TeamKind.MODELING)
    org.member(org.person("Sci", role=Role.SCIENTIST), modeling)
    org.pipeline("Feed", lifecycle=Lifecycle.PRODUCTION)
    org.pipeline("Reply", lifecycle=Lifecycle.INCUBATING)

    structure = classify_structure(org.data())

    assert structure.label == "centralized"
    assert structure.fit_hint
    assert not says_it_fits(structure.fit_hint)


# Regression 5: a team led from above the ML org ------------------------------------------------


def test_regression_5_a_team_led_by_the_ceo_is_led_from_above_the_ml_org():
    design = sound_design()
    research = design.org.team("Research", kind=TeamKind.MODELING, lead=design.ceo)
    design.org.member(design.ceo, research)
    design.org.engage(design.pipeline, research, EngagementRole.CONTRIBUTOR)

    finding = only(design.org, "dependency.outside_ml_org")

    assert finding.severity == "error"
    assert finding.subject == team_ref(research)
    assert finding.related == (pipeline_ref(design.pipeline),)
    assert "from above the ML org" in finding.message
    assert "Cleo" in finding.message
    assert "reports outside the ML org" not in finding.message
    assert codes(design.org) == {"dependency.outside_ml_org"}


def test_regression_5_a_team_led_by_the_ml_heads_manager_below_the_ceo_is_led_from_above():
    design = sound_design()
    sven = design.org.person("Sven", role=Role.EXECUTIVE, manager=design.ceo)
    design.head.manager_id = sven.id
    research = design.org.team("Research", kind=TeamKind.MODELING, lead=sven)
    design.org.member(sven, research)
    design.org.engage(design.pipeline, research, EngagementRole.CONTRIBUTOR)

    message = only(design.org, "dependency.outside_ml_org").message

    assert "from above the ML org" in message and "Sven" in message
    assert "reports outside the ML org" not in message


def test_regression_5_a_team_led_by_a_direct_report_of_the_ceo_reports_outside_the_ml_org():
    design = sound_design()
    outside_team(design, lead_manager=design.ceo)

    message = only(design.org, "dependency.outside_ml_org").message

    assert "from above the ML org" not in message
    assert "Iris" in message and "outside the ML org" in message


# Regression 6: scientist.isolated looks at the person's main team ------------------------------


def split_between_modeling_and_squad(design: Design, person: Person, home: int, squad_share: int):
    """Moves `person` from their specialised team (now at `home`%) partly into a squad."""
    membership = next(m for m in design.org.memberships if m.person_id == person.id)
    membership.allocation = home
    squad = design.org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD, lead=design.head)
    design.org.member(person, squad, squad_share)
    return squad


def test_regression_6_a_scientist_whose_main_team_is_central_is_not_isolated_in_a_squad():
    design = sound_design()
    split_between_modeling_and_squad(design, design.members[TeamKind.MODELING], 60, 40)

    assert compute_findings(design.org.data()) == []


def test_regression_6_a_scientist_split_evenly_has_the_central_team_as_main_team():
    design = sound_design()
    split_between_modeling_and_squad(design, design.members[TeamKind.MODELING], 50, 50)

    assert flags(design.org, "scientist.isolated") == []


def test_regression_6_a_scientist_whose_main_team_is_the_squad_is_isolated():
    design = sound_design()
    max_ = design.members[TeamKind.MODELING]
    squad = split_between_modeling_and_squad(design, max_, 40, 60)

    finding = only(design.org, "scientist.isolated")

    assert finding.severity == "info"
    assert finding.subject == person_ref(max_)
    assert finding.related == (team_ref(squad),)
    assert "Max" in finding.message and "Feed squad" in finding.message
    assert codes(design.org) == {"scientist.isolated"}


def test_regression_6_an_ml_engineer_alone_in_a_squad_is_isolated():
    design = sound_design()
    dina = design.members[TeamKind.DEPLOYMENT]
    assert dina.role == Role.ML_ENGINEER
    squad = split_between_modeling_and_squad(design, dina, 40, 60)

    finding = only(design.org, "scientist.isolated")

    assert finding.subject == person_ref(dina)
    assert finding.related == (team_ref(squad),)
    assert "Dina" in finding.message and "Feed squad" in finding.message


def test_regression_6_the_catalogue_entry_of_isolation_names_scientists_and_ml_engineers():
    entry = CATALOGUE["scientist.isolated"]
    for text in (entry.title, entry.why):
        assert "scientist" in text.lower() and "ml engineer" in text.lower()


# scientist.no_science_manager ------------------------------------------------------------------


def test_it_flags_a_scientist_managed_by_an_executive_of_another_org():
    design = sound_design()
    vera = design.org.person("Vera", role=Role.EXECUTIVE, manager=design.ceo)  # VP Product
    sue = design.org.person("Sue", role=Role.SCIENTIST, manager=vera)

    finding = only(design.org, "scientist.no_science_manager")

    assert finding.severity == "warning"
    assert finding.subject == person_ref(sue)
    assert finding.related == (person_ref(vera),)
    assert "Sue" in finding.message and "Vera" in finding.message
    assert "outside the ML org" in finding.message
    assert codes(design.org) == {"scientist.no_science_manager"}


def test_it_does_not_flag_a_scientist_managed_by_an_executive_in_the_ml_org():
    design = sound_design()
    eli = design.org.person("Eli", role=Role.EXECUTIVE, manager=design.head)
    design.org.person("Sue", role=Role.SCIENTIST, manager=eli)

    assert flags(design.org, "scientist.no_science_manager") == []


def test_it_does_not_flag_a_scientist_managed_by_the_ml_head_whatever_the_heads_role():
    design = sound_design()
    design.head.role = Role.ENGINEERING_MANAGER
    assert design.members[TeamKind.MODELING].manager_id == design.head.id  # Max, a scientist

    assert flags(design.org, "scientist.no_science_manager") == []


def test_it_flags_a_scientist_managed_by_an_engineering_manager_who_is_not_the_ml_head():
    design = sound_design()
    mona = design.leads[TeamKind.MODELING]
    mona.role = Role.ENGINEERING_MANAGER
    max_ = design.members[TeamKind.MODELING]
    max_.manager_id = mona.id

    finding = only(design.org, "scientist.no_science_manager")

    assert finding.subject == person_ref(max_)
    assert finding.related == (person_ref(mona),)


# Without an active ML head ---------------------------------------------------------------------


def head_needing_design() -> Design:
    """Raises every check that needs the ML head, inside a company-wide tree whose other
    orgs are wide, narrow and deep."""
    design = sound_design(layers_max=2)
    org, ceo, head = design.org, design.ceo, design.head
    design.pm.manager_id = ceo.id  # pipeline.pm_outside_ml_org
    otto = org.person("Otto", role=Role.EXECUTIVE, manager=ceo)
    infra = org.team("Company Infra", kind=TeamKind.INFRASTRUCTURE, lead=otto)
    org.member(otto, infra)
    org.engage(design.pipeline, infra, EngagementRole.SERVICE)  # dependency.outside_ml_org
    olga = org.person("Olga", role=Role.SOFTWARE_ENGINEER, manager=otto)
    org.member(olga, design.teams[TeamKind.INFRASTRUCTURE], 50)  # team.members_outside_ml_org
    mid = org.person("Mid", manager=design.leads[TeamKind.MODELING])  # manager.span_narrow
    org.member(org.person("Deep", manager=mid), design.teams[TeamKind.MODELING])  # too deep
    org.person("Idle", manager=head)  # person.unallocated
    mia = org.person("Mia", role=Role.ENGINEERING_MANAGER, manager=head)
    for number in range(11):  # manager.span_wide
        report = org.person(f"ML report {number}", manager=mia)
        org.member(report, design.teams[TeamKind.DATA_OPS], 10)
    # The rest of the company: a wide sales org, a manager of one, a deep chain.
    sal = org.person("Sal", role=Role.EXECUTIVE, manager=ceo)
    for number in range(15):
        org.person(f"Sales {number}", manager=sal)
    nate = org.person("Nate", manager=ceo)
    boss = org.person("Nate's report", manager=nate)
    for number in range(6):
        boss = org.person(f"Layer {number}", manager=boss)
    return design


def test_the_checks_that_need_an_ml_head_are_all_computed_with_one_in_the_ml_org_only():
    design = head_needing_design()
    found = compute_findings(design.org.data())
    ml_org = OrgIndex(design.org.data()).ml_steps

    assert {finding.code for finding in found} >= HEAD_ONLY_CODES
    for finding in found:
        if finding.code.startswith(("manager.", "reporting.", "person.unallocated")):
            assert finding.subject.id in ml_org, finding


@pytest.mark.parametrize("how", ["unset", "left"])
def test_without_an_active_ml_head_the_checks_that_need_it_are_not_computed(how):
    design = head_needing_design()
    if how == "unset":
        design.org.set_ml_head(None)
    else:
        design.head.active = False

    found = codes(design.org)

    assert found & HEAD_ONLY_CODES == set()
    assert "org.no_ml_head" in found


# person.no_manager: who is looked at -----------------------------------------------------------


def test_it_does_not_flag_someone_without_manager_who_does_no_work_for_the_ml_org():
    design = sound_design()
    zed = design.org.person("Zed", role=Role.SOFTWARE_ENGINEER)
    sales = design.org.team("Sales tools", kind=TeamKind.OTHER, lead=zed)
    design.org.member(zed, sales)

    assert flags(design.org, "person.no_manager") == []


def test_it_flags_someone_without_manager_at_whom_the_chain_of_an_ml_team_member_stops():
    design = sound_design()
    zed = design.org.person("Zed", role=Role.SOFTWARE_ENGINEER)
    yan = design.org.person("Yan", role=Role.ML_ENGINEER, manager=zed)
    design.org.member(yan, design.teams[TeamKind.MODELING], 50)

    finding = only(design.org, "person.no_manager")

    assert finding.subject == person_ref(zed)
    assert "Zed" in finding.message and "1 person" in finding.message


def test_the_top_of_the_organisation_is_never_flagged_even_as_a_pm_owner():
    design = sound_design()
    design.pipeline.pm_owner_id = design.ceo.id

    assert flags(design.org, "person.no_manager") == []
    assert only(design.org, "pipeline.pm_outside_ml_org").related == (person_ref(design.ceo),)


def test_it_flags_a_pm_owner_without_manager():
    design = sound_design()
    pam = design.org.person("Pam", role=Role.PRODUCT_MANAGER)
    ads = design.org.pipeline("Ads ranking", pm=pam, required_stages=[])

    finding = only(design.org, "person.no_manager")

    assert finding.severity == "warning"
    assert finding.subject == person_ref(pam)
    assert "Pam" in finding.message and ads.name in finding.message
    assert flags(design.org, "pipeline.pm_outside_ml_org") == []


def test_it_flags_a_member_of_an_ml_team_without_manager():
    design = sound_design()
    mo = design.org.person("Mo", role=Role.ML_ENGINEER)
    design.org.member(mo, design.teams[TeamKind.MODELING], 50)

    finding = only(design.org, "person.no_manager")

    assert finding.subject == person_ref(mo)
    assert finding.related == ()
    assert finding.message == "Mo has no manager."


def test_it_flags_the_lead_of_an_unengaged_specialised_team_without_manager():
    design = sound_design()
    lee = design.org.person("Lee", role=Role.TECH_LEAD)
    tools = design.org.team("Tools", kind=TeamKind.TOOLING, lead=lee)

    finding = only(design.org, "person.no_manager")

    assert finding.subject == person_ref(lee)
    assert finding.related == (team_ref(tools),)


def test_it_does_not_flag_the_lead_of_an_unengaged_team_of_no_specialised_kind():
    design = sound_design()
    lee = design.org.person("Lee", role=Role.TECH_LEAD)
    design.org.team("Social club", kind=TeamKind.OTHER, lead=lee)

    assert flags(design.org, "person.no_manager") == []


def test_it_flags_the_lead_of_an_engaged_team_of_no_specialised_kind_without_manager():
    design = sound_design()
    lee = design.org.person("Lee", role=Role.TECH_LEAD)
    squad = design.org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD, lead=lee)
    design.org.member(lee, squad)
    design.org.engage(design.pipeline, squad, EngagementRole.CONTRIBUTOR)

    assert only(design.org, "person.no_manager").subject == person_ref(lee)


# pipeline.pm_outside_ml_org and broken chains --------------------------------------------------


def test_a_pm_whose_chain_is_broken_is_not_flagged_as_outside_the_ml_org():
    design = sound_design()
    otto = design.org.person("Otto", role=Role.EXECUTIVE)  # no manager, not the top
    design.pm.manager_id = otto.id

    assert flags(design.org, "pipeline.pm_outside_ml_org") == []
    finding = only(design.org, "person.no_manager")
    assert finding.subject == person_ref(otto)
    assert "News Feed ranking" in finding.message


def test_a_pm_under_the_ceo_outside_the_ml_head_is_flagged_as_outside_the_ml_org():
    design = sound_design()
    otto = design.org.person("Otto", role=Role.EXECUTIVE, manager=design.ceo)
    design.pm.manager_id = otto.id

    finding = only(design.org, "pipeline.pm_outside_ml_org")

    assert finding.severity == "warning"
    assert finding.subject == pipeline_ref(design.pipeline)
    assert finding.related == (person_ref(design.pm),)
    assert "Paula" in finding.message
    assert flags(design.org, "person.no_manager") == []


# Severity follows the business -----------------------------------------------------------------


def break_pm_role(design: Design) -> None:
    design.pm.role = Role.SCIENTIST


def move_pm_outside(design: Design) -> None:
    design.pm.manager_id = design.ceo.id


def add_second_modeling_owner(design: Design) -> None:
    second = design.org.team("Applied Modeling", kind=TeamKind.MODELING, lead=design.head)
    for name in ("Ada", "Abe"):
        scientist = design.org.person(name, role=Role.SCIENTIST, manager=design.head)
        design.org.member(scientist, second)
    design.org.engage(design.pipeline, second)


def leave_one_person_on_modeling(design: Design) -> None:
    design.members[TeamKind.MODELING].active = False


def clear_metric(design: Design) -> None:
    design.pipeline.metric = ""


PIPELINE_WARNINGS = {
    "pipeline.pm_not_product_manager": break_pm_role,
    "pipeline.pm_outside_ml_org": move_pm_outside,
    "pipeline.stage_multiple_owners": add_second_modeling_owner,
    "pipeline.single_person_stage": leave_one_person_on_modeling,
    "pipeline.no_metric": clear_metric,
}


@pytest.mark.parametrize("code", sorted(PIPELINE_WARNINGS))
def test_a_pipeline_warning_about_a_critical_pipeline_is_raised_to_an_error(code):
    design = sound_design()
    design.pipeline.tier = Tier.CRITICAL
    PIPELINE_WARNINGS[code](design)

    finding = only(design.org, code)

    assert finding.severity == "error"
    assert finding.base_severity == "warning"
    assert finding.subject == pipeline_ref(design.pipeline)


@pytest.mark.parametrize("tier", [Tier.HIGH, Tier.NORMAL])
@pytest.mark.parametrize("code", sorted(PIPELINE_WARNINGS))
def test_a_pipeline_warning_about_a_pipeline_that_is_not_critical_stays_a_warning(code, tier):
    design = sound_design()
    design.pipeline.tier = tier
    PIPELINE_WARNINGS[code](design)

    finding = only(design.org, code)

    assert finding.severity == "warning"
    assert finding.base_severity == "warning"


def unown_modeling(design: Design, lifecycle: str, tier: str) -> Finding:
    design.pipeline.lifecycle = lifecycle
    design.pipeline.tier = tier
    modeling = design.teams[TeamKind.MODELING]
    design.org.engagements[:] = [e for e in design.org.engagements if e.team_id != modeling.id]
    finding = only(design.org, "pipeline.stage_unowned")
    assert finding.stage == "modeling"
    assert finding.base_severity == "error"
    return finding


@pytest.mark.parametrize("tier", [Tier.NORMAL, Tier.CRITICAL])
def test_an_unowned_stage_of_a_sunset_pipeline_is_lowered_to_a_warning(tier):
    # The critical rule raises base warnings only: a sunset critical pipeline stays lowered.
    assert unown_modeling(sound_design(), Lifecycle.SUNSET, tier).severity == "warning"


@pytest.mark.parametrize("lifecycle", [Lifecycle.PRODUCTION, Lifecycle.INCUBATING])
@pytest.mark.parametrize("tier", [Tier.NORMAL, Tier.CRITICAL])
def test_an_unowned_stage_of_a_pipeline_that_is_not_sunset_stays_an_error(lifecycle, tier):
    assert unown_modeling(sound_design(), lifecycle, tier).severity == "error"


def empty_modeling(design: Design) -> Team:
    design.leads[TeamKind.MODELING].active = False
    design.members[TeamKind.MODELING].active = False
    return design.teams[TeamKind.MODELING]


def measure_data_ops_on_volume(design: Design) -> Team:
    team = design.teams[TeamKind.DATA_OPS]
    team.kpi_type = KpiType.OUTPUT_VOLUME
    return team


def measure_modeling_on_papers(design: Design) -> Team:
    team = design.teams[TeamKind.MODELING]
    team.kpi_type = KpiType.PUBLICATIONS
    return team


@pytest.mark.parametrize(
    ("code", "breaks"),
    [
        ("team.empty", empty_modeling),
        ("team.kpi_output_volume", measure_data_ops_on_volume),
        ("team.kpi_publications", measure_modeling_on_papers),
    ],
)
def test_a_team_warning_is_raised_for_a_team_engaged_in_a_critical_pipeline(code, breaks):
    # docs/design.md section 2: the severity rules cover team findings about teams engaged in
    # pipelines.
    design = sound_design()
    design.pipeline.tier = Tier.CRITICAL
    team = breaks(design)

    finding = only(design.org, code)

    assert finding.subject == team_ref(team)
    assert (finding.severity, finding.base_severity) == ("error", "warning")


@pytest.mark.parametrize(
    ("code", "breaks"),
    [
        ("team.empty", empty_modeling),
        ("team.kpi_output_volume", measure_data_ops_on_volume),
    ],
)
def test_a_team_warning_of_a_team_engaged_in_sunset_pipelines_only_is_lowered(code, breaks):
    design = sound_design()
    design.pipeline.tier = Tier.CRITICAL
    design.pipeline.lifecycle = Lifecycle.SUNSET
    team = breaks(design)

    finding = only(design.org, code)

    assert finding.subject == team_ref(team)
    assert (finding.severity, finding.base_severity) == ("info", "warning")


def test_a_person_warning_is_not_raised_for_the_pm_of_a_critical_pipeline():
    design = sound_design()
    design.pipeline.tier = Tier.CRITICAL
    design.org.member(design.pm, design.teams[TeamKind.MODELING], 60)
    design.org.member(design.pm, design.teams[TeamKind.DEPLOYMENT], 60)

    finding = only(design.org, "person.over_allocated")

    assert finding.subject == person_ref(design.pm)
    assert finding.severity == finding.base_severity == "warning"


def test_a_findings_dict_carries_its_base_severity():
    design = sound_design()
    design.pipeline.tier = Tier.CRITICAL
    design.pipeline.metric = ""

    finding = only(design.org, "pipeline.no_metric")

    assert finding.as_dict() == {
        "key": finding.key,
        "code": "pipeline.no_metric",
        "severity": "error",
        "base_severity": "warning",
        "subject": {"type": "pipeline", "id": design.pipeline.id, "name": "News Feed ranking"},
        "message": finding.message,
        "related": [],
    }


def test_findings_are_ordered_by_their_effective_severity():
    design = sound_design()
    design.pipeline.tier = Tier.CRITICAL
    design.pipeline.metric = ""  # escalated: an error
    design.org.pipeline("Ads ranking", pm=design.pm, metric="", required_stages=[])  # warning
    max_ = design.members[TeamKind.MODELING]
    design.org.member(max_, design.teams[TeamKind.DEPLOYMENT], 50)  # person.over_allocated

    found = [(f.severity, f.code, f.subject.name) for f in compute_findings(design.org.data())]

    # person.over_allocated sorts before pipeline.no_metric by code, yet after the error.
    assert found == [
        ("error", "pipeline.no_metric", "News Feed ranking"),
        ("warning", "person.over_allocated", "Max"),
        ("warning", "pipeline.no_metric", "Ads ranking"),
    ]


# The catalogue ---------------------------------------------------------------------------------


def test_the_catalogue_states_the_severity_rules_of_the_codes_they_move():
    for code, severity in CONTRACT_SEVERITIES.items():
        rules = " ".join(CATALOGUE[code].severity_rules)
        about_pipelines = code.startswith(("pipeline.", "dependency.", "team.", "catalog.")) and (
            code != "team.idle")
        if about_pipelines and severity == "warning":
            assert "critical" in rules, code
        if about_pipelines and severity in ("error", "warning"):
            assert "sunset" in rules, code
        if not about_pipelines or severity == "info":
            assert rules == "", code
    assert CATALOGUE["pipeline.no_metric"].severity_rules
    assert "critical" not in " ".join(CATALOGUE["pipeline.stage_unowned"].severity_rules)


def test_the_unowned_stage_fix_offers_to_drop_a_stage_not_needed_yet():
    fix = CATALOGUE["pipeline.stage_unowned"].fix
    assert "required stages" in fix and "not need" in fix and "yet" in fix


@pytest.mark.parametrize("code", ["team.no_lead", "team.lead_inactive"])
def test_a_team_without_active_lead_says_the_dependency_and_idle_checks_skip_it(code):
    why = CATALOGUE[code].why
    assert "dependency" in why and "idle" in why and "skip" in why


def test_the_unallocated_fix_leaves_principal_engineers_alone():
    assert "principal engineer" in CATALOGUE["person.unallocated"].fix
