"""Each team: its lead, its members, its engagements and how it is measured."""

from __future__ import annotations

from collections.abc import Iterator

from orgdesign.analysis.changes import (
    SET_LEAD,
    Change,
)
from orgdesign.analysis.declare import ERROR, INFO, WARNING, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    Ref,
    team_ref,
)
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.proposals import (
    CANDIDATES,
    LEAD_ROLES,
    ROLE_SENIORITY,
    Remedy,
)
from teams.models import SPECIALISED_KINDS, KpiType, Role, TeamKind


def team_rules(index: OrgIndex, only: set[int] | None = None) -> Iterator[Finding]:
    for team in index.teams_among(only):
        subject = team_ref(team)
        engaged = bool(index.engagements_by_team.get(team.id))
        specialised_in_ml_org = team.kind in SPECIALISED_KINDS and index.team_in_ml_org(team)
        if team.lead_id is None:
            yield Finding("team.no_lead", subject, f"Team {team.name} has no lead.")
        elif team.lead_id not in index.active_ids:
            lead_name = index.person_name(team.lead_id)
            yield Finding(
                "team.lead_inactive",
                subject,
                f"The lead of {team.name}, {lead_name}, has left the organisation.",
                (Ref("person", team.lead_id, lead_name),),
            )
        if not index.active_members_by_team.get(team.id):
            yield Finding("team.empty", subject, f"Team {team.name} has no active member.")
        if specialised_in_ml_org and not engaged:
            yield Finding(
                "team.idle",
                subject,
                f"{team.name}, a specialised {TeamKind(team.kind).label.lower()} team, is "
                "engaged in no pipeline.",
            )
        if not engaged:
            continue
        kpi = f" ({team.kpi})" if team.kpi else ""
        if team.kpi_type == KpiType.OUTPUT_VOLUME:
            yield Finding(
                "team.kpi_output_volume",
                subject,
                f"{team.name} is measured on output volume{kpi}, not on the outcome of the "
                "models it serves.",
            )
        elif team.kpi_type == KpiType.PUBLICATIONS:
            yield Finding(
                "team.kpi_publications",
                subject,
                f"{team.name} is measured on publications{kpi}, not on the outcome of the "
                "models it serves.",
            )
        elif specialised_in_ml_org and not team.kpi.strip() and not team.kpi_type:
            yield Finding(
                "team.no_kpi",
                subject,
                f"{team.name} works on pipelines but has no KPI.",
            )


def team_lead(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    team = index.teams_by_id[finding.subject.id]
    candidates = sorted(
        (index.people_by_id[pid] for pid in index.active_members_by_team.get(team.id, ())),
        key=lambda p: (ROLE_SENIORITY.get(p.role, len(LEAD_ROLES)),
                       -index.active_report_count.get(p.id, 0), p.name.casefold(), p.id),
    )
    for person in candidates[:CANDIDATES]:
        yield Remedy(
            f"Make {person.name} ({Role(person.role).label.lower()}), a member of "
            f"{team.name}, its lead.",
            (Change(SET_LEAD, finding.subject, f"{person.name} leads {team.name}.",
                    to=Ref("person", person.id, person.name)),),
        )


# The declarations.

NO_LEAD = CatalogueEntry(
    "team.no_lead", ERROR, "Team without a lead",
    "Nobody is accountable for the team, and the team is placed inside or outside the ML "
    "org through its lead: until it has an active lead, the dependency and idle checks "
    "skip it.",
    "Name an active lead for the team.",
    subject="team",
    remedies=(team_lead,),
)

LEAD_INACTIVE = CatalogueEntry(
    "team.lead_inactive", ERROR, "Team lead has left",
    "Nobody speaks for the team, and the team is placed inside or outside the ML org "
    "through its lead: until it has an active lead, the dependency and idle checks skip it.",
    "Name an active lead for the team.",
    subject="team",
    remedies=(team_lead,),
)

EMPTY = CatalogueEntry(
    "team.empty", WARNING, "Team without members",
    "A column with no active people cannot do the work pipelines engage it for.",
    "Add members to the team, or take it out of the design and re-engage its pipelines.",
    subject="team",
)

IDLE = CatalogueEntry(
    "team.idle", INFO, "Specialised team in no pipeline",
    "A specialised team that serves no pipeline is building for nobody: its work is not "
    "tied to any model's outcome.",
    "Engage the team in the pipelines it serves, or fold it into another team.",
    subject="team",
    concerns_pipelines=False,
)

KPI_OUTPUT_VOLUME = CatalogueEntry(
    "team.kpi_output_volume", WARNING, "Team measured on output volume",
    "A team measured on quantity (e.g. labels produced) is pushed to produce a lot of "
    "output that isn't super useful, rather than output that improves the final model "
    "(seed 002).",
    "Measure the team on the model outcomes of the pipelines it serves.",
    subject="team",
)

KPI_PUBLICATIONS = CatalogueEntry(
    "team.kpi_publications", WARNING, "Team measured on publications",
    "A team measured on papers may pursue publication-worthy work even when it is not the "
    "most impactful, and skip the unglamorous optimisations of existing pipelines "
    "(seed 002).",
    "Measure the team on the model outcomes of the pipelines it serves; keep publications "
    "as a side benefit.",
    subject="team",
)

NO_KPI = CatalogueEntry(
    "team.no_kpi", INFO, "Specialised team without a KPI",
    "Without a stated measure, the team falls back on measuring its own component, and "
    "misaligned incentives between component teams bubble up into disputes when models "
    "fail to improve (seed 002).",
    "Give the team a KPI tied to the outcome of the models it serves.",
    subject="team",
)

RULE = Rule(
    team_rules,
    reads={"teams", "engagements", "memberships", "people", "reporting", "pipelines"},
    per="team",
    codes=(NO_LEAD, LEAD_INACTIVE, EMPTY, IDLE, KPI_OUTPUT_VOLUME, KPI_PUBLICATIONS, NO_KPI),
)
