"""The findings engine: every flag of DESIGN.md section 2, from one design, without queries.

`compute_findings(data)` is handed the lists of one organisation and returns the findings in
their fixed order (severity, code, subject name). Each rule is a small generator over an
`OrgIndex`, which computes the reporting chains once per call.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from orgdesign.analysis.catalogue import CATALOGUE, SEVERITY_ORDER, CatalogueEntry
from orgdesign.analysis.orgdata import OrgData, OrgIndex, PersonRow
from pipelines.models import STAGE_KIND, EngagementRole, Lifecycle, Pipeline
from teams.models import SPECIALISED_KINDS, KpiType, Person, Role, Team, TeamKind


@dataclass(frozen=True)
class Ref:
    type: str
    id: int
    name: str

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name}


@dataclass(frozen=True)
class Finding:
    code: str
    subject: Ref
    message: str
    related: tuple[Ref, ...] = field(default=())
    stage: str | None = None

    @property
    def entry(self) -> CatalogueEntry:
        return CATALOGUE[self.code]

    @property
    def severity(self) -> str:
        return CATALOGUE[self.code].severity

    def sort_key(self) -> tuple:
        return (
            SEVERITY_ORDER[self.severity],
            self.code,
            self.subject.name.casefold(),
            self.subject.id,
            self.stage or "",
        )

    def as_dict(self) -> dict[str, Any]:
        result = {
            "code": self.code,
            "severity": self.severity,
            "subject": self.subject.as_dict(),
            "message": self.message,
            "related": [ref.as_dict() for ref in self.related],
        }
        if self.stage is not None:
            result["stage"] = self.stage
        return result


def person_ref(person: Person | PersonRow) -> Ref:
    return Ref("person", person.id, person.name)


def team_ref(team: Team) -> Ref:
    return Ref("team", team.id, team.name)


def pipeline_ref(pipeline: Pipeline) -> Ref:
    return Ref("pipeline", pipeline.id, pipeline.name)


def compute_findings(data: OrgData, index: OrgIndex | None = None) -> list[Finding]:
    """All findings of one design, ordered by severity, code, then subject name."""
    index = index or OrgIndex(data)
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(index))
    findings.sort(key=Finding.sort_key)
    return findings


# Organisation --------------------------------------------------------------------------------


def org_rules(index: OrgIndex) -> Iterator[Finding]:
    org = index.organisation
    if index.ml_head is None:
        if org.ml_head_id is None:
            reason = "no ML head is set"
        else:
            reason = f"its ML head {index.person_name(org.ml_head_id)} has left"
        yield Finding(
            "org.no_ml_head",
            Ref("organisation", org.id, org.name),
            f"{org.name} has no active ML head ({reason}), so dependencies outside the ML org "
            "cannot be checked.",
        )


# Pipelines -----------------------------------------------------------------------------------


def pipeline_owner_rules(index: OrgIndex) -> Iterator[Finding]:
    for pipeline in index.data.pipelines:
        subject = pipeline_ref(pipeline)
        if pipeline.pm_owner_id is None:
            yield Finding(
                "pipeline.no_pm", subject, f"Pipeline {pipeline.name} has no PM owner."
            )
            continue
        pm = index.people_by_id.get(pipeline.pm_owner_id)
        if pm is None:
            continue
        related = (person_ref(pm),)
        if not pm.active:
            yield Finding(
                "pipeline.pm_inactive",
                subject,
                f"The PM owner of {pipeline.name}, {pm.name}, has left the organisation.",
                related,
            )
        if pm.role != Role.PRODUCT_MANAGER:
            yield Finding(
                "pipeline.pm_not_product_manager",
                subject,
                f"{pipeline.name} is owned by {pm.name}, whose role is "
                f"{Role(pm.role).label.lower()}, not product manager.",
                related,
            )
        if index.in_ml_org(pm.id) is False:
            yield Finding(
                "pipeline.pm_outside_ml_org",
                subject,
                f"{pipeline.name} is owned by {pm.name}, who does not report into the ML org.",
                related,
            )


def pipeline_stage_rules(index: OrgIndex) -> Iterator[Finding]:
    for pipeline in index.data.pipelines:
        subject = pipeline_ref(pipeline)
        owners_by_kind: dict[str, list[Team]] = defaultdict(list)
        squad_owner = False
        for engagement in index.engagements_by_pipeline.get(pipeline.id, ()):
            team = index.teams_by_id.get(engagement.team_id)
            if team is None or engagement.role != EngagementRole.OWNER:
                continue
            owners_by_kind[team.kind].append(team)
            if team.kind == TeamKind.PRODUCT_SQUAD:
                squad_owner = True
        # Embedded teams incubate: a squad that owns an incubating pipeline covers every stage.
        squad_covers = squad_owner and pipeline.lifecycle == Lifecycle.INCUBATING
        required = set(pipeline.required_stages or ())

        for stage, kind in STAGE_KIND.items():
            owners = sorted(owners_by_kind.get(kind, ()), key=lambda team: team.name)
            if stage in required and not owners and not squad_covers:
                yield Finding(
                    "pipeline.stage_unowned",
                    subject,
                    f"No team owns the {stage} stage of {pipeline.name}.",
                    stage=str(stage),
                )
            if len(owners) > 1:
                names = ", ".join(team.name for team in owners)
                yield Finding(
                    "pipeline.stage_multiple_owners",
                    subject,
                    f"The {stage} stage of {pipeline.name} has {len(owners)} owners: {names}.",
                    tuple(team_ref(team) for team in owners),
                    stage=str(stage),
                )
            if stage in required:
                for team in owners:
                    members = len(index.active_members_by_team.get(team.id, ()))
                    if members <= 1:
                        who = "no active member" if members == 0 else "a single active member"
                        yield Finding(
                            "pipeline.single_person_stage",
                            subject,
                            f"The {stage} stage of {pipeline.name} is owned by {team.name}, "
                            f"which has {who}.",
                            (team_ref(team),),
                            stage=str(stage),
                        )


# Teams ---------------------------------------------------------------------------------------


def team_rules(index: OrgIndex) -> Iterator[Finding]:
    for team in index.data.teams:
        subject = team_ref(team)
        engaged = bool(index.engagements_by_team.get(team.id))
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
        if team.kind in SPECIALISED_KINDS and not engaged and index.team_in_ml_org(team):
            yield Finding(
                "team.idle",
                subject,
                f"{team.name}, a specialised {TeamKind(team.kind).label.lower()} team, is "
                "engaged in no pipeline.",
            )
        if engaged and team.kpi_type == KpiType.OUTPUT_VOLUME:
            kpi = f" ({team.kpi})" if team.kpi else ""
            yield Finding(
                "team.kpi_output_volume",
                subject,
                f"{team.name} is measured on output volume{kpi}, not on the outcome of the "
                "models it serves.",
            )


def dependency_rules(index: OrgIndex) -> Iterator[Finding]:
    if index.ml_head is None:
        return
    for team in index.data.teams:
        if team.kind not in SPECIALISED_KINDS or index.team_in_ml_org(team) is not False:
            continue
        pipeline_ids = sorted({e.pipeline_id for e in index.engagements_by_team.get(team.id, ())})
        if not pipeline_ids:
            continue
        pipelines = sorted(
            (index.pipelines_by_id[pid] for pid in pipeline_ids if pid in index.pipelines_by_id),
            key=lambda pipeline: pipeline.name,
        )
        lead_name = index.person_name(team.lead_id)
        org_head = index.outside_org_head(team.lead_id)
        if org_head == team.lead_id:
            where = f"{lead_name}, who reports outside the ML org"
        else:
            where = (
                f"{lead_name}, who reports into {index.person_name(org_head)}'s organisation "
                "instead of the ML org"
            )
        count = len(pipelines)
        depend = "pipeline depends" if count == 1 else "pipelines depend"
        yield Finding(
            "dependency.outside_ml_org",
            team_ref(team),
            f"{count} {depend} on {team.name}, led by {where}.",
            tuple(pipeline_ref(pipeline) for pipeline in pipelines),
        )


# People --------------------------------------------------------------------------------------


def person_rules(index: OrgIndex) -> Iterator[Finding]:
    head = index.ml_head
    # With no active ML head the ML org cannot be told apart, so look at everyone.
    in_scope = (lambda pid: pid in index.ml_steps) if head else (lambda pid: True)
    top = index.top_of_organisation

    for person in index.data.people:
        if not person.active:
            continue
        subject = person_ref(person)
        manager = index.people_by_id.get(person.manager_id)

        if manager is not None and not manager.active:
            yield Finding(
                "person.manager_inactive",
                subject,
                f"{person.name} reports to {manager.name}, who has left the organisation.",
                (person_ref(manager),),
            )
        memberships = index.memberships_by_person.get(person.id, ())
        total = sum(m.allocation for m in memberships)
        if total > 100:
            yield Finding(
                "person.over_allocated",
                subject,
                f"{person.name} is allocated {total}% across {len(memberships)} teams.",
                tuple(
                    team_ref(index.teams_by_id[m.team_id])
                    for m in memberships
                    if m.team_id in index.teams_by_id
                ),
            )
        if person.role == Role.SCIENTIST and manager is not None and manager.role not in (
            Role.SCIENCE_MANAGER,
            Role.EXECUTIVE,
        ):
            yield Finding(
                "scientist.no_science_manager",
                subject,
                f"Scientist {person.name} is managed by {manager.name} "
                f"({Role(manager.role).label.lower()}), not by a science manager.",
                (person_ref(manager),),
            )

        if (
            person.manager_id is None
            and person.id != top
            and (in_scope(person.id) or index.works_in_ml_org(person.id))
        ):
            yield Finding("person.no_manager", subject, f"{person.name} has no manager.")
        if not in_scope(person.id):
            continue
        reports = index.active_report_count.get(person.id, 0)
        if reports > index.organisation.span_max:
            yield Finding(
                "manager.span_wide",
                subject,
                f"{person.name} has {reports} direct reports, more than the limit of "
                f"{index.organisation.span_max}.",
            )
        elif reports == 1:
            yield Finding(
                "manager.span_narrow", subject, f"{person.name} has a single direct report."
            )
        if head is None:
            continue
        steps = index.ml_steps[person.id]
        if steps > index.organisation.layers_max:
            yield Finding(
                "reporting.too_deep",
                subject,
                f"{person.name} is {steps} layers below the ML head {head.name}, more than "
                f"{index.organisation.layers_max}.",
            )
        if (
            not memberships
            and not index.led_team_ids_by_person.get(person.id)
            and person.id not in index.pm_owner_ids
            and reports == 0
        ):
            yield Finding(
                "person.unallocated",
                subject,
                f"{person.name} is in the ML org but in no team, leads no team, owns no "
                "pipeline and manages nobody.",
            )


def scientist_isolation_rules(index: OrgIndex) -> Iterator[Finding]:
    ml_roles = (Role.SCIENTIST, Role.ML_ENGINEER)
    for team in index.data.teams:
        if team.kind != TeamKind.PRODUCT_SQUAD:
            continue
        ml_people = [
            index.people_by_id[pid]
            for pid in index.active_members_by_team.get(team.id, ())
            if index.people_by_id[pid].role in ml_roles
        ]
        if len(ml_people) == 1:
            person = ml_people[0]
            yield Finding(
                "scientist.isolated",
                person_ref(person),
                f"{person.name} is the only ML person in squad {team.name}.",
                (team_ref(team),),
            )


RULES = (
    org_rules,
    pipeline_owner_rules,
    pipeline_stage_rules,
    team_rules,
    dependency_rules,
    person_rules,
    scientist_isolation_rules,
)


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(finding.severity for finding in findings)
    return {severity: counts.get(severity, 0) for severity in SEVERITY_ORDER}
