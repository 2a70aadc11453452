"""Designs the findings tests start from, and the helpers that read their findings: on unsaved
model instances (`tests.builders.OrgBuilder`), without the database."""

from dataclasses import dataclass

from orgdesign.analysis.findings import Finding, Ref, compute_findings
from pipelines.models import Pipeline
from teams.models import KpiType, Person, Role, Team, TeamKind
from tests.builders import OrgBuilder

# The table of docs/design.md section 2: every code with its severity.
CONTRACT_SEVERITIES = {
    "org.no_ml_head": "error",
    "pipeline.no_pm": "error",
    "pipeline.pm_inactive": "error",
    "pipeline.pm_not_product_manager": "warning",
    "pipeline.pm_outside_ml_org": "warning",
    "pipeline.stage_unowned": "error",
    "pipeline.stage_multiple_owners": "warning",
    "pipeline.single_person_stage": "warning",
    "pipeline.stage_understaffed": "warning",
    "pipeline.no_metric": "warning",
    "team.no_lead": "error",
    "team.lead_inactive": "error",
    "team.empty": "warning",
    "team.idle": "info",
    "team.kpi_output_volume": "warning",
    "team.kpi_publications": "warning",
    "team.no_kpi": "info",
    "team.members_outside_ml_org": "warning",
    "team.over_committed": "warning",
    "dependency.outside_ml_org": "error",
    "person.manager_inactive": "error",
    "person.no_manager": "warning",
    "person.over_allocated": "warning",
    "person.unallocated": "info",
    "manager.span_wide": "warning",
    "manager.span_narrow": "info",
    "reporting.too_deep": "warning",
    "scientist.no_science_manager": "warning",
    "scientist.isolated": "info",
    "catalog.stage_owned_elsewhere": "warning",
    "catalog.owner_outside_ml_org": "warning",
    "catalog.component_unowned": "warning",
    "catalog.stage_without_components": "info",
}

SPECIALISED = [
    TeamKind.DATA_OPS,
    TeamKind.TOOLING,
    TeamKind.INFRASTRUCTURE,
    TeamKind.MODELING,
    TeamKind.DEPLOYMENT,
]
HEAD_ONLY_CODES = {
    "dependency.outside_ml_org",
    "pipeline.pm_outside_ml_org",
    "team.members_outside_ml_org",
    "person.unallocated",
    "manager.span_narrow",
    "manager.span_wide",
    "reporting.too_deep",
}


def flags(org: OrgBuilder, code: str) -> list[Finding]:
    return [finding for finding in compute_findings(org.data()) if finding.code == code]


def only(org: OrgBuilder, code: str) -> Finding:
    found = flags(org, code)
    assert len(found) == 1, found
    return found[0]


def person_ref(person: Person) -> Ref:
    return Ref("person", person.id, person.name)


def team_ref(team: Team) -> Ref:
    return Ref("team", team.id, team.name)


def pipeline_ref(pipeline: Pipeline) -> Ref:
    return Ref("pipeline", pipeline.id, pipeline.name)


@dataclass
class Design:
    org: OrgBuilder
    ceo: Person
    head: Person
    pm: Person
    pipeline: Pipeline
    teams: dict[str, Team]
    leads: dict[str, Person]
    members: dict[str, Person]


def sound_design(**settings) -> Design:
    """Cleo (CEO) > Hana (ML head) > a PM and four specialised teams of two, all in the ML org.

    One production pipeline with a metric and the default required stages, each owned by the
    team of its kind, which is measured on model outcome. Cleo has a single report but sits
    outside the ML org, so no flag is raised.
    """
    org = OrgBuilder(**settings)
    ceo = org.person("Cleo", role=Role.EXECUTIVE)
    head = org.person("Hana", role=Role.EXECUTIVE, manager=ceo)
    org.set_ml_head(head)
    pm = org.person("Paula", role=Role.PRODUCT_MANAGER, manager=head)
    pipeline = org.pipeline("News Feed ranking", pm=pm)
    teams, leads, members = {}, {}, {}
    for kind, team_name, lead_name, member_name, member_role in (
        (TeamKind.DATA_OPS, "Data Ops", "Dora", "Dan", Role.DATA_ENGINEER),
        (TeamKind.INFRASTRUCTURE, "ML Infra", "Ines", "Ivan", Role.SOFTWARE_ENGINEER),
        (TeamKind.MODELING, "Modeling", "Mona", "Max", Role.SCIENTIST),
        (TeamKind.DEPLOYMENT, "Deployment", "Dave", "Dina", Role.ML_ENGINEER),
    ):
        lead = org.person(lead_name, role=Role.TECH_LEAD, manager=head)
        member = org.person(member_name, role=member_role, manager=head)
        team = org.team(
            team_name, kind=kind, lead=lead, kpi="model precision", kpi_type=KpiType.MODEL_OUTCOME
        )
        org.member(lead, team)
        org.member(member, team)
        org.engage(pipeline, team)
        teams[kind], leads[kind], members[kind] = team, lead, member
    return Design(org, ceo, head, pm, pipeline, teams, leads, members)
